package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// filesBase is the platform team's own Alertmanager configuration: timers fast enough for a
// test, and a receiver of its own that Pledge's routes must not disturb.
const filesBase = `route:
  receiver: platform
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: platform
`

const filesTier2 = 15 * time.Second

func filesStandard(hook func(string) string, tier2 time.Duration) string {
	return fmt.Sprintf(`apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="checkout",code="500"}
        total: http_requests_total{job="checkout"}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: %q, sendResolved: true}]}]
      - name: team-lead
        after: %s
        receivers: [{name: lead, webhookConfigs: [{url: %q, sendResolved: true}]}]
`, hook("/tier1"), tier2.String(), hook("/tier2"))
}

// TestFilesTarget runs pledge's manager with --target=files against an API server without the
// prometheus-operator CRDs, a real Prometheus reading the rules directory and a real
// Alertmanager reading the written configuration: the rule groups load, a burn pages and the
// tiers are notified in order; a configuration Alertmanager refuses is put back and reported on
// the standard, and delivered once the base is fixed; deleting the standard removes its files.
func TestFilesTarget(t *testing.T) {
	procs.Tool(t, "PROMETHEUS")
	procs.Tool(t, "ALERTMANAGER")
	cfg := procs.StartAPIServer(t, []string{filepath.Join("..", "..", "config", "crd", "bases")})
	hook := procs.StartWebhook(t)

	dir := t.TempDir()
	rulesDir, base := filepath.Join(dir, "rules"), filepath.Join(dir, "base.yml")
	writeFile(t, base, filesBase)
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: filesBase})
	e := procs.StartExporter(t)
	ok, bad := e.Counter("http_requests_total", "code", "200").SetRate(50), e.Counter("http_requests_total", "code", "500").SetRate(0)
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{Config: fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
alerting: {alertmanagers: [{static_configs: [{targets: [%q]}]}]}
scrape_configs: [{job_name: checkout, static_configs: [{targets: [%q]}]}]
`, filepath.Join(rulesDir, "*.yaml"), am.Addr(), e.Target()), ExtraFlags: []string{"--rules.alert.resend-delay=1s"}})

	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	startManager(t, cfg, controllers.Options{Target: controllers.TargetFiles,
		Files: controllers.FilesOptions{RulesDir: rulesDir, AlertmanagerConfigFile: am.ConfigPath(), AlertmanagerBaseConfig: base,
			PrometheusReloadURL: prom.URL(), AlertmanagerReloadURL: am.URL()},
		Liveness: &controllers.LivenessChecker{Interval: time.Second, Grace: time.Minute, Prometheus: q,
			Alertmanager: compliance.NewAlertmanagerReader(am.URL(), 10*time.Second)}})
	c, err := client.New(cfg, client.Options{Scheme: controllers.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, c, "shop")
	std := &pledgev1.ServiceStandard{}
	if err := yaml.Unmarshal([]byte(filesStandard(hook.URL, filesTier2)), std); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, std); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: "shop", Name: "checkout"}

	// Delivered and running: Ready, the rule groups in Prometheus's API, RulesLoaded from both.
	waitCondition(t, c, key, pledgev1.ConditionReady, metav1.ConditionTrue, "", 30*time.Second)
	waitCondition(t, c, key, pledgev1.ConditionRulesLoaded, metav1.ConditionTrue, pledgev1.ReasonLoaded, 30*time.Second)
	groups, err := q.LoadedRuleGroups(ctx, render.ClusterLabel{})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) == 0 {
		t.Fatalf("Prometheus shows no rule group loaded from %s", rulesDir)
	}
	if _, err := os.Stat(filepath.Join(rulesDir, "shop_checkout.rules.yaml")); err != nil {
		t.Fatal(err)
	}

	// A burn pages tier 1, then tier 2 filesTier2 later.
	bad.SetRate(50)
	n1 := hook.WaitForFirst(t, "/tier1", "firing", firstPageTimeout)
	first := onlyAlert(t, n1, "shop/checkout/on-call", map[string]string{"escalation_tier": "1", "service_standard": "checkout"}).StartsAt
	n2 := hook.WaitForFirst(t, "/tier2", "firing", dueBy(first.Add(filesTier2+arriveTimeout)))
	second := onlyAlert(t, n2, "shop/checkout/team-lead", map[string]string{"escalation_tier": "2", "service_standard": "checkout"}).StartsAt
	if got := second.Sub(first); got < filesTier2 || got > filesTier2+5*time.Second {
		t.Errorf("tier 2 started %s after tier 1, want %s", got, filesTier2)
	}
	bad.SetRate(0)
	ok.SetRate(1e12)

	// The platform team breaks its base (Alertmanager refuses a group_wait it cannot parse);
	// the next change of the standard is refused by Alertmanager, put back and reported.
	running, err := os.ReadFile(am.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, base, strings.Replace(filesBase, "group_wait: 1s", "group_wait: soon", 1))
	if err := c.Get(ctx, key, std); err != nil {
		t.Fatal(err)
	}
	std.Spec.Escalation.Tiers[1].RepeatInterval = "2h" // a change of the routing, not only of the rules
	if err := c.Update(ctx, std); err != nil {
		t.Fatal(err)
	}
	cond := waitCondition(t, c, key, pledgev1.ConditionReady, metav1.ConditionFalse, pledgev1.ReasonReloadFailed, 30*time.Second)
	if !strings.Contains(cond.Message, "alertmanager") || !strings.Contains(cond.Message, "put back") {
		t.Errorf("Ready message does not say what was refused and that the files were put back: %s", cond.Message)
	}
	if now, err := os.ReadFile(am.ConfigPath()); err != nil || string(now) != string(running) {
		t.Errorf("the refused configuration was not put back (err %v):\n%s", err, now)
	}
	// Fixed base: the retry delivers it.
	writeFile(t, base, filesBase)
	waitCondition(t, c, key, pledgev1.ConditionReady, metav1.ConditionTrue, "", time.Minute)
	if now, _ := os.ReadFile(am.ConfigPath()); !strings.Contains(string(now), "repeat_interval: 2h") {
		t.Errorf("the fixed configuration does not hold the new repeat interval:\n%s", now)
	}

	// Deleting the standard removes its rule file and its routing.
	if err := c.Delete(ctx, std); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(rulesDir, "shop_checkout.rules.yaml"))
		cfgNow, _ := os.ReadFile(am.ConfigPath())
		if os.IsNotExist(err) && !strings.Contains(string(cfgNow), "shop/checkout/") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deleted standard's files remain (rule file: %v):\n%s", err, cfgNow)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startManager runs Pledge's manager (controllers.NewManager and Setup, as pledge manager does)
// with the options until the test ends.
func startManager(t *testing.T, cfg *rest.Config, o controllers.Options) {
	t.Helper()
	mgr, err := controllers.NewManager(cfg, ctrl.Options{Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		// Each test runs its own manager in this process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Metrics == nil {
		o.Metrics = controllers.NewMetrics(prometheus.NewRegistry())
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := controllers.Setup(ctx, mgr, o); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func createNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	nsObj := &corev1.Namespace{}
	nsObj.Name = name
	if err := c.Create(context.Background(), nsObj); err != nil {
		t.Fatal(err)
	}
}

// waitCondition waits for a condition of the standard to have the status (and the reason,
// unless empty) at the standard's current generation, and returns it.
func waitCondition(t *testing.T, c client.Client, key types.NamespacedName, typ string, status metav1.ConditionStatus, reason string, timeout time.Duration) metav1.Condition {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *metav1.Condition
	for {
		std := &pledgev1.ServiceStandard{}
		if err := c.Get(context.Background(), key, std); err == nil {
			last = meta.FindStatusCondition(std.Status.Conditions, typ)
			if last != nil && last.Status == status && (reason == "" || last.Reason == reason) && last.ObservedGeneration == std.Generation {
				return *last
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s of %s is not %s/%s after %s: %+v", typ, key, status, reason, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
