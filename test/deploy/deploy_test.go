// Package deploy tests the two ways of installing Pledge — the Helm chart (charts/pledge) and
// kustomize (config/default) — with the real tools: the pinned helm ($HELM) lints and renders
// the chart, and the rendered objects are created in a real kube-apiserver (envtest,
// $KUBEBUILDER_ASSETS). `make test` builds both into bin/; without them these tests skip
// (PLEDGE_REQUIRE_TOOLS=1 makes that a failure).
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/pledge-dev/pledge/test/procs"
)

// root is the repository root, relative to this package.
const root = "../.."

var (
	chartDir     = filepath.Join(root, "charts", "pledge")
	allValues    = filepath.Join("testdata", "all-values.yaml")
	crdBasesDir  = filepath.Join(root, "config", "crd", "bases")
	chartCRDsDir = filepath.Join(chartDir, "templates", "crds")
)

// runHelm runs $HELM with its state directories in a temporary directory, so that nothing
// from (or to) the user's helm configuration is involved. It returns stdout; the error holds
// stderr.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := procs.Tool(t, "HELM")
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.New(strings.TrimSpace(err.Error() + ": " + stderr.String() + stdout.String()))
	}
	return stdout.String(), nil
}

// render runs `helm template RELEASE charts/pledge --namespace NAMESPACE ARGS...` and decodes
// the output.
func render(t *testing.T, release, namespace string, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := runHelm(t, append([]string{"template", release, chartDir, "--namespace", namespace}, args...)...)
	if err != nil {
		t.Fatalf("helm template %s: %v", strings.Join(args, " "), err)
	}
	return decode(t, []byte(out))
}

// decode splits multi-document YAML into objects, skipping empty documents.
func decode(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("reading YAML: %v", err)
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("decoding YAML document: %v\n%s", err, doc)
		}
		if s := strings.TrimSpace(string(j)); s == "null" || s == "{}" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			t.Fatalf("decoding object: %v\n%s", err, doc)
		}
		objs = append(objs, u)
	}
}

// readObjects decodes a YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, data)
}

// objects indexes rendered objects by "Kind namespace/name" (namespace empty when cluster-scoped).
type objects map[string]*unstructured.Unstructured

func index(objs []*unstructured.Unstructured) objects {
	m := objects{}
	for _, o := range objs {
		m[key(o.GetKind(), o.GetNamespace(), o.GetName())] = o
	}
	return m
}

func key(kind, namespace, name string) string { return kind + " " + namespace + "/" + name }

// get returns the object or fails the test, listing what was rendered.
func (m objects) get(t *testing.T, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	o, ok := m[key(kind, namespace, name)]
	if !ok {
		t.Fatalf("no %s rendered; got %v", key(kind, namespace, name), m.keys())
	}
	return o
}

func (m objects) keys() []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// ofKind returns the objects of one kind.
func (m objects) ofKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range m {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}
