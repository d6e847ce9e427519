package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// TestConfigMapsTarget runs the manager with --target=configmaps against a real API server
// without the prometheus-operator CRDs: each standard gets a rule ConfigMap labelled for the
// sidecar, whose rule file Prometheus's parser accepts, and a routing ConfigMap; the Secret holds
// the base configuration with both standards' routing merged in; a hand edit is put back; a
// standard that stops escalating leaves the Secret; a deleted standard's ConfigMaps go (owner
// references) and its routing leaves the Secret.
func TestConfigMapsTarget(t *testing.T) {
	cfg := procs.StartAPIServer(t, []string{filepath.Join("..", "..", "config", "crd", "bases")})
	base := filepath.Join(t.TempDir(), "base.yml")
	writeFile(t, base, filesBase)
	ctx := context.Background()
	secretKey := types.NamespacedName{Namespace: "monitoring", Name: "alertmanager-config"}
	startManager(t, cfg, controllers.Options{Target: controllers.TargetConfigMaps,
		ConfigMaps: controllers.ConfigMapsOptions{SidecarLabels: map[string]string{"prometheus_rule": "1", "team": "sre"},
			AlertmanagerSecret: secretKey, AlertmanagerBaseConfig: base}})
	c, err := client.New(cfg, client.Options{Scheme: controllers.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, c, "shop")
	createNamespace(t, c, "monitoring")
	hook := func(p string) string { return "http://hooks.example" + p }
	var stds []*pledgev1.ServiceStandard
	for _, name := range []string{"checkout", "search"} {
		std := &pledgev1.ServiceStandard{}
		if err := yaml.Unmarshal([]byte(strings.ReplaceAll(filesStandard(hook, filesTier2), "checkout", name)), std); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, std); err != nil {
			t.Fatal(err)
		}
		stds = append(stds, std)
		cond := waitCondition(t, c, client.ObjectKeyFromObject(std), pledgev1.ConditionReady, metav1.ConditionTrue, pledgev1.ReasonApplied, 30*time.Second)
		t.Logf("%s: %s", name, cond.Message)
	}

	// The rule ConfigMap: sidecar labels, Pledge's labels, the rule file under its unique key.
	rules := &corev1.ConfigMap{}
	waitFor(t, 10*time.Second, "rule ConfigMap", func() error {
		return c.Get(ctx, types.NamespacedName{Namespace: "shop", Name: "pledge-checkout"}, rules)
	})
	for k, v := range map[string]string{"prometheus_rule": "1", "team": "sre", render.LabelManagedBy: render.ManagedByValue, render.LabelContent: render.ContentRules} {
		if rules.Labels[k] != v {
			t.Errorf("rule ConfigMap label %s=%q, want %q (labels %v)", k, rules.Labels[k], v, rules.Labels)
		}
	}
	file, ok := rules.Data["shop_checkout.rules.yaml"]
	if !ok || len(rules.Data) != 1 {
		t.Fatalf("rule ConfigMap keys %v, want only shop_checkout.rules.yaml", keys(rules.Data))
	}
	if err := render.CheckRuleFile([]byte(file)); err != nil {
		t.Errorf("Prometheus would not load the rule file: %v", err)
	}
	if len(rules.OwnerReferences) != 1 || rules.OwnerReferences[0].Name != "checkout" {
		t.Errorf("rule ConfigMap owners %v, want the standard", rules.OwnerReferences)
	}

	// The Secret: the base and both standards' routing.
	secretHas := func(want, notWant []string) {
		t.Helper()
		waitFor(t, 20*time.Second, "Alertmanager Secret", func() error {
			s := &corev1.Secret{}
			if err := c.Get(ctx, secretKey, s); err != nil {
				return err
			}
			got := string(s.Data[render.AlertmanagerKey])
			for _, w := range want {
				if !strings.Contains(got, w) {
					return fmt.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range notWant {
				if strings.Contains(got, w) {
					return fmt.Errorf("still holds %q:\n%s", w, got)
				}
			}
			return nil
		})
	}
	secretHas([]string{"receiver: platform", "group_wait: 1s", "shop/checkout/on-call", "shop/search/team-lead"}, nil)
	checkAmtool(t, c, secretKey)

	// A hand edit of the rule ConfigMap is put back.
	rules.Data["shop_checkout.rules.yaml"] = "groups: []\n"
	if err := c.Update(ctx, rules); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the hand edit put back", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(rules), rules); err != nil {
			return err
		}
		if rules.Data["shop_checkout.rules.yaml"] != file {
			return fmt.Errorf("not yet")
		}
		return nil
	})

	// search stops escalating: its routing ConfigMap goes and the Secret loses its routes.
	search := stds[1]
	if err := c.Get(ctx, client.ObjectKeyFromObject(search), search); err != nil {
		t.Fatal(err)
	}
	search.Spec.Escalation = nil
	if err := c.Update(ctx, search); err != nil {
		t.Fatal(err)
	}
	secretHas([]string{"shop/checkout/on-call"}, []string{"shop/search/"})
	waitFor(t, 10*time.Second, "search's routing ConfigMap deleted", func() error {
		err := c.Get(ctx, types.NamespacedName{Namespace: "shop", Name: "pledge-search-routing"}, &corev1.ConfigMap{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (%v)", err)
	})

	// checkout is deleted: its routing leaves the Secret. (Its ConfigMaps carry owner
	// references; the API server's garbage collector, not running in envtest, removes them.)
	if err := c.Delete(ctx, stds[0]); err != nil {
		t.Fatal(err)
	}
	secretHas([]string{"receiver: platform"}, []string{"shop/checkout/"})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// waitFor polls check until it returns nil, or fails the test after timeout with its last error.
func waitFor(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkAmtool has the real amtool check the Secret's configuration, when it is available.
func checkAmtool(t *testing.T, c client.Client, key types.NamespacedName) {
	t.Helper()
	amtool := os.Getenv("AMTOOL")
	if amtool == "" {
		return
	}
	s := &corev1.Secret{}
	if err := c.Get(context.Background(), key, s); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alertmanager.yaml")
	writeFile(t, path, string(s.Data[render.AlertmanagerKey]))
	if out, err := exec.Command(amtool, "check-config", path).CombinedOutput(); err != nil {
		t.Errorf("amtool check-config refuses the Secret's configuration: %v\n%s", err, out)
	}
}
