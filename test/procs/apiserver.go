package procs

import (
	"io"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// StartAPIServer starts a real kube-apiserver and etcd (envtest, binaries from
// $KUBEBUILDER_ASSETS) with the CRDs of crdDirs installed, and stops them when the test ends.
// admissionPlugins are enabled on the API server in addition to its defaults.
func StartAPIServer(t T, crdDirs []string, admissionPlugins ...string) *rest.Config {
	t.Helper()
	assets := Tool(t, "KUBEBUILDER_ASSETS")
	logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     crdDirs,
		ErrorIfCRDPathMissing: true,
	}
	for _, p := range admissionPlugins {
		env.ControlPlane.GetAPIServer().Configure().Append("enable-admission-plugins", p)
	}
	start := time.Now()
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stopping envtest: %v", err)
		}
	})
	t.Logf("kube-apiserver and etcd up in %s", time.Since(start).Round(time.Millisecond))
	return cfg
}
