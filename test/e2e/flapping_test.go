package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pledge-dev/pledge/test/procs"
)

const (
	flapTier2 = 20 * time.Second // team-lead of both flapping standards
	flapHold  = 30 * time.Second // keepFiringFor of "flap"; its control "control" keeps 1s
	dipAfter  = 6 * time.Second  // the dip starts this long after the first page
)

// flapStandards are two standards, identical but for keepFiringFor, each on its own job.
func flapStandards(hook func(path string) string) string {
	one := func(name, keep string) string {
		return fmt.Sprintf(`apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: %[1]s, namespace: shop}
spec:
  service: %[1]s
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="%[1]s",code="500"}
        total: http_requests_total{job="%[1]s"}
  alerting:
    keepFiringFor: %[2]s
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: %[3]q, sendResolved: true}]}]
      - name: team-lead
        after: %[4]s
        receivers: [{name: lead, webhookConfigs: [{url: %[5]q, sendResolved: true}]}]
`, name, keep, hook("/"+name+"/tier1"), model.Duration(flapTier2), hook("/"+name+"/tier2"))
	}
	return one("flap", model.Duration(flapHold).String()) + "---\n" + one("control", "1s")
}

// TestEscalationSurvivesFlapping runs a burn that dips below every page threshold for a few
// seconds through a real Prometheus and Alertmanager. With keepFiringFor longer than the dip
// the team lead is called on schedule, 20s after the first page; the control, whose pages
// keep firing only 1s, starts over after the dip. When the burn really ends, the tiers resolve
// keepFiringFor later.
func TestEscalationSurvivesFlapping(t *testing.T) {
	procs.Tool(t, "PROMETHEUS")
	procs.Tool(t, "ALERTMANAGER")
	hook := procs.StartWebhook(t)
	rules, amConfig := renderStandards(t, flapStandards(hook.URL))
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: fastRoot(t, amConfig)})

	type job struct{ ok, bad *procs.Series }
	jobs := map[string]job{}
	var scrapes []procs.ScrapeConfig
	for _, name := range []string{"flap", "control"} {
		e := procs.StartExporter(t)
		jobs[name] = job{ok: e.Counter("http_requests_total", "code", "200").SetRate(50), bad: e.Counter("http_requests_total", "code", "500").SetRate(50)}
		scrapes = append(scrapes, procs.ScrapeConfig{JobName: name, Targets: []string{e.Target()}})
	}
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{
		ScrapeInterval: time.Second, EvaluationInterval: time.Second, ScrapeConfigs: scrapes,
		Alertmanagers: []string{am.URL()}, RuleFiles: map[string]string{"pledge.rules.yaml": string(rules)},
		ExtraFlags: []string{"--rules.alert.resend-delay=1s"},
	})

	// Both burn at 50% errors from the start; wait for both first pages.
	t0 := map[string]time.Time{}
	for _, name := range []string{"flap", "control"} {
		n := hook.WaitForFirst(t, "/"+name+"/tier1", "firing", firstPageTimeout)
		t0[name] = onlyAlert(t, n, "shop/"+name+"/on-call", map[string]string{"escalation_tier": "1", "service_standard": name}).StartsAt
	}
	// The dip: a flood of good requests drowns the errors in every window, so every page
	// condition is false; then a flood of errors brings the burn back within seconds.
	time.Sleep(time.Until(t0["flap"].Add(dipAfter)))
	dip := time.Now()
	for _, j := range jobs {
		j.ok.SetRate(1e9)
	}
	for _, name := range []string{"flap", "control"} {
		// The proof that the dip is real: the 5m error ratio is below the 14.4× page factor.
		prom.WaitForQuery(t, fmt.Sprintf(`pledge:objective_errors:rate5m{service_standard=%q} / pledge:objective_events:rate5m{service_standard=%q} < 0.0144`, name, name),
			procs.NonEmpty, arriveTimeout)
	}
	time.Sleep(3 * time.Second)
	for _, j := range jobs {
		j.ok.SetRate(50)
		j.bad.SetRate(1e10)
	}
	resumed := time.Now()
	t.Logf("dip from %s to %s (first pages %s, %s)", ts(dip), ts(resumed), ts(t0["flap"]), ts(t0["control"]))

	// flap: the team lead on schedule, 20s after the first page, as if nothing had dipped.
	n := hook.WaitForFirst(t, "/flap/tier2", "firing", dueBy(t0["flap"].Add(flapTier2+arriveTimeout)))
	a := onlyAlert(t, n, "shop/flap/team-lead", map[string]string{"escalation_tier": "2", "service_standard": "flap"})
	if got := a.StartsAt.Sub(t0["flap"]); got < flapTier2 || got > flapTier2+3*time.Second {
		t.Errorf("flap tier 2 started %s after the first page, want %s: the dip must not reset it", got, flapTier2)
	}
	t.Logf("flap: tier 2 started %s after the first page", a.StartsAt.Sub(t0["flap"]))
	// control: its pages resolved in the dip, so tier 2 counts again from the resumed burn.
	n = hook.WaitForFirst(t, "/control/tier2", "firing", dueBy(resumed.Add(flapTier2+arriveTimeout)))
	a = onlyAlert(t, n, "shop/control/team-lead", map[string]string{"escalation_tier": "2", "service_standard": "control"})
	if a.StartsAt.Before(dip.Add(flapTier2)) {
		t.Errorf("control tier 2 started at %s, less than %s after the dip at %s: the control must show that the dip resets a tier without keepFiringFor",
			ts(a.StartsAt), flapTier2, ts(dip))
	}
	t.Logf("control: tier 2 started %s after its first page (reset by the dip)", a.StartsAt.Sub(t0["control"]))

	// The burn ends for good: flap's tiers resolve keepFiringFor (30s) later, not before.
	jobs["flap"].bad.SetRate(0)
	jobs["flap"].ok.SetRate(1e15) // drowns the 1e10/s burst of errors at once
	prom.WaitForQuery(t, `pledge:objective_errors:rate5m{service_standard="flap"} / pledge:objective_events:rate5m{service_standard="flap"} < 0.0144`,
		procs.NonEmpty, arriveTimeout)
	cleared := time.Now()
	for _, path := range []string{"/flap/tier1", "/flap/tier2"} {
		r := hook.WaitForFirst(t, path, "resolved", dueBy(cleared.Add(flapHold+arriveTimeout)))
		if r.Received.Before(cleared.Add(flapHold - 2*time.Second)) {
			t.Errorf("%s resolved %s after the burn cleared, before keepFiringFor %s", path, r.Received.Sub(cleared), flapHold)
		}
		t.Logf("%s resolved %s after the burn cleared", path, r.Received.Sub(cleared).Round(time.Millisecond))
	}
}
