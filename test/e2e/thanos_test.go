package e2e

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
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

// TestThanosRulerPages runs Pledge's plain rule file for one standard — the file the files
// target writes — in a Thanos Ruler that evaluates it through a Thanos Querier over a sidecar
// (raw series) and the Ruler itself (recorded series), and sends to a real Alertmanager: the
// groups are loaded, the query API shows them as RulesLoaded reads them, and a burn pages.
func TestThanosRulerPages(t *testing.T) {
	procs.Tool(t, "THANOS")
	procs.Tool(t, "ALERTMANAGER")
	hook := procs.StartWebhook(t)
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, service_standard, severity]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{url: %q}]
`, hook.URL("/pages"))})

	resolved := resolveStandards(t, thanosStandard)
	rules, err := render.RulesFile(resolved[:1])
	if err != nil {
		t.Fatal(err)
	}

	// 50% errors from the start: every burn-rate pair measures the seconds there are and fires.
	exporter := procs.StartExporter(t)
	exporter.Counter("http_requests_total", "code", "200", "path", "/").SetRate(50)
	exporter.Counter("http_requests_total", "code", "500", "path", "/").SetRate(50)
	exporter.Counter("http_requests_total", "code", "200", "path", "/search").SetRate(10)
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{
		ScrapeInterval: time.Second,
		ScrapeConfigs:  []procs.ScrapeConfig{{JobName: "checkout", Targets: []string{exporter.Target()}}},
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
	// As the files target delivers: the standard's file is written into the rules directory,
	// then the Ruler is told to reload (pledge manager --prometheus-reload-url=<ruler>).
	ruler.WriteRuleFile("shop_checkout.rules.yaml", string(rules))
	ruler.Reload()
	started := time.Now()

	// Every generated group is loaded in the Ruler, and the Querier's rules API — what
	// pledge manager --prometheus-url=<querier> reads for RulesLoaded — shows them too.
	live := compliance.WantLive(resolved[0])
	for name, url := range map[string]string{"thanos rule": ruler.URL(), "thanos query": query.URL()} {
		q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: url, Timeout: 10 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		groups, err := q.LoadedRuleGroups(context.Background(), render.ClusterLabel{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		status, reason, msg := compliance.Running{Groups: groups}.RulesLoaded(live, time.Hour, 0)
		if status != "True" {
			t.Errorf("%s /api/v1/rules: RulesLoaded %s %s: %s (groups %v)", name, status, reason, msg, groups)
		}
	}

	// The burn pages: the Ruler evaluated the page pair on series it recorded itself.
	n := hook.WaitFor(t, func(ns []procs.Notification) bool {
		for _, n := range ns {
			if n.Status == "firing" && n.CommonLabels["alertname"] == render.AlertBurnRate && n.CommonLabels["severity"] == "page" {
				return true
			}
		}
		return false
	}, 2*time.Minute)
	var page procs.WebhookAlert
	for _, got := range n {
		for _, a := range got.Alerts {
			if a.Labels["alertname"] == render.AlertBurnRate && a.Labels["severity"] == "page" && page.Labels == nil {
				page = a
			}
		}
	}
	t.Logf("page notified %s after the Ruler loaded the rules: %v", time.Since(started).Round(time.Millisecond), page.Labels)
	for k, v := range map[string]string{"service_standard": "checkout", "namespace": "shop", "service": "checkout", "objective": "availability"} {
		if page.Labels[k] != v {
			t.Errorf("page label %s = %q, want %q (labels %v)", k, page.Labels[k], v, page.Labels)
		}
	}
	if page.Annotations["summary"] == "" || page.Annotations["description"] == "" {
		t.Errorf("page lacks summary/description: %v", page.Annotations)
	}

	// The recorded series are the Ruler's: the Querier has them, Prometheus does not.
	recorded := fmt.Sprintf(`%s{service_standard="checkout",objective="availability"}`, render.SeriesErrors)
	query.WaitForQuery(t, recorded, procs.NonEmpty, 10*time.Second)
	if v, err := prom.Query(context.Background(), recorded); err != nil || len(v) > 0 {
		t.Errorf("Prometheus has %s: %v (error %v); only the Ruler records it here", recorded, v, err)
	}
	// The search objective is within its budget (no errors): it must not page.
	for _, got := range hook.Received("/pages") {
		for _, a := range got.Alerts {
			if a.Labels["objective"] == "search" {
				t.Errorf("search paged without errors: %v", a.Labels)
			}
		}
	}
}
