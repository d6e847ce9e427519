package deploy

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/pledge-dev/pledge/test/procs"
)

// TestManagerRoleMayBlockOwnerDeletion runs a real kube-apiserver with the
// OwnerReferencesPermissionEnforcement admission plugin (on by default in OpenShift). There an
// owner reference with blockOwnerDeletion — which the manager sets on every generated object —
// needs `update` on the owner's finalizers subresource. The manager role of config/rbac/role.yaml
// must be able to create a PrometheusRule owned by a standard; the same role without
// servicestandards/finalizers must not (so the test knows the plugin is really on).
func TestManagerRoleMayBlockOwnerDeletion(t *testing.T) {
	monitoringCRDs := procs.Tool(t, "MONITORING_CRDS")
	cfg := procs.StartAPIServer(t, []string{crdBasesDir, monitoringCRDs}, "OwnerReferencesPermissionEnforcement")
	admin, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	std := readObjects(t, filepath.Join(root, "config", "samples", "pledge_v1alpha1_checkout.yaml"))[0]
	for _, o := range []*unstructured.Unstructured{namespace(std.GetNamespace()), std} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatalf("creating %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}

	role := readObjects(t, filepath.Join(root, "config", "rbac", "role.yaml"))[0]
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	withoutFinalizers := slices.DeleteFunc(slices.Clone(rules), func(r any) bool {
		res, _, _ := unstructured.NestedStringSlice(r.(map[string]any), "resources")
		return slices.Contains(res, "servicestandards/finalizers")
	})
	if len(withoutFinalizers) == len(rules) {
		t.Fatal("config/rbac/role.yaml grants nothing on servicestandards/finalizers")
	}

	for _, tc := range []struct {
		user    string
		rules   []any
		allowed bool
	}{
		{"pledge-manager", rules, true},
		{"pledge-manager-without-finalizers", withoutFinalizers, false},
	} {
		t.Run(tc.user, func(t *testing.T) {
			bindRules(ctx, t, admin, tc.user, tc.rules)
			as := rest.CopyConfig(cfg)
			as.Impersonate = rest.ImpersonationConfig{UserName: tc.user}
			c, err := client.New(as, client.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rule := func(name string) *unstructured.Unstructured {
				return &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
					"metadata": map[string]any{"name": name, "namespace": std.GetNamespace()},
					"spec":     map[string]any{"groups": []any{}},
				}}
			}
			// The binding is in effect once the user may create an object without an owner.
			deadline := time.Now().Add(10 * time.Second)
			for err := c.Create(ctx, rule("unowned-"+tc.user)); err != nil; err = c.Create(ctx, rule("unowned-"+tc.user)) {
				if time.Now().After(deadline) {
					t.Fatalf("creating a PrometheusRule without owner: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			owned := rule("owned-" + tc.user)
			// The same call the manager makes (controllers/apply.go): controller and blockOwnerDeletion set.
			if err := controllerutil.SetControllerReference(std, owned, runtime.NewScheme()); err != nil {
				t.Fatal(err)
			}
			if ref := owned.GetOwnerReferences()[0]; ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
				t.Fatalf("owner reference %+v does not block owner deletion", ref)
			}
			err = c.Create(ctx, owned)
			switch {
			case tc.allowed && err != nil:
				t.Fatalf("creating an owned PrometheusRule with the manager role: %v", err)
			case !tc.allowed && (!apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "blockOwnerDeletion")):
				t.Fatalf("creating an owned PrometheusRule without servicestandards/finalizers: %v, want Forbidden by blockOwnerDeletion", err)
			}
		})
	}
}

// bindRules grants user the rules cluster-wide.
func bindRules(ctx context.Context, t *testing.T, c client.Client, user string, rules []any) {
	t.Helper()
	objs := []*unstructured.Unstructured{
		{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
			"metadata": map[string]any{"name": user}, "rules": rules,
		}},
		{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
			"metadata": map[string]any{"name": user},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": user},
			"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}},
		}},
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			t.Fatalf("creating %s %s: %v", o.GetKind(), user, err)
		}
	}
}
