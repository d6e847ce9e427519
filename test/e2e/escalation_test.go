package e2e

import (
	"testing"
	"time"

	"github.com/pledge-dev/pledge/test/procs"
)

// Timing margins. "Should arrive" waits are generous, for a loaded two-core machine; "must not
// arrive before" checks subtract a small margin from the delay that is being proven.
const (
	firstPageTimeout = 90 * time.Second // Prometheus start, first scrapes, first evaluation, group_wait
	arriveTimeout    = 30 * time.Second // after the moment something is due
	earlyMargin      = time.Second      // "not before delay": at least delay − earlyMargin after the page started
	quietFor         = 5 * time.Second  // watch for a notification that must not come: group_wait 1s + group_interval 1s, several times over
)

// TestEscalation runs the rendered rules and routing in a real Prometheus and Alertmanager:
// the exporter burns the error budget of two standards at 50% errors, and the webhook recorder
// shows who is told what, and when.
func TestEscalation(t *testing.T) {
	procs.Tool(t, "PROMETHEUS")
	procs.Tool(t, "ALERTMANAGER")
	procs.Tool(t, "AMTOOL") // the silence is added with the real amtool, as docs/escalation.md shows

	hook := procs.StartWebhook(t)
	now := time.Now()
	rules, amConfig := renderStandards(t, standardsYAML(hook.URL, now))
	// The same standards rendered three days later: their never-now interval then covers
	// today and tomorrow. Loaded into Alertmanager, it is the control for tier 3.
	_, amControl := renderStandards(t, standardsYAML(hook.URL, now.Add(72*time.Hour)))
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: fastRoot(t, amConfig)})

	// 50% errors from the start: a burn rate of 500 against a 99.9% target. With seconds of
	// history every window measures the seconds there are, so every pair fires at once:
	// page-fast, page-slow and the ticket.
	checkout, payments := procs.StartExporter(t), procs.StartExporter(t)
	checkoutOK := checkout.Counter("http_requests_total", "code", "200").SetRate(50)
	checkoutErr := checkout.Counter("http_requests_total", "code", "500").SetRate(50)
	payments.Counter("http_requests_total", "code", "200").SetRate(50)
	payments.Counter("http_requests_total", "code", "500").SetRate(50)

	prom := procs.StartPrometheus(t, procs.PrometheusOptions{
		ScrapeInterval: time.Second, EvaluationInterval: time.Second,
		ScrapeConfigs: []procs.ScrapeConfig{
			{JobName: "checkout", Targets: []string{checkout.Target()}},
			{JobName: "payments", Targets: []string{payments.Target()}},
		},
		Alertmanagers: []string{am.URL()},
		RuleFiles:     map[string]string{"pledge.rules.yaml": string(rules)},
		ExtraFlags:    []string{"--rules.alert.resend-delay=1s"},
	})
	started := time.Now()
	t.Cleanup(func() {
		t.Logf("escalation test ran %s after Prometheus was ready", time.Since(started).Round(time.Millisecond))
	})

	t.Run("tiers, informed, tickets, time interval, resolution", func(t *testing.T) {
		t.Parallel()
		escalationScenario(t, hook, am, prom, fastRoot(t, amControl), func() {
			// Recovery: errors stop and traffic grows by orders of magnitude, so every window's
			// error ratio falls below its threshold at the next scrape.
			checkoutErr.SetRate(0)
			checkoutOK.SetRate(1e9)
		})
	})
	t.Run("a silence on service_standard stops later tiers", func(t *testing.T) {
		t.Parallel()
		silenceScenario(t, hook, am, prom)
	})
}

func escalationScenario(t *testing.T, hook *procs.Webhook, am *procs.Alertmanager, prom *procs.Prometheus, activeNow string, recover func()) {
	// Tier 1: the first page.
	tier1 := hook.WaitForFirst(t, "/tier1", "firing", firstPageTimeout)
	a1 := onlyAlert(t, tier1, "shop/checkout/on-call", map[string]string{
		"alertname": "PledgeEscalation", "escalation_tier": "1", "escalation_tier_name": "on-call", "severity": "page",
		"service_standard": "checkout", "namespace": "shop", "service": "checkout", "objective": "availability",
	})
	if a1.Annotations["summary"] == "" || a1.Annotations["description"] == "" {
		t.Errorf("tier 1 alert lacks summary/description: %v", a1.Annotations)
	}
	// t0 is Prometheus's evaluation time at which the page condition first held: tier 1
	// (after 0m) fired then, and every later tier's delay counts from it.
	t0 := a1.StartsAt
	t.Logf("tier 1 (on-call) notified %s after the page started", tier1.Received.Sub(t0).Round(time.Millisecond))

	// Informed: a copy of tier 1, at the same time.
	informed := hook.WaitForFirst(t, "/informed", "firing", arriveTimeout)
	onlyAlert(t, informed, "shop/checkout/informed", map[string]string{"escalation_tier": "1", "service_standard": "checkout"})
	t.Logf("informed notified %s after the page started", informed.Received.Sub(t0).Round(time.Millisecond))
	if informed.Received.After(t0.Add(checkoutTier2 - earlyMargin)) {
		t.Errorf("informed was notified at %s, not with tier 1 (page started %s)", ts(informed.Received), ts(t0))
	}

	// Tickets: the ticket pair fires as well (50% errors burn far above 1x), but while the
	// objective pages the ticket is inhibited.
	prom.WaitForQuery(t, `ALERTS{alertname="PledgeErrorBudgetBurn",service_standard="checkout",severity="ticket",alertstate="firing"}`,
		procs.NonEmpty, arriveTimeout)
	ticket := am.WaitForAlerts(t, func(as []procs.Alert) bool {
		return len(as) > 0 && len(as[0].Status.InhibitedBy) > 0
	}, arriveTimeout, `service_standard="checkout"`, `severity="ticket"`)
	t.Logf("the ticket fired and is %s in Alertmanager, inhibited by %v", ticket[0].Status.State, ticket[0].Status.InhibitedBy)

	// Tier 2: not before its delay, and soon after it.
	tier2 := hook.WaitForFirst(t, "/tier2", "firing", dueBy(t0.Add(checkoutTier2+arriveTimeout)))
	a2 := onlyAlert(t, tier2, "shop/checkout/team-lead", map[string]string{
		"alertname": "PledgeEscalation", "escalation_tier": "2", "escalation_tier_name": "team-lead", "service_standard": "checkout",
	})
	t.Logf("tier 2 (team-lead, after %s) notified %s after the page started, %s after tier 1; its alert started %s after tier 1's",
		checkoutTier2, tier2.Received.Sub(t0).Round(time.Millisecond), tier2.Received.Sub(tier1.Received).Round(time.Millisecond),
		a2.StartsAt.Sub(t0))
	if tier2.Received.Before(t0.Add(checkoutTier2 - earlyMargin)) {
		t.Errorf("tier 2 notified at %s, before its delay %s from the page start %s", ts(tier2.Received), checkoutTier2, ts(t0))
	}
	if tier2.Received.Before(tier1.Received.Add(checkoutTier2 - 3*earlyMargin)) {
		t.Errorf("tier 2 notified %s after tier 1, want at least %s", tier2.Received.Sub(tier1.Received), checkoutTier2-3*earlyMargin)
	}
	if got := a2.StartsAt.Sub(t0); got < checkoutTier2 {
		t.Errorf("tier 2 alert started %s after tier 1's, want at least its delay %s", got, checkoutTier2)
	}

	// Tier 3: Prometheus fires it after 40s and Alertmanager holds it, but its route is active
	// only in never-now, which excludes today: nobody is called.
	prom.WaitForQuery(t, `ALERTS{alertname="PledgeEscalation",service_standard="checkout",escalation_tier="3",alertstate="firing"}`,
		procs.NonEmpty, dueBy(t0.Add(checkoutTier3+arriveTimeout)))
	a3 := am.WaitForAlerts(t, func(as []procs.Alert) bool { return len(as) == 1 },
		arriveTimeout, `service_standard="checkout"`, `escalation_tier="3"`)
	t.Logf("tier 3 (director, after %s) reached Alertmanager (state %s, muted by %v); watching /tier3 for %s",
		checkoutTier3, a3[0].Status.State, a3[0].Status.MutedBy, quietFor)
	time.Sleep(quietFor)
	if got := hook.Received("/tier3"); len(got) > 0 {
		t.Errorf("tier 3 was notified outside its active time interval:\n%s", hook.Dump())
	}
	if got := hook.Received("/tickets"); len(got) > 0 {
		t.Errorf("tickets were notified while the objective paged:\n%s", hook.Dump())
	}
	for _, n := range hook.Received("/informed") {
		for _, a := range n.Alerts {
			if a.Labels["escalation_tier"] != "1" {
				t.Errorf("informed got a copy of tier %s: informed receivers are never paged by later tiers", a.Labels["escalation_tier"])
			}
		}
	}

	// Control: with the interval moved over today (the same standards rendered three days
	// later), Alertmanager calls the director within moments — the time interval, nothing
	// else, kept tier 3 quiet.
	am.WriteConfig(activeNow)
	am.Reload()
	reloaded := time.Now()
	n3 := hook.WaitForFirst(t, "/tier3", "firing", arriveTimeout)
	onlyAlert(t, n3, "shop/checkout/director", map[string]string{"escalation_tier": "3", "escalation_tier_name": "director", "service_standard": "checkout"})
	t.Logf("tier 3 notified %s after its interval was made active", n3.Received.Sub(reloaded).Round(time.Millisecond))

	// Recovery: the page resolves and the notified tiers are told so.
	recovered := time.Now()
	recover()
	for _, path := range []string{"/tier1", "/tier2", "/tier3", "/informed"} {
		n := hook.WaitForFirst(t, path, "resolved", arriveTimeout)
		if len(n.Alerts) != 1 || n.Alerts[0].Status != "resolved" {
			t.Errorf("%s resolved notification: %+v", path, n)
		}
		t.Logf("%s resolved %s after recovery", path, n.Received.Sub(recovered).Round(time.Millisecond))
	}
}

func silenceScenario(t *testing.T, hook *procs.Webhook, am *procs.Alertmanager, prom *procs.Prometheus) {
	tier1 := hook.WaitForFirst(t, "/payments/tier1", "firing", firstPageTimeout)
	a1 := onlyAlert(t, tier1, "shop/payments/on-call", map[string]string{"escalation_tier": "1", "service_standard": "payments"})
	t0 := a1.StartsAt

	// The on-call engineer acknowledges, exactly as docs/escalation.md shows.
	id := am.AddSilence(t, procs.Silence{
		Matchers: []string{"service_standard=payments", "namespace=shop"},
		Comment:  "payments: investigating, INC-1234", Duration: 2 * time.Hour,
	})
	silenced := time.Now()
	t.Logf("silence %s added %s after the page started", id, silenced.Sub(t0).Round(time.Millisecond))
	if silenced.After(t0.Add(paymentsTier2 - 3*time.Second)) {
		t.Fatalf("the silence was added %s after the page started, too close to tier 2's delay %s to prove anything",
			silenced.Sub(t0), paymentsTier2)
	}

	// Tier 2 fires in Prometheus and reaches Alertmanager, silenced by that silence...
	prom.WaitForQuery(t, `ALERTS{alertname="PledgeEscalation",service_standard="payments",escalation_tier="2",alertstate="firing"}`,
		procs.NonEmpty, dueBy(t0.Add(paymentsTier2+arriveTimeout)))
	am.WaitForAlerts(t, func(as []procs.Alert) bool {
		return len(as) == 1 && len(as[0].Status.SilencedBy) == 1 && as[0].Status.SilencedBy[0] == id
	}, arriveTimeout, `service_standard="payments"`, `escalation_tier="2"`)
	// ...and nobody is called.
	time.Sleep(quietFor)
	if got := hook.Received("/payments/tier2"); len(got) > 0 {
		t.Fatalf("tier 2 was notified despite the silence on service_standard=payments:\n%s", hook.Dump())
	}
	for _, n := range hook.Received("/payments/tier1") {
		if n.Received.After(silenced) {
			t.Errorf("tier 1 notified again after the silence: %s %s", ts(n.Received), n.Status)
		}
	}

	// Control: once the silence expires, tier 2 is notified — the route was there all along
	// and the silence was what held it back.
	am.ExpireSilence(t, id)
	expired := time.Now()
	n := hook.WaitForFirst(t, "/payments/tier2", "firing", arriveTimeout)
	onlyAlert(t, n, "shop/payments/team-lead", map[string]string{"escalation_tier": "2", "service_standard": "payments"})
	t.Logf("tier 2 notified %s after the silence expired", n.Received.Sub(expired).Round(time.Millisecond))
}

// onlyAlert checks a notification's receiver and that it carries one alert with the labels,
// and returns that alert.
func onlyAlert(t *testing.T, n procs.Notification, receiver string, labels map[string]string) procs.WebhookAlert {
	t.Helper()
	if n.Receiver != receiver {
		t.Fatalf("%s: receiver %q, want %q", n.Path, n.Receiver, receiver)
	}
	if len(n.Alerts) != 1 {
		t.Fatalf("%s: %d alerts, want 1: %+v", n.Path, len(n.Alerts), n.Alerts)
	}
	a := n.Alerts[0]
	for k, v := range labels {
		if a.Labels[k] != v {
			t.Fatalf("%s: label %s=%q, want %q (labels %v)", n.Path, k, a.Labels[k], v, a.Labels)
		}
	}
	return a
}

// dueBy is the time left until deadline, at least a few seconds so that a check that is
// already late still looks once more.
func dueBy(deadline time.Time) time.Duration { return max(time.Until(deadline), 3*time.Second) }

func ts(t time.Time) string { return t.Format("15:04:05.000") }
