package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pledge-dev/pledge/internal/render"
)

// routeLabel is the groupBy label of the grouped standards.
const routeLabel = "route"

// routeKey is the alert key of an alert of one route value.
func routeKey(k, route string) string { return k + " route=" + route }

// groupedStandard has the same requests measured twice: per route (groupBy) and as a whole.
const groupedStandard = `
metadata: {name: api, namespace: shop}
spec:
  service: api
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      groupBy: [route]
      ratio:
        errors: http_requests_total{job="api",code="500"}
        total: http_requests_total{job="api"}
    - name: availability-all
      target: "99.9"
      ratio:
        errors: http_requests_total{job="api",code="500"}
        total: http_requests_total{job="api"}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: "http://pager.test/"}]}]
      - name: team-lead
        after: 30m
        receivers: [{name: lead, webhookConfigs: [{url: "http://lead.test/"}]}]
      - name: head
        after: 2h
        receivers: [{name: head, webhookConfigs: [{url: "http://head.test/"}]}]
`

// routeTraffic is rps requests per second on route, of which errShare(at) fail.
func routeTraffic(route string, rps float64, errShare func(time.Duration) float64) []series {
	return []series{
		{labels: labels.FromStrings("__name__", "http_requests_total", "job", "api", "route", route, "code", "200"),
			rate: func(at time.Duration) float64 { return rps * (1 - errShare(at)) }},
		{labels: labels.FromStrings("__name__", "http_requests_total", "job", "api", "route", route, "code", "500"),
			rate: func(at time.Duration) float64 { return rps * errShare(at) }},
	}
}

// TestGroupByAlertsEachValueOnItsOwn: three routes, one of them burning. /pay (1 req/s) fails
// 2% of its requests from warm on, a 20× burn of its 0.1% budget; /cart (10 req/s) fails 0.05%
// (0.5×), /search (100 req/s) never. Over all 111 req/s the error ratio is 0.025/111 = 0.023%,
// a 0.23× burn: the ungrouped objective over the same series never alerts, the grouped one
// pages for /pay as an objective of its own would, and its tiers escalate from /pay's page.
func TestGroupByAlertsEachValueOnItsOwn(t *testing.T) {
	t.Parallel()
	std := resolve(t, groupedStandard)
	warm := 6 * time.Hour
	var in []series
	in = append(in, routeTraffic("/pay", 1, stepFn(0, 0.02, warm, 0))...)
	in = append(in, routeTraffic("/cart", 10, constant(0.0005))...)
	in = append(in, routeTraffic("/search", 100, constant(0))...)
	d := warm + 3*time.Hour
	tl := simulate(t, []*render.Standard{std}, in, d, time.Minute)

	pay := func(k string) string { return routeKey(k, "/pay") }
	// As for one objective at 2% (TestBurnRateAlertsFireWhenTheMathSays): page-fast once the 1h
	// ratio passes 1.44%, 43.2m in; page-slow once the 6h ratio passes 0.6%, 108m in.
	within(t, "/pay page-fast", tl.first(pay(key("availability", pageFast))), warm+40*time.Minute, warm+47*time.Minute)
	within(t, "/pay page-slow", tl.first(pay(key("availability", pageSlow))), warm+104*time.Minute, warm+112*time.Minute)
	// The ticket pair: the 6h short window passes 0.1% after 6h/20 = 18m, the 3d window (6h of
	// history) after 6h/19 ≈ 19m.
	within(t, "/pay ticket", tl.first(pay(key("availability", ticket))), warm+18*time.Minute, warm+22*time.Minute)
	// The tiers follow /pay's first page: tier 1 with it, tier 2 30m and tier 3 2h later.
	page := tl.first(pay(key("availability", pageFast)))
	if tier1 := tl.first(pay("availability tier1")); tier1 != page {
		t.Errorf("/pay tier 1 must fire with /pay's first page: tier 1 at %v, page at %v", tier1, page)
	}
	within(t, "/pay tier 2", tl.first(pay("availability tier2")), page+30*time.Minute-time.Minute, page+31*time.Minute)
	within(t, "/pay tier 3", tl.first(pay("availability tier3")), page+2*time.Hour-time.Minute, page+2*time.Hour+time.Minute)
	// The budget: after the first hour at 2% the window holds 6h clean and 1h at 2%, an error
	// ratio of 0.29%, nearly three budgets: both tickets fire on the first hour past warm+1h.
	within(t, "/pay budget<=25", tl.first(pay(budgetKey("availability", "25"))), warm+time.Hour, warm+time.Hour)
	within(t, "/pay budget<=0", tl.first(pay(budgetKey("availability", "0"))), warm+time.Hour, warm+time.Hour)

	// Nothing else ever fires: not the other routes, not the whole.
	for _, k := range tl.keys() {
		if !strings.HasSuffix(k, " route=/pay") || !strings.HasPrefix(k, "availability ") {
			t.Errorf("%s fired at %v; only /pay's alerts may fire", k, tl.first(k))
		}
	}
	if want := 8; len(tl.keys()) != want {
		t.Errorf("fired: %v, want %d keys (3 pairs, 3 tiers, 2 budget tickets of /pay)", tl.keys(), want)
	}

	// The alerts carry the route and the contract labels, and the summaries name the route.
	for _, q := range []string{
		`ALERTS{alertname="PledgeErrorBudgetBurn",severity="page",long_window="1h",alertstate="firing",namespace="shop",service_standard="api",service="api",objective="availability",route="/pay"}`,
		`ALERTS{alertname="PledgeEscalation",escalation_tier="3",escalation_tier_name="head",alertstate="firing",objective="availability",route="/pay"}`,
		`ALERTS{alertname="PledgeErrorBudgetLow",budget_left_threshold="0",alertstate="firing",objective="availability",route="/pay"}`,
	} {
		if v := tl.query(q, d); len(v) != 1 {
			t.Errorf("%s: %d series, want 1", q, len(v))
		}
	}
	for k, want := range map[string]string{
		pay(key("availability", pageFast)):   "api availability route=/pay: error budget burning at",
		pay("availability tier2"):            "api availability route=/pay: escalation tier 2 (team-lead)",
		pay(budgetKey("availability", "0")):  "api availability route=/pay: -",
		pay(budgetKey("availability", "25")): "api availability route=/pay: -",
		pay(key("availability", ticket)):     "api availability route=/pay: error budget burning at",
		pay("availability tier1"):            "api availability route=/pay: escalation tier 1 (on-call)",
		pay(key("availability", pageSlow)):   "api availability route=/pay: error budget burning at",
		pay("availability tier3"):            "api availability route=/pay: escalation tier 3 (head)",
	} {
		if s := tl.annot[k]["summary"]; !strings.HasPrefix(s, want) {
			t.Errorf("%s: summary %q, want it to start with %q", k, s, want)
		}
	}

	// One recorded rate per route; the sum over routes equals the ungrouped objective's.
	at := warm + time.Hour
	for _, series := range []string{render.SeriesErrors, render.SeriesEvents, render.SeriesErrorsHourly, render.SeriesEventsHourly} {
		v := tl.query(series+`{objective="availability"}`, at)
		if len(v) != 3 {
			t.Errorf("%s: %d series, want one per route: %v", series, len(v), v)
		}
		for _, s := range v {
			if s.Metric.Get(routeLabel) == "" {
				t.Errorf("%s without its route: %v", series, s.Metric)
			}
		}
		diff := tl.query(`abs(sum(`+series+`{objective="availability"}) - sum(`+series+`{objective="availability-all"}))`, at)
		all := tl.query(`sum(`+series+`{objective="availability-all"})`, at)
		if len(diff) != 1 || len(all) != 1 || diff[0].F > 1e-9*all[0].F {
			t.Errorf("%s: routes sum to the whole's %v, difference %v", series, all, diff)
		}
	}
}

// TestGroupByEveryIndicator: a classic histogram (the bucket's le label summed away, the
// route kept), a native histogram and 0/1 samples, each grouped by route, with two routes of
// which one burns. 30% slow requests against a 1% budget burn 30×: the 1h ratio passes 14.4%
// after 28.8m (TestLatencyObjective); failing probes against a 0.1% budget page within five
// minutes. The healthy route of each never alerts, though the burning one holds half of the
// objective's traffic.
func TestGroupByEveryIndicator(t *testing.T) {
	t.Parallel()
	std := resolve(t, `
metadata: {name: api, namespace: shop}
spec:
  service: api
  objectives:
    - name: classic
      target: "99"
      groupBy: [route]
      latency:
        histogram: http_request_duration_seconds{job="api"}
        threshold: 300ms
    - name: native
      target: "99"
      groupBy: [route]
      latency:
        histogram: http_request_duration_native_seconds{job="api"}
        histogramType: native
        threshold: 1s
    - name: probe
      target: "99.9"
      groupBy: [route]
      bool:
        selector: probe_success{job="blackbox"}
`)
	warm := 2 * time.Hour
	slow := stepFn(0, 0.3, warm, 0)
	var in []series
	in = append(in, histogram("http_request_duration_seconds", "0.3", 10, slow, "job", "api", "route", "/slow")...)
	in = append(in, histogram("http_request_duration_seconds", "0.3", 10, constant(0), "job", "api", "route", "/fast")...)
	in = append(in,
		series{labels: labels.FromStrings("__name__", "http_request_duration_native_seconds", "job", "api", "route", "/slow"), rate: constant(10), native: slow},
		series{labels: labels.FromStrings("__name__", "http_request_duration_native_seconds", "job", "api", "route", "/fast"), rate: constant(10), native: constant(0)},
		series{labels: labels.FromStrings("__name__", "probe_success", "job", "blackbox", "route", "/slow"),
			value: func(at time.Duration) (float64, bool) {
				if at >= warm {
					return 0, true
				}
				return 1, true
			}},
		series{labels: labels.FromStrings("__name__", "probe_success", "job", "blackbox", "route", "/fast"),
			value: func(time.Duration) (float64, bool) { return 1, true }},
	)
	tl := simulate(t, []*render.Standard{std}, in, warm+40*time.Minute, time.Minute)
	within(t, "classic /slow page-fast", tl.first(routeKey(key("classic", pageFast), "/slow")), warm+26*time.Minute, warm+33*time.Minute)
	within(t, "native /slow page-fast", tl.first(routeKey(key("native", pageFast), "/slow")), warm+26*time.Minute, warm+33*time.Minute)
	within(t, "probe /slow page-fast", tl.first(routeKey(key("probe", pageFast), "/slow")), warm, warm+5*time.Minute)
	for _, k := range tl.keys() {
		if !strings.HasSuffix(k, " route=/slow") {
			t.Errorf("%s fired at %v; only /slow may alert", k, tl.first(k))
		}
	}
	for _, objective := range []string{"classic", "native", "probe"} {
		if v := tl.query(render.SeriesEvents+`{objective="`+objective+`"}`, warm); len(v) != 2 {
			t.Errorf("%s: %d recorded event rates, want one per route: %v", objective, len(v), v)
		}
	}
}
