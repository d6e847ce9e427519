package controllers_test

// The controller suites run against a real kube-apiserver and etcd (envtest), built pinned by
// `make test` into bin/k8s, with our CRDs and the prometheus-operator CRDs generated from the
// monitoring API module pinned in go.mod (bin/crds/monitoring.coreos.com).

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pledge-dev/pledge/controllers"
)

var (
	scheme    = controllers.NewScheme()
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	metrics   *controllers.Metrics
	cancel    context.CancelFunc
	suiteMgr  ctrl.Manager
	// suiteEvents writes the events of the runners and checkers that specs build themselves,
	// as Setup's writer does for the suite's manager.
	suiteEvents *controllers.Events
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controller suite (envtest)")
}

// assets returns the envtest binaries and monitoring CRD directories, or skips (fails under
// make test) when they have not been built.
func assets() (bins, monitoringCRDs string) {
	bins, monitoringCRDs = os.Getenv("KUBEBUILDER_ASSETS"), os.Getenv("MONITORING_CRDS")
	if bins == "" || monitoringCRDs == "" {
		if os.Getenv("PLEDGE_REQUIRE_TOOLS") != "" {
			Fail("KUBEBUILDER_ASSETS and MONITORING_CRDS must be set: make test builds them into bin/")
		}
		Skip("KUBEBUILDER_ASSETS/MONITORING_CRDS not set: run through make test for the envtest suites")
	}
	return bins, monitoringCRDs
}

// startManager runs the Pledge controllers against cfg until the returned cancel is called.
func startManager(cfg *rest.Config, m *controllers.Metrics) context.CancelFunc {
	cancel, _ := startManagerWith(cfg, m)
	return cancel
}

func startManagerWith(cfg *rest.Config, m *controllers.Metrics) (context.CancelFunc, ctrl.Manager) {
	return startManagerOpts(cfg, controllers.Options{CRDRetryInterval: time.Second, Metrics: m})
}

// startManagerOpts runs the Pledge controllers with the given options (platform labels, say).
func startManagerOpts(cfg *rest.Config, o controllers.Options) (context.CancelFunc, ctrl.Manager) {
	mgr, err := controllers.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// The CRDs-missing spec runs a second manager in this process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	Expect(controllers.Setup(ctx, mgr, o)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	return cancel, mgr
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	bins, monitoringCRDs := assets()
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases"), monitoringCRDs},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: bins,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	metrics = controllers.NewMetrics(prometheus.NewRegistry())
	cancel, suiteMgr = startManagerWith(cfg, metrics)
	suiteEvents, err = controllers.NewEvents(cfg, nil, scheme, controllers.NewMetrics(prometheus.NewRegistry()))
	Expect(err).NotTo(HaveOccurred())
	// Its own life, not the manager's: a spec restarts the suite's manager.
	eventsCtx, stopEvents := context.WithCancel(context.Background())
	go func() { _ = suiteEvents.Start(eventsCtx) }()
	DeferCleanup(stopEvents)
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

func metricsReady(status string) prometheus.Gauge { return metrics.StandardsGauge(status) }
