package procs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pledge-dev/pledge/test/procs"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestPrometheus starts Prometheus with a rule file scraping an Exporter, queries it, reloads
// and restarts it on the same port and TSDB.
func TestPrometheus(t *testing.T) {
	exp := procs.StartExporter(t)
	requests := exp.Counter("test_requests_total", "code", "200").SetRate(10)
	p := procs.StartPrometheus(t, procs.PrometheusOptions{
		ScrapeConfigs: []procs.ScrapeConfig{{JobName: "test", Targets: []string{exp.Target()}}},
		RuleFiles: map[string]string{"rules.yaml": `groups:
  - name: test
    rules:
      - record: test:requests:rate10s
        expr: sum by (job) (rate(test_requests_total[10s]))
`},
	})

	v, err := p.Query(ctx(t), "vector(1)")
	if err != nil || len(v) != 1 || v[0].Value != 1 {
		t.Fatalf("vector(1) = %v, %v", v, err)
	}
	raw, err := p.QueryRaw(ctx(t), "vector(1)")
	if err != nil || !strings.Contains(string(raw), `"status":"success"`) {
		t.Fatalf("raw vector(1) = %s, %v", raw, err)
	}

	// The exporter's counter grows at 10/s; the recording rule sees it.
	p.WaitForQuery(t, `test:requests:rate10s{job="test"} > 5`, procs.NonEmpty, 30*time.Second)
	if v := requests.Value(); v <= 0 {
		t.Fatalf("counter value %v", v)
	}

	// A changed rule file is applied by Reload.
	p.WriteRuleFile("rules.yaml", `groups:
  - name: test
    rules:
      - record: test:reloaded
        expr: vector(42)
`)
	p.Reload()
	p.WaitForQuery(t, `test:reloaded == 42`, procs.NonEmpty, 30*time.Second)

	// Restart keeps the port and the TSDB: the samples recorded before are still there.
	url := p.URL()
	p.Restart()
	if p.URL() != url || !p.Running() {
		t.Fatalf("restart moved Prometheus from %s to %s (running %v)", url, p.URL(), p.Running())
	}
	p.WaitForQuery(t, `count_over_time(test:requests:rate10s[10m]) > 0`, procs.NonEmpty, 30*time.Second)
	p.Stop()
	if p.Running() {
		t.Fatal("prometheus still running after Stop")
	}
}

// TestAlertmanager sends an alert through a real Alertmanager to the Webhook recorder, then
// silences (with amtool when AMTOOL is set) and expires the silence.
func TestAlertmanager(t *testing.T) {
	hook := procs.StartWebhook(t)
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: fmt.Sprintf(`
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 100ms
receivers:
  - name: hook
    webhook_configs:
      - url: %s
        send_resolved: true
`, hook.URL("/hook"))})

	if err := am.PostAlerts(ctx(t), procs.PostableAlert{Labels: map[string]string{"alertname": "Test", "team": "a"}}); err != nil {
		t.Fatal(err)
	}
	n := hook.WaitForFirst(t, "/hook", "firing", 30*time.Second)
	if n.Receiver != "hook" || len(n.Alerts) != 1 || n.Alerts[0].Labels["team"] != "a" {
		t.Fatalf("unexpected notification %+v", n)
	}

	id := am.AddSilence(t, procs.Silence{Matchers: []string{"team=a"}, Duration: time.Hour, Comment: "procs test"})
	alerts := am.WaitForAlerts(t, func(as []procs.Alert) bool {
		return len(as) == 1 && len(as[0].Status.SilencedBy) == 1 && as[0].Status.SilencedBy[0] == id
	}, 30*time.Second, "alertname=Test")
	if alerts[0].Status.State != "suppressed" {
		t.Fatalf("silenced alert in state %q", alerts[0].Status.State)
	}
	am.ExpireSilence(t, id)
	am.WaitForAlerts(t, func(as []procs.Alert) bool {
		return len(as) == 1 && len(as[0].Status.SilencedBy) == 0
	}, 30*time.Second, "alertname=Test")

	// The API path for silences works as well.
	id = am.AddSilenceAPI(t, procs.Silence{Matchers: []string{`team=~"a|b"`}})
	am.WaitForAlerts(t, func(as []procs.Alert) bool {
		return len(as) == 1 && len(as[0].Status.SilencedBy) == 1 && as[0].Status.SilencedBy[0] == id
	}, 30*time.Second, "alertname=Test")
	am.ExpireSilenceAPI(t, id)
}

// TestBackfill writes two hours of history with promtool, starts Prometheus on it, backfills a
// recording rule from it and reads both back after a restart.
func TestBackfill(t *testing.T) {
	promtool := procs.Tool(t, "PROMTOOL")
	end := time.Now().Add(-time.Hour).Truncate(time.Minute)
	start := end.Add(-2 * time.Hour)
	var om strings.Builder
	om.WriteString("# TYPE backfill_value gauge\n")
	for ts := start; !ts.After(end); ts = ts.Add(time.Minute) {
		fmt.Fprintf(&om, "backfill_value{job=\"history\"} %d %d\n", ts.Sub(start)/time.Minute, ts.Unix())
	}
	tsdb := t.TempDir()
	procs.BackfillOpenMetrics(t, promtool, tsdb, om.String())

	p := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: tsdb})
	at := start.Add(30 * time.Minute)
	v, err := p.QueryAt(ctx(t), `backfill_value{job="history"}`, at)
	if err != nil || len(v) != 1 || v[0].Value != 30 {
		t.Fatalf("backfilled value at +30m = %v, %v; want 30", v, err)
	}

	procs.BackfillRules(t, procs.RuleBackfill{
		Promtool: promtool, URL: p.URL(), Start: start, End: end, OutputDir: p.TSDBDir(),
		Rules: `groups:
  - name: backfill
    interval: 1m
    rules:
      - record: backfill:doubled
        expr: backfill_value * 2
`,
	})
	p.Restart()
	// promtool evaluates the group at its own offset within each minute: the latest
	// evaluation before +30m saw the sample of +29m or +30m.
	v, err = p.QueryAt(ctx(t), `backfill:doubled{job="history"}`, at)
	if err != nil || len(v) != 1 || (v[0].Value != model.SampleValue(58) && v[0].Value != model.SampleValue(60)) {
		t.Fatalf("backfilled rule at +30m = %v, %v; want 58 or 60", v, err)
	}
}
