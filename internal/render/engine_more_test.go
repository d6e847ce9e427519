package render_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pledge-dev/pledge/internal/render"
)

// histogram returns the _count and one _bucket series of a classic histogram whose events
// arrive at rps per second, a share slow(at) of them above the bucket bound le.
func histogram(name, le string, rps float64, slow func(time.Duration) float64, extra ...string) []series {
	base := append([]string{"__name__", name + "_count"}, extra...)
	bucket := append([]string{"__name__", name + "_bucket", "le", le}, extra...)
	return []series{
		{labels: labels.FromStrings(base...), rate: constant(rps)},
		{labels: labels.FromStrings(bucket...), rate: func(at time.Duration) float64 { return rps * (1 - slow(at)) }},
	}
}

func TestLatencyObjective(t *testing.T) {
	t.Parallel()
	std := resolve(t, `
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  objectives:
    - name: response-time
      target: "99"
      latency:
        histogram: http_request_duration_seconds{job="checkout"}
        threshold: 300ms
`)
	warm := 2 * time.Hour
	// 30% of requests slower than 300ms against a 1% budget burn 30×: the 1h ratio passes
	// 14.4 × 1% = 14.4% after 0.48h = 28.8m; then recovery at +1h clears the condition within
	// 5m, and the page stops keepFiringFor later.
	in := histogram("http_request_duration_seconds", "0.3", 20, stepFn(0, 0.3, warm, warm+time.Hour), "job", "checkout")
	tl := simulate(t, []*render.Standard{std}, in, warm+90*time.Minute, time.Minute)
	within(t, "page-fast", tl.first(key("response-time", pageFast)), warm+26*time.Minute, warm+33*time.Minute)
	if last := tl.lastFiring(key("response-time", pageFast)); last > warm+time.Hour+7*time.Minute+render.DefaultKeepFiringFor {
		t.Errorf("page-fast still fired at %v after recovery at %v", last, warm+time.Hour)
	}
}

// gradedStandard is one resolution objective graded by priority: p1 within 4h, p2 within 24h,
// 95% each.
const gradedStandard = `
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  objectives:
    - name: incident-resolution
      target: "95"
      latency:
        histogram: incident_resolution_duration_seconds{service="checkout"}
        graded:
          label: priority
          thresholds: {p1: 4h, p2: 24h}
`

func TestGradedObjectiveAlertsPerClass(t *testing.T) {
	t.Parallel()
	std := resolve(t, gradedStandard)
	if len(std.Objectives) != 2 || std.Objectives[0].Name != "incident-resolution-p1" || std.Objectives[1].Name != "incident-resolution-p2" {
		t.Fatalf("graded objective must expand per class, got %+v", std.Objectives)
	}
	// p1: from 1h on, half the incidents miss 4h against a 5% budget: burn 10, so page-fast
	// (14.4×) never fires. The 6h window holds the 1h of clean history plus τ, so its ratio
	// 50%·τ/(1h+τ) passes 6 × 5% = 30% at τ = 1.5h: page-slow fires at 2h30m.
	// p2: every incident within 24h: nothing. The p1 bucket is written the Prometheus 3 way
	// (le="14400.0"), the p2 bucket the older way (le="86400"); both must match.
	in := append(
		histogram("incident_resolution_duration_seconds", "14400.0", 0.05, stepFn(0, 0.5, time.Hour, 0), "service", "checkout", "priority", "p1"),
		histogram("incident_resolution_duration_seconds", "86400", 0.05, constant(0), "service", "checkout", "priority", "p2")...)
	tl := simulate(t, []*render.Standard{std}, in, 5*time.Hour, time.Minute)
	never(t, tl, key("incident-resolution-p1", pageFast), key("incident-resolution-p2", pageFast),
		key("incident-resolution-p2", pageSlow), key("incident-resolution-p2", ticket))
	within(t, "p1 page-slow", tl.first(key("incident-resolution-p1", pageSlow)), 2*time.Hour+25*time.Minute, 2*time.Hour+37*time.Minute)
}

func TestGradedClassesPageOnTheirOwnTargets(t *testing.T) {
	t.Parallel()
	std := resolve(t, gradedStandard+"          targets: {p1: \"99\"}\n")
	if got := [2][2]string{{std.Objectives[0].Name, std.Objectives[0].Target}, {std.Objectives[1].Name, std.Objectives[1].Target}}; got != [2][2]string{{"incident-resolution-p1", "99"}, {"incident-resolution-p2", "95"}} {
		t.Fatalf("classes and targets = %v", got)
	}
	// From 1h on, a fifth of each class's incidents miss their threshold. p1 promises 99%: a
	// 1% budget burning 20×, so the 1h ratio passes 14.4 × 1% = 14.4% after 0.72h ≈ 43m and
	// page-fast fires. p2 keeps the objective's 95%: a 5% budget burning 4×, below both page
	// factors (14.4 and 6), so it never pages; it passes the ticket's 1 × 5% after 20m.
	in := append(
		histogram("incident_resolution_duration_seconds", "14400", 0.05, stepFn(0, 0.2, time.Hour, 0), "service", "checkout", "priority", "p1"),
		histogram("incident_resolution_duration_seconds", "86400", 0.05, stepFn(0, 0.2, time.Hour, 0), "service", "checkout", "priority", "p2")...)
	tl := simulate(t, []*render.Standard{std}, in, 4*time.Hour, time.Minute)
	within(t, "p1 page-fast", tl.first(key("incident-resolution-p1", pageFast)), time.Hour+38*time.Minute, time.Hour+50*time.Minute)
	never(t, tl, key("incident-resolution-p2", pageFast), key("incident-resolution-p2", pageSlow))
	within(t, "p2 ticket", tl.first(key("incident-resolution-p2", ticket)), time.Hour+15*time.Minute, time.Hour+30*time.Minute)
	// The alerts say each class's own promise.
	if d := tl.annot[key("incident-resolution-p1", pageFast)]["description"]; !strings.Contains(d, "promises 99% good events") {
		t.Errorf("p1 page description = %q", d)
	}
	if d := tl.annot[key("incident-resolution-p2", ticket)]["description"]; !strings.Contains(d, "promises 95% good events") {
		t.Errorf("p2 ticket description = %q", d)
	}
}

func TestEscalationTiersWaitForTheirDelay(t *testing.T) {
	t.Parallel()
	std := resolve(t, ratioStandard+`
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
`)
	warm := time.Hour
	tl := simulate(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 1, warm, 0)), warm+2*time.Hour+15*time.Minute, time.Minute)
	// Tier 1 fires with the first page of either pair. With 1h of history the 6h window is
	// the less diluted one, so page-slow is usually first.
	page := tl.first(key("availability", pageFast))
	if slow := tl.first(key("availability", pageSlow)); slow >= 0 && (page < 0 || slow < page) {
		page = slow
	}
	tier1 := tl.first("availability tier1")
	within(t, "first page", page, warm, warm+5*time.Minute)
	if tier1 != page {
		t.Errorf("tier 1 (after 0m) must fire with the first page: tier 1 at %v, page at %v", tier1, page)
	}
	// Tier 2 holds for 30m of page condition; tier 3 for 2h. Neither may fire earlier.
	within(t, "tier 2", tl.first("availability tier2"), page+30*time.Minute-time.Minute, page+31*time.Minute)
	within(t, "tier 3", tl.first("availability tier3"), page+2*time.Hour-time.Minute, page+2*time.Hour+time.Minute)
}

func TestBoolIndicator(t *testing.T) {
	t.Parallel()
	std := resolve(t, `
metadata: {name: site, namespace: web}
spec:
  service: site
  objectives:
    - name: probe
      target: "99.9"
      bool:
        selector: probe_success{job="blackbox"}
`)
	warm := time.Hour
	probe := series{labels: labels.FromStrings("__name__", "probe_success", "job", "blackbox"),
		value: func(at time.Duration) (float64, bool) {
			if at >= warm {
				return 0, true
			}
			return 1, true
		}}
	tl := simulate(t, []*render.Standard{std}, []series{probe}, warm+20*time.Minute, time.Minute)
	within(t, "page-fast", tl.first(key("probe", pageFast)), warm, warm+5*time.Minute)
}

func TestLowTrafficGuard(t *testing.T) {
	t.Parallel()
	// 10 req/s: 36,000 events per hour, 216,000 per 6h. With minEvents 100,000 the 1h pair is
	// held back on a total outage while the 6h pair, which saw enough traffic, still pages.
	std := resolve(t, ratioStandard+`
  alerting:
    minEvents: 100000
`)
	warm := 6 * time.Hour
	tl := simulate(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 1, warm, 0)), warm+30*time.Minute, time.Minute)
	never(t, tl, key("availability", pageFast))
	within(t, "page-slow", tl.first(key("availability", pageSlow)), warm, warm+10*time.Minute)
}

func TestAnnotationsGiveBurnRateAndHorizon(t *testing.T) {
	t.Parallel()
	std := resolve(t, ratioStandard+`
  alerting:
    runbookURL: https://runbooks.example.com/checkout
`)
	warm := 2 * time.Hour
	// After 2h at 2% errors the 1h window burns 20×: a 30d budget lasts 30d/20 = 1.5 days.
	tl := simulate(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 0.02, warm, 0)), warm+2*time.Hour, time.Minute)
	a := tl.annot[key("availability", pageFast)]
	for _, want := range []string{"20.0x", "lasts 1d 12h", "99.9%", "30d", "page-fast"} {
		if !strings.Contains(a["summary"]+" "+a["description"], want) {
			t.Errorf("annotations lack %q:\n summary: %s\n description: %s", want, a["summary"], a["description"])
		}
	}
	if a["runbook_url"] != "https://runbooks.example.com/checkout" {
		t.Errorf("runbook_url = %q", a["runbook_url"])
	}
}

// TestContractLabels checks the public contract on every generated rule of the sample.
func TestContractLabels(t *testing.T) {
	for _, s := range loadStandards(t, "testdata/standards/checkout.yaml") {
		for _, g := range s.RuleGroups() {
			for _, r := range g.Rules {
				name := r.Record + r.Alert
				for _, l := range []string{render.LabelStandard, render.LabelNamespace, render.LabelService, render.LabelObjective} {
					// One budget-left rule serves every objective: the objective label comes from
					// the hourly totals it reads (TestBudgetLeftTicketsFireWhenTheBudgetSays).
					if r.Labels[l] == "" && !(r.Alert == render.AlertBudgetLow && l == render.LabelObjective) {
						t.Errorf("%s lacks contract label %s: %v", name, l, r.Labels)
					}
				}
				switch r.Alert {
				case render.AlertBurnRate:
					if r.Labels[render.LabelSeverity] == "" || r.Labels[render.LabelLong] == "" || r.Labels[render.LabelShort] == "" {
						t.Errorf("burn-rate alert lacks severity or window labels: %v", r.Labels)
					}
				case render.AlertEscalation:
					if r.Labels[render.LabelTier] == "" || r.Labels[render.LabelTierName] == "" {
						t.Errorf("escalation alert lacks tier labels: %v", r.Labels)
					}
				}
				if r.Alert != "" && (r.Annotations["summary"] == "" || r.Annotations["description"] == "" || r.Annotations["runbook_url"] == "") {
					t.Errorf("%s lacks summary, description or runbook_url: %v", name, r.Annotations)
				}
			}
		}
	}
}

// TestHourlyTotalsCountEvents: compliance measures windows from the hourly totals, so they
// must equal the events that happened. 10 req/s with 2% errors is 36,000 events and 720 errors
// an hour; a recording evaluated on the hour sees exactly the hour before it.
func TestHourlyTotalsCountEvents(t *testing.T) {
	t.Parallel()
	std := resolve(t, ratioStandard)
	tl := simulate(t, []*render.Standard{std}, ratioTraffic(constant(0.02)), 3*time.Hour, time.Minute)
	sel := `{namespace="shop",service_standard="checkout",objective="availability"}`
	for series, want := range map[string]float64{render.SeriesEventsHourly: 36_000, render.SeriesErrorsHourly: 720} {
		v := tl.query(series+sel, 3*time.Hour)
		if len(v) != 1 {
			t.Fatalf("%s: want one series, got %v", series, v)
		}
		if got := v[0].F; math.Abs(got-want) > want*1e-9 {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	// Summed over the window, the totals give the occurrence-based ratio (2%) exactly.
	v := tl.query(`sum_over_time(`+render.SeriesErrorsHourly+sel+`[2h]) / sum_over_time(`+render.SeriesEventsHourly+sel+`[2h])`, 3*time.Hour)
	if len(v) != 1 || math.Abs(v[0].F-0.02) > 1e-12 {
		t.Errorf("window error ratio from hourly totals = %v, want 0.02", v)
	}
}

// TestNativeHistogramLatencyObjective is TestLatencyObjective on a native histogram: the same
// burn pages at the same moment, recovers the same way, and a histogram that stays fast never
// alerts.
func TestNativeHistogramLatencyObjective(t *testing.T) {
	t.Parallel()
	doc := `
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  objectives:
    - name: response-time
      target: "99"
      latency:
        histogram: http_request_duration_seconds{job="checkout"}
        histogramType: native
        threshold: 500ms
    - name: quiet
      target: "99"
      latency:
        histogram: http_request_duration_seconds{job="quiet"}
        histogramType: native
        threshold: 500ms
`
	std := resolve(t, doc)
	if p := std.Objectives[0].Presence; p != `http_request_duration_seconds{job="checkout"}` {
		t.Errorf("presence of a native histogram = %s, want the histogram series itself", p)
	}
	warm := 2 * time.Hour
	in := []series{
		{labels: labels.FromStrings("__name__", "http_request_duration_seconds", "job", "checkout"), rate: constant(20),
			native: stepFn(0, 0.3, warm, warm+time.Hour)},
		{labels: labels.FromStrings("__name__", "http_request_duration_seconds", "job", "quiet"), rate: constant(20),
			native: constant(0.005)}, // half the budget: never an alert
	}
	tl := simulate(t, []*render.Standard{std}, in, warm+90*time.Minute, time.Minute)
	within(t, "page-fast", tl.first(key("response-time", pageFast)), warm+26*time.Minute, warm+33*time.Minute)
	if last := tl.lastFiring(key("response-time", pageFast)); last > warm+time.Hour+7*time.Minute+render.DefaultKeepFiringFor {
		t.Errorf("page-fast still fired at %v after recovery at %v", last, warm+time.Hour)
	}
	for _, k := range tl.keys() {
		if strings.HasPrefix(k, "quiet ") {
			t.Errorf("%s fired for a native histogram within its objective", k)
		}
	}
	// The recorded error ratio is the slow share exactly (the threshold is a bucket bound).
	v := tl.query(`pledge:objective_errors:rate5m{objective="response-time"} / pledge:objective_events:rate5m{objective="response-time"}`, warm+30*time.Minute)
	if len(v) != 1 || v[0].F < 0.299 || v[0].F > 0.301 {
		t.Errorf("error ratio during the burn = %v, want 0.3", v)
	}
}

// TestRecordedBudgetsAndWeights: the hourly group records each objective's budget and score
// weight under the objective's labels, as Prometheus's engine evaluates the rules: a graded
// objective's three classes of weight 3 weigh 1 each against 3 for the objective of weight 3
// (scaled by the class count), and the budgets are 1 - target/100.
func TestRecordedBudgetsAndWeights(t *testing.T) {
	t.Parallel()
	std := resolve(t, `
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  objectives:
    - name: availability
      target: "99.9"
      weight: 3
      ratio: {errors: 'http_requests_total{code="500"}', total: http_requests_total}
    - name: resolution
      target: "95"
      weight: 3
      latency:
        histogram: incident_resolution_duration_seconds
        graded:
          label: priority
          thresholds: {p1: 4h, p2: 24h, p3: 72h}
`)
	tl := simulate(t, []*render.Standard{std}, ratioTraffic(constant(0)), time.Hour, time.Minute)
	want := map[string][2]float64{
		"availability":  {0.001, 9},
		"resolution-p1": {0.05, 3},
		"resolution-p2": {0.05, 3},
		"resolution-p3": {0.05, 3},
	}
	for i, series := range []string{render.SeriesBudget, render.SeriesWeight} {
		got := map[string]float64{}
		for _, s := range tl.query(series, time.Hour) {
			if s.Metric.Get(render.LabelStandard) != "checkout" || s.Metric.Get(render.LabelNamespace) != "shop" || s.Metric.Get(render.LabelService) != "checkout" {
				t.Errorf("%s: labels %s", series, s.Metric)
			}
			got[s.Metric.Get(render.LabelObjective)] = s.F
		}
		if len(got) != len(want) {
			t.Errorf("%s: %v, want one per objective %v", series, got, want)
		}
		for o, w := range want {
			if v, ok := got[o]; !ok || math.Abs(v-w[i]) > 1e-12 {
				t.Errorf("%s{objective=%q} = %v, want %v", series, o, v, w[i])
			}
		}
	}
}
