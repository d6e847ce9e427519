package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// thanosStandard is one standard with two objectives on job="checkout": availability (99.9%)
// and search (99%, the /search requests).
const thanosStandard = `apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
    - name: search
      target: "99"
      ratio:
        errors: http_requests_total{job="checkout",path="/search",code=~"5.."}
        total: http_requests_total{job="checkout",path="/search"}
`

// recordedHistory is OpenMetrics for the series Pledge records for the objectives of
// shop/checkout, each at its share of errors: 30 days of hourly totals (10 requests a second)
// and 7 hours of 5m rates sampled every minute, ending at at.
func recordedHistory(at time.Time, shares map[string]float64) string {
	var b strings.Builder
	for _, s := range []struct {
		name   string
		step   time.Duration
		span   time.Duration
		value  float64 // events in one step, or per second for rates
		errors bool
	}{
		{render.SeriesErrorsHourly, time.Hour, 30 * 24 * time.Hour, 36_000, true},
		{render.SeriesEventsHourly, time.Hour, 30 * 24 * time.Hour, 36_000, false},
		{render.SeriesErrors, time.Minute, 7 * time.Hour, 10, true},
		{render.SeriesEvents, time.Minute, 7 * time.Hour, 10, false},
	} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", s.name)
		for objective, share := range shares {
			v := s.value
			if s.errors {
				v *= share
			}
			for t := at.Add(-s.span + s.step); !t.After(at); t = t.Add(s.step) {
				fmt.Fprintf(&b, "%s{namespace=\"shop\",service_standard=\"checkout\",service=\"checkout\",objective=%q} %g %d\n",
					s.name, objective, v, t.Unix())
			}
		}
	}
	return b.String()
}

// TestComplianceThroughThanosQuery measures a standard through a Thanos Querier in front of a
// Thanos sidecar and Prometheus, as pledge manager --prometheus-url=<querier> does, and gets
// the same standing as from Prometheus directly: the numbers known from the history.
func TestComplianceThroughThanosQuery(t *testing.T) {
	procs.Tool(t, "THANOS")
	at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, recordedHistory(at, map[string]float64{
		"availability": 0.0008, // 80% of a 0.1% budget spent: AtRisk
		"search":       0.015,  // 1.5% against 1%: Breached
	}))
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{
		TSDBDir:        dir,
		ExternalLabels: map[string]string{"prometheus": "e2e"}, // the sidecar refuses a Prometheus without any
		ExtraFlags:     []string{"--storage.tsdb.retention.time=10y"},
	})
	sidecar := procs.StartThanosSidecar(t, prom, procs.ThanosOptions{})
	query := procs.StartThanosQuery(t, procs.ThanosQueryOptions{Endpoints: []string{sidecar.GRPCAddr()}})
	query.WaitForEndpoints(t, 30*time.Second, sidecar.GRPCAddr())

	resolved := resolveStandards(t, thanosStandard)
	std, err := compliance.FromResolved(resolved[0])
	if err != nil {
		t.Fatal(err)
	}
	measure := func(url string) (compliance.Result, int) {
		t.Helper()
		q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: url, Timeout: 20 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		counting := &compliance.CountingQuerier{Querier: q}
		res, err := compliance.Evaluate(context.Background(), counting, at, []compliance.Standard{std}, compliance.Options{AtRiskBudget: 25, Periods: 3})
		if err != nil {
			t.Fatalf("evaluate through %s: %v", url, err)
		}
		return res["shop/checkout"], counting.N
	}
	direct, directQueries := measure(prom.URL())
	viaThanos, thanosQueries := measure(query.URL())
	t.Logf("%d queries through Thanos Query, %d to Prometheus directly", thanosQueries, directQueries)

	if !reflect.DeepEqual(direct, viaThanos) {
		t.Errorf("the standing through Thanos Query differs from Prometheus's:\nthanos:     %+v\nprometheus: %+v", viaThanos, direct)
	}
	want := map[string]struct {
		state                      pledgev1.ObjectiveState
		attainment, budget, burn1h string
	}{
		"availability": {pledgev1.StateAtRisk, "99.920", "20.0", "0.80"},
		"search":       {pledgev1.StateBreached, "98.500", "-50.0", "1.50"},
	}
	if len(viaThanos.Objectives) != len(want) {
		t.Fatalf("objectives through Thanos Query: %+v, want %d", viaThanos.Objectives, len(want))
	}
	for _, o := range viaThanos.Objectives {
		w := want[o.Name]
		burn1h := ""
		for _, b := range o.BurnRates {
			if b.Window == "1h" {
				burn1h = b.Value
			}
		}
		if o.State != w.state || o.Attainment != w.attainment || o.ErrorBudgetRemaining != w.budget || burn1h != w.burn1h || o.WindowCoverage != "100.0" {
			t.Errorf("%s through Thanos Query: state %s, attainment %q, budget %q, burn 1h %q, coverage %q; want %+v",
				o.Name, o.State, o.Attainment, o.ErrorBudgetRemaining, burn1h, o.WindowCoverage, w)
		}
	}
	// Weights 1 and 1: (99.920 + 98.500) / 2.
	if viaThanos.Score != "99.21" || viaThanos.MinBudget != "-50.0" {
		t.Errorf("through Thanos Query: score %q, min budget %q; want 99.21 and -50.0", viaThanos.Score, viaThanos.MinBudget)
	}
}

// rulerTier2 is the delay of tier 2 of the escalating standard shop/payments.
const rulerTier2 = 10 * time.Second

// paymentsStandard escalates: tier 1 at once (/payments/tier1), tier 2 after rulerTier2
// (/payments/tier2). Its tiers read the pages' ALERTS series.
func paymentsStandard(hook func(path string) string) string {
	return fmt.Sprintf(`apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: payments, namespace: shop}
spec:
  service: payments
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="payments",code=~"5.."}
        total: http_requests_total{job="payments"}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: %q}]}]
      - name: team-lead
        after: %s
        receivers: [{name: lead, webhookConfigs: [{url: %q}]}]
`, hook("/payments/tier1"), model.Duration(rulerTier2), hook("/payments/tier2"))
}

// TestThanosRulerPages runs Pledge's plain rule files — one per standard, as the files target
// writes them — in a Thanos Ruler that evaluates them through a Thanos Querier over a sidecar
// (raw series) and the Ruler itself (recorded series and ALERTS), and sends to a real
// Alertmanager running Pledge's routing: the groups are loaded, the query API shows them as
// RulesLoaded reads them, a burn pages, and an escalating standard's tiers follow.
func TestThanosRulerPages(t *testing.T) {
	procs.Tool(t, "THANOS")
	procs.Tool(t, "ALERTMANAGER")
	hook := procs.StartWebhook(t)
	docs := thanosStandard + "---\n" + paymentsStandard(hook.URL)
	resolved := resolveStandards(t, docs)
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: platformRoot(t, resolved, hook.URL("/pages"))})

	// 50% errors from the start: every burn-rate pair measures the seconds there are and fires.
	checkout, payments := procs.StartExporter(t), procs.StartExporter(t)
	checkout.Counter("http_requests_total", "code", "200", "path", "/").SetRate(50)
	checkout.Counter("http_requests_total", "code", "500", "path", "/").SetRate(50)
	checkout.Counter("http_requests_total", "code", "200", "path", "/search").SetRate(10)
	payments.Counter("http_requests_total", "code", "200").SetRate(50)
	payments.Counter("http_requests_total", "code", "500").SetRate(50)
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{
		ScrapeInterval: time.Second,
		ScrapeConfigs: []procs.ScrapeConfig{
			{JobName: "checkout", Targets: []string{checkout.Target()}},
			{JobName: "payments", Targets: []string{payments.Target()}},
		},
		ExternalLabels: map[string]string{"prometheus": "e2e"},
	})
	sidecar := procs.StartThanosSidecar(t, prom, procs.ThanosOptions{})

	// The Querier lists the Ruler, and the Ruler queries the Querier: the Ruler's gRPC port is
	// chosen first.
	rulerGRPC, err := procs.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	rulerAddr := fmt.Sprintf("127.0.0.1:%d", rulerGRPC)
	query := procs.StartThanosQuery(t, procs.ThanosQueryOptions{Endpoints: []string{sidecar.GRPCAddr(), rulerAddr}})
	ruler := procs.StartThanosRuler(t, procs.ThanosRulerOptions{
		ThanosOptions: procs.ThanosOptions{GRPCPort: rulerGRPC, ExtraFlags: []string{"--resend-delay=1s"}},
		Queries:       []string{query.URL()},
		Alertmanagers: []string{am.URL()},
	})
	query.WaitForEndpoints(t, 30*time.Second, sidecar.GRPCAddr(), rulerAddr)
	// The product delivers the rules: pledge manager --target=files --rules-dir=<the Ruler's
	// rule directory> --prometheus-reload-url=<the Ruler>, on a real API server.
	cfg := procs.StartAPIServer(t, []string{filepath.Join("..", "..", "config", "crd", "bases")})
	startManager(t, cfg, controllers.Options{Target: controllers.TargetFiles,
		Files: controllers.FilesOptions{RulesDir: ruler.RuleDir(), PrometheusReloadURL: ruler.URL()}})
	c, err := client.New(cfg, client.Options{Scheme: controllers.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, c, "shop")
	for _, doc := range strings.Split(docs, "---\n") {
		std := &pledgev1.ServiceStandard{}
		if err := sigsyaml.Unmarshal([]byte(doc), std); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(context.Background(), std); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, c, client.ObjectKeyFromObject(std), pledgev1.ConditionReady, metav1.ConditionTrue, pledgev1.ReasonApplied, 30*time.Second)
		if _, err := os.Stat(filepath.Join(ruler.RuleDir(), controllers.RuleFileName(client.ObjectKeyFromObject(std)))); err != nil {
			t.Fatalf("the files target wrote no rule file for %s: %v", std.Name, err)
		}
	}
	started := time.Now()

	// Every generated group is loaded in the Ruler, and the Querier's rules API — what
	// pledge manager --prometheus-url=<querier> reads for RulesLoaded — shows them too.
	for name, url := range map[string]string{"thanos rule": ruler.URL(), "thanos query": query.URL()} {
		q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: url, Timeout: 10 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		groups, err := q.LoadedRuleGroups(context.Background(), render.ClusterLabel{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, std := range resolved {
			status, reason, msg := compliance.Running{Groups: groups}.RulesLoaded(compliance.WantLive(std), time.Hour, 0)
			if status != "True" {
				t.Errorf("%s /api/v1/rules, %s: RulesLoaded %s %s: %s (groups %v)", name, std.Name, status, reason, msg, groups)
			}
		}
	}

	// checkout has no escalation: its burn pages through the platform's root route. The Ruler
	// evaluated the page pair on rates it recorded itself.
	var page procs.WebhookAlert
	hook.WaitFor(t, func(ns []procs.Notification) bool {
		for _, n := range ns {
			for _, a := range n.Alerts {
				if n.Path == "/pages" && a.Status == "firing" && a.Labels["alertname"] == render.AlertBurnRate && a.Labels["severity"] == "page" {
					page = a
					return true
				}
			}
		}
		return false
	}, 2*time.Minute)
	t.Logf("checkout page notified %s after the Ruler loaded the rules: %v", time.Since(started).Round(time.Millisecond), page.Labels)
	for k, v := range map[string]string{"service_standard": "checkout", "namespace": "shop", "service": "checkout", "objective": "availability"} {
		if page.Labels[k] != v {
			t.Errorf("page label %s = %q, want %q (labels %v)", k, page.Labels[k], v, page.Labels)
		}
	}
	if page.Annotations["summary"] == "" || page.Annotations["description"] == "" {
		t.Errorf("page lacks summary/description: %v", page.Annotations)
	}

	// payments escalates: tier 1 with its first page, tier 2 not before its delay. The tiers
	// read the pages' ALERTS, which only the Ruler's own store holds.
	tier1 := hook.WaitForFirst(t, "/payments/tier1", "firing", time.Minute)
	a1 := onlyAlert(t, tier1, "shop/payments/on-call", map[string]string{
		"alertname": render.AlertEscalation, "escalation_tier": "1", "service_standard": "payments", "severity": "page"})
	tier2 := hook.WaitForFirst(t, "/payments/tier2", "firing", rulerTier2+time.Minute)
	a2 := onlyAlert(t, tier2, "shop/payments/team-lead", map[string]string{
		"alertname": render.AlertEscalation, "escalation_tier": "2", "service_standard": "payments"})
	t.Logf("payments: tier 1 notified %s after the rules loaded; tier 2 started %s after tier 1",
		tier1.Received.Sub(started).Round(time.Millisecond), a2.StartsAt.Sub(a1.StartsAt))
	if got := a2.StartsAt.Sub(a1.StartsAt); got < rulerTier2 {
		t.Errorf("tier 2 started %s after tier 1, want at least its delay %s", got, rulerTier2)
	}

	// The recorded series and ALERTS are the Ruler's: the Querier has them, Prometheus does not.
	for _, q := range []string{
		fmt.Sprintf(`%s{service_standard="checkout",objective="availability"}`, render.SeriesErrors),
		fmt.Sprintf(`ALERTS{alertname=%q,service_standard="payments",alertstate="firing"}`, render.AlertBurnRate),
	} {
		query.WaitForQuery(t, q, procs.NonEmpty, 10*time.Second)
		if v, err := prom.Query(context.Background(), q); err != nil || len(v) > 0 {
			t.Errorf("Prometheus has %s: %v (error %v); only the Ruler writes it here", q, v, err)
		}
	}
	// The search objective is within its budget (no errors): it must not page.
	for _, n := range hook.Received("/pages") {
		for _, a := range n.Alerts {
			if a.Labels["objective"] == "search" {
				t.Errorf("search paged without errors: %v", a.Labels)
			}
		}
	}
}

// platformRoot is Pledge's rendered Alertmanager configuration for the standards at test
// speed (fastRoot), with the platform's own receiver at the root, a webhook to url: alerts of
// standards without escalation reach it, as they would reach a platform team's default route.
func platformRoot(t *testing.T, standards []*render.Standard, url string) string {
	t.Helper()
	b, err := render.AlertmanagerFile(standards, render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(fastRoot(t, b)), &cfg); err != nil {
		t.Fatal(err)
	}
	receivers, _ := cfg["receivers"].([]any)
	found := false
	for _, r := range receivers {
		if r, ok := r.(map[string]any); ok && r["name"] == render.DefaultReceiver {
			r["webhook_configs"] = []any{map[string]any{"url": url}}
			found = true
		}
	}
	if !found {
		t.Fatalf("the rendered configuration has no receiver %s:\n%s", render.DefaultReceiver, b)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
