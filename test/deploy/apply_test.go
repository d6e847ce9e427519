package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pledge-dev/pledge/test/procs"
)

var crdGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// TestApplyToAPIServer creates everything `kubectl kustomize config/default` and the chart
// (default values, and every value set) produce in a real kube-apiserver, with server-side apply
// and strict field validation: each object must be accepted, stored and readable. The API server
// starts without the Pledge CRDs (the installs bring them) and with the prometheus-operator
// CRDs from $MONITORING_CRDS, for the ServiceMonitor.
func TestApplyToAPIServer(t *testing.T) {
	procs.Tool(t, "HELM")
	assets := procs.Tool(t, "KUBEBUILDER_ASSETS")
	monitoringCRDs := procs.Tool(t, "MONITORING_CRDS")
	kubectl := kubectlBinary(t, assets)
	installs := []struct {
		name, fieldManager string
		objs               []*unstructured.Unstructured
	}{
		{"kustomize config/default", "deploy-test-kustomize", kustomize(t, kubectl, "config/default")},
		{"chart with default values", "deploy-test-chart-defaults", render(t, "pledge", "pledge")},
		{"chart with all values", "deploy-test-chart-all", render(t, "full", "pledge-full", "-f", allValues)},
	}

	cfg := procs.StartAPIServer(t, []string{monitoringCRDs})
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c = client.WithFieldValidation(c, metav1.FieldValidationStrict)

	ctx := t.Context()
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(crdGVK)
	if err := c.Get(ctx, client.ObjectKey{Name: "servicestandards.pledge.dev"}, crd); !apierrors.IsNotFound(err) {
		t.Fatalf("the ServiceStandard CRD before any install: %v, want NotFound", err)
	}

	for _, in := range installs {
		t.Run(in.name, func(t *testing.T) {
			install(ctx, t, c, in.fieldManager, in.objs)
		})
	}

	// The control: a field the API does not know (extraEnv is free-form in the values schema)
	// is refused, so the installs above passed because their objects are right.
	t.Run("unknown field is refused", func(t *testing.T) {
		objs := index(render(t, "bad", "pledge-bad", "--set", "extraEnv[0].name=A", "--set", "extraEnv[0].valueFrm=x"))
		apply(ctx, t, c, "deploy-test-bad", namespace("pledge-bad"))
		d := objs.get(t, "Deployment", "pledge-bad", "bad-pledge")
		err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(d), client.FieldOwner("deploy-test-bad"), client.ForceOwnership)
		if err == nil || !strings.Contains(err.Error(), "valueFrm") {
			t.Fatalf("applying a Deployment with env[0].valueFrm: %v, want an unknown-field error", err)
		}
	})
}

// install creates the namespaces the objects live in, then applies Namespaces, then CRDs
// (waiting until they are established), then everything else, and reads each object back.
func install(ctx context.Context, t *testing.T, c client.Client, fieldManager string, objs []*unstructured.Unstructured) {
	t.Helper()
	declared := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			declared[o.GetName()] = true
		}
	}
	var namespaces []string
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" && !declared[ns] && !slices.Contains(namespaces, ns) {
			namespaces = append(namespaces, ns)
		}
	}
	sort.Strings(namespaces)
	for _, ns := range namespaces {
		apply(ctx, t, c, fieldManager, namespace(ns))
	}

	rank := func(o *unstructured.Unstructured) int {
		switch o.GroupVersionKind() {
		case schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}:
			return 0
		case crdGVK:
			return 1
		}
		return 2
	}
	ordered := slices.Clone(objs)
	slices.SortStableFunc(ordered, func(a, b *unstructured.Unstructured) int { return rank(a) - rank(b) })
	var crds []string
	for _, o := range ordered {
		if rank(o) == 2 && len(crds) > 0 {
			waitEstablished(ctx, t, c, crds)
			crds = nil
		}
		apply(ctx, t, c, fieldManager, o)
		if rank(o) == 1 {
			crds = append(crds, o.GetName())
		}
	}
	waitEstablished(ctx, t, c, crds)

	kinds := map[string]int{}
	for _, o := range objs {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(o.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), got); err != nil {
			t.Errorf("reading back %s %s: %v", o.GetKind(), client.ObjectKeyFromObject(o), err)
			continue
		}
		// An object that sets nothing but its name (a bare ServiceAccount) owns no fields, so
		// the API server records no manager for it.
		if !onlyIdentity(o) && !managedBy(got, fieldManager) {
			t.Errorf("%s %s is not managed by %s", o.GetKind(), client.ObjectKeyFromObject(o), fieldManager)
		}
		kinds[o.GetKind()]++
	}
	t.Logf("created %d objects in %d new namespaces: %v", len(objs), len(namespaces), kinds)
	for _, kind := range []string{"CustomResourceDefinition", "ClusterRole", "ServiceAccount", "Deployment", "Service"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s in this install", kind)
		}
	}
}

func namespace(name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion("v1")
	o.SetKind("Namespace")
	o.SetName(name)
	return o
}

func apply(ctx context.Context, t *testing.T, c client.Client, fieldManager string, o *unstructured.Unstructured) {
	t.Helper()
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
		t.Fatalf("applying %s %s: %v", o.GetKind(), client.ObjectKeyFromObject(o), err)
	}
}

// onlyIdentity is true when o sets nothing but apiVersion, kind, name and namespace.
func onlyIdentity(o *unstructured.Unstructured) bool {
	for k, v := range o.Object {
		switch k {
		case "apiVersion", "kind":
		case "metadata":
			m, _ := v.(map[string]any)
			for mk := range m {
				if mk != "name" && mk != "namespace" {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

func managedBy(o *unstructured.Unstructured, fieldManager string) bool {
	return slices.ContainsFunc(o.GetManagedFields(), func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == fieldManager && e.Operation == metav1.ManagedFieldsOperationApply
	})
}

// waitEstablished waits until the API server serves the CRDs.
func waitEstablished(ctx context.Context, t *testing.T, c client.Client, names []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, name := range names {
		for {
			crd := &unstructured.Unstructured{}
			crd.SetGroupVersionKind(crdGVK)
			if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
				t.Fatalf("reading CRD %s: %v", name, err)
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			if slices.ContainsFunc(conds, func(c any) bool {
				m, _ := c.(map[string]any)
				return m["type"] == "Established" && m["status"] == "True"
			}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not established after 30s: %v", name, conds)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// kubectlBinary is the kubectl of the envtest assets (make test links or builds it there), or
// the one on PATH.
func kubectlBinary(t *testing.T, assets string) string {
	t.Helper()
	if p := filepath.Join(assets, "kubectl"); fileExists(p) {
		return p
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("PLEDGE_REQUIRE_TOOLS") != "" {
			t.Fatalf("no kubectl in %s or on PATH: make envtest-bins provides one", assets)
		}
		t.Skipf("no kubectl in %s or on PATH", assets)
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// kustomize returns the objects of `kubectl kustomize DIR` (DIR relative to the repository).
func kustomize(t *testing.T, kubectl, dir string) []*unstructured.Unstructured {
	t.Helper()
	cmd := exec.Command(kubectl, "kustomize", dir)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr)
	}
	return decode(t, out)
}
