package compliance_test

// History from the raw series, measured against a real Prometheus that holds only raw
// counters (and, for the half-covered case, Pledge's hourly totals for the last days): every
// expected number is arithmetic on the synthetic traffic.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// rawTraffic writes OpenMetrics for the counters raw_requests_total{objective, code} of one
// objective: 10 requests per second from from to to, sampled every 2 minutes, of which
// errShare(t) fail (code 500).
func rawTraffic(b *strings.Builder, objective string, from, to time.Time, errShare func(time.Time) float64) {
	const rps, step = 10.0, 2 * time.Minute
	var good, bad float64
	var lines [2]strings.Builder
	for t := from; !t.After(to); t = t.Add(step) {
		s := errShare(t)
		bad += rps * s * step.Seconds()
		good += rps * (1 - s) * step.Seconds()
		fmt.Fprintf(&lines[0], "raw_requests_total{objective=%q,code=\"200\"} %s %d\n", objective, strconv.FormatFloat(good, 'g', -1, 64), t.Unix())
		fmt.Fprintf(&lines[1], "raw_requests_total{objective=%q,code=\"500\"} %s %d\n", objective, strconv.FormatFloat(bad, 'g', -1, 64), t.Unix())
	}
	b.WriteString(lines[0].String())
	b.WriteString(lines[1].String())
}

// rawStandard is a 30d standard named name in namespace shop whose ratio objectives read
// raw_requests_total of the objective of the same name.
func rawStandard(t *testing.T, name string, objectives map[string]string) compliance.Standard {
	t.Helper()
	doc := "metadata: {name: " + name + ", namespace: shop}\nspec:\n  service: checkout\n  window: 30d\n  objectives:\n"
	for _, o := range slices.Sorted(maps.Keys(objectives)) {
		doc += fmt.Sprintf("    - name: %s\n      target: %q\n      ratio:\n        errors: 'raw_requests_total{objective=%q,code=\"500\"}'\n        total: 'raw_requests_total{objective=%q}'\n",
			o, objectives[o], o, o)
	}
	return standardFromYAML(t, doc)
}

// standardFromYAML is the standard a ServiceStandard written in YAML resolves to.
func standardFromYAML(t *testing.T, doc string) compliance.Standard {
	t.Helper()
	var std pledgev1.ServiceStandard
	if err := yaml.UnmarshalStrict([]byte(doc), &std); err != nil {
		t.Fatal(err)
	}
	resolved, errs := render.Resolve(&std, nil)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	s, err := compliance.FromResolved(resolved)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func byObjective(r compliance.Result) map[string]pledgev1.ObjectiveStatus {
	out := map[string]pledgev1.ObjectiveStatus{}
	for _, o := range r.Objectives {
		out[o.Name] = o
	}
	return out
}

// TestHistoryFromRawSeries: a Prometheus holding only 30 days of raw counters, no recorded
// series. A standard whose objectives are met, at risk, breached and without data shows its
// true 30-day standing within two polls (two objectives' history per poll, by the query
// budget), then costs exactly the queries of a poll without history; the window rolls without
// asking again, and a changed indicator is asked again.
func TestHistoryFromRawSeries(t *testing.T) {
	at := evalAt
	var om strings.Builder
	from := at.Add(-721 * time.Hour)
	rawTraffic(&om, "a-met", from, at, share(0.0001))
	rawTraffic(&om, "b-at-risk", from, at, share(0.0008))
	rawTraffic(&om, "c-breached", from, at, share(0.015))
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, om.String())
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 30 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	std := rawStandard(t, "adopted", map[string]string{"a-met": "99.9", "b-at-risk": "99.9", "c-breached": "99", "d-silent": "99"})
	ctx := context.Background()

	// What a poll costs without history.
	base := &compliance.CountingQuerier{Querier: q}
	plain, err := compliance.Evaluate(ctx, base, at, []compliance.Standard{std}, compliance.Options{AtRiskBudget: 25})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range plain["shop/adopted"].Objectives {
		if o.State != pledgev1.StateNoData {
			t.Fatalf("without history, %s must be NoData (no recorded totals), got %+v", o.Name, o)
		}
	}

	history := &compliance.History{Queries: 5} // 1 to find the totals + 2 per objective: two objectives per poll
	opts := compliance.Options{AtRiskBudget: 25, History: history}
	poll := func(now time.Time, s compliance.Standard) (map[string]pledgev1.ObjectiveStatus, int) {
		t.Helper()
		c := &compliance.CountingQuerier{Querier: q}
		began := time.Now()
		res, err := compliance.Evaluate(ctx, c, now, []compliance.Standard{s}, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("poll at %s: %d queries in %v", now.Format(time.RFC3339), c.N, time.Since(began).Round(time.Millisecond))
		return byObjective(res["shop/adopted"]), c.N
	}

	// The true standing over the window's hours before the last (no hourly total exists yet,
	// so the raw hours end an hour before now): 719 of 720 hours, from the shares above.
	type want struct{ state, attainment, budget string }
	truth := map[string]want{
		"a-met":      {"Met", "99.990", "90.0"},
		"b-at-risk":  {"AtRisk", "99.920", "20.0"},
		"c-breached": {"Breached", "98.500", "-50.0"},
	}
	check := func(what string, got map[string]pledgev1.ObjectiveStatus, names []string, coverage string) {
		t.Helper()
		for _, n := range names {
			o, w := got[n], truth[n]
			if string(o.State) != w.state || o.Attainment != w.attainment || o.ErrorBudgetRemaining != w.budget ||
				o.WindowCoverage != coverage || o.HistoryCoverage != coverage {
				t.Errorf("%s: %s = state %s attainment %q budget %q coverage %q history %q; want %+v, coverage %s from history",
					what, n, o.State, o.Attainment, o.ErrorBudgetRemaining, o.WindowCoverage, o.HistoryCoverage, w, coverage)
			}
		}
	}

	first, n1 := poll(at, std)
	check("first poll", first, []string{"a-met", "b-at-risk"}, "99.9")
	if o := first["c-breached"]; o.State != pledgev1.StateNoData || o.HistoryCoverage != "" {
		t.Errorf("first poll: c-breached waits for the next poll, got %+v", o)
	}
	if n1 != base.N+5 {
		t.Errorf("first poll: %d queries, want %d (a poll) + 5 (history budget)", n1, base.N)
	}

	second, n2 := poll(at, std)
	check("second poll", second, []string{"a-met", "b-at-risk", "c-breached"}, "99.9")
	if o := second["d-silent"]; o.State != pledgev1.StateNoData || o.Attainment != "" || o.HistoryCoverage != "" {
		t.Errorf("second poll: d-silent has no raw series, got %+v", o)
	}
	if n2 != base.N+5 {
		t.Errorf("second poll: %d queries, want %d + 5", n2, base.N)
	}

	// Steady state: every history is known (d-silent's too: none), a poll costs what it costs
	// without history.
	third, n3 := poll(at, std)
	check("third poll", third, []string{"a-met", "b-at-risk", "c-breached"}, "99.9")
	if n3 != base.N {
		t.Errorf("steady state: %d queries, want %d as without history", n3, base.N)
	}

	// An hour later the window has moved: its oldest raw hour is dropped, nothing is asked
	// again (718 of 720 hours, no hourly totals in this Prometheus).
	later, n4 := poll(at.Add(time.Hour), std)
	check("an hour later", later, []string{"a-met", "b-at-risk", "c-breached"}, "99.7")
	if n4 != base.N {
		t.Errorf("an hour later: %d queries, want %d", n4, base.N)
	}

	// A changed indicator is a new history: asked again (one objective: 1 + 2 queries), for
	// the 719 hours before the last, as on the first poll.
	changed := std
	changed.Objectives = append([]compliance.Objective(nil), std.Objectives...)
	changed.Objectives[0].ErrorsExpr = strings.Replace(changed.Objectives[0].ErrorsExpr, `code="500"`, `code=~"5.."`, -1)
	again, n5 := poll(at.Add(time.Hour), changed)
	check("after the change", again, []string{"a-met"}, "99.9")
	if n5 != base.N+3 {
		t.Errorf("after a change of one objective's indicator: %d queries, want %d + 3", n5, base.N)
	}
}

// TestHistoryHalfCovered: Pledge's hourly totals exist for the last five days, the raw series
// for thirty. The window is the raw hours up to where the first total's hour begins plus the
// totals: nothing counted twice. The totals here deliberately say 0.2% errors while the raw
// series say 0.1% for the same days, so the test tells which source measured which hours:
// counting the last days from both, or from the raw series only, gives other numbers.
func TestHistoryHalfCovered(t *testing.T) {
	at := evalAt
	recordedFrom := at.Add(-120 * time.Hour)
	var om strings.Builder
	rawTraffic(&om, "half", at.Add(-721*time.Hour), at, func(t time.Time) float64 {
		if t.After(recordedFrom) {
			return 0.001
		}
		return 0.0001
	})
	// 120 hourly totals at 17 minutes past the hour (a rule group's phase), the first at
	// recordedFrom + 17m, the last 43 minutes before at.
	hourlyTotals(&om, "half-covered", "half", recordedFrom, at, 17*time.Minute, func(time.Time) (string, string) {
		return "72", "36000" // 0.2% of 10 requests per second
	})
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, om.String())
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 30 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	std := rawStandard(t, "half-covered", map[string]string{"half": "99.9"})
	std.AlertWindows = nil
	opts := compliance.Options{AtRiskBudget: 25, History: &compliance.History{}}

	// A history query that fails leaves the standard measured from its recorded totals, with
	// the coverage they give, and the error said; the next poll asks again.
	res, err := compliance.Evaluate(context.Background(), refusing{q, "raw_requests_total"}, at, []compliance.Standard{std}, opts)
	if err == nil || !strings.Contains(err.Error(), "history of shop/half-covered objective half") {
		t.Errorf("error %v, want the failed history query", err)
	}
	if o := byObjective(res["shop/half-covered"])["half"]; res["shop/half-covered"].Err != nil || o.Attainment != "99.800" || o.WindowCoverage != "16.7" || o.HistoryCoverage != "" {
		t.Errorf("without history: %+v, want 99.800 over the 120 recorded hours (16.7%%)", res["shop/half-covered"])
	}

	res, err = compliance.Evaluate(context.Background(), q, at, []compliance.Standard{std}, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The first total (recordedFrom + 17m) covers the hour before it, so the raw hours end at
	// recordedFrom − 43m: 599 whole hours after the window's start (at − 720h), all at 0.01%
	// (3.6 bad of 36,000 an hour). Then 120 totals of 72 bad of 36,000.
	bad, all := 599*3.6+120*72.0, 719*36000.0
	wantAttainment := fmt.Sprintf("%.3f", 100*(1-bad/all))
	wantBudget := fmt.Sprintf("%.1f", 100*(1-bad/all/0.001))
	o := byObjective(res["shop/half-covered"])["half"]
	if o.Attainment != wantAttainment || o.ErrorBudgetRemaining != wantBudget || o.WindowCoverage != "99.9" || o.HistoryCoverage != "83.2" {
		t.Errorf("half covered: attainment %q budget %q coverage %q history %q; want %s, %s, 99.9 (719 of 720 hours), 83.2 (599 of 720)",
			o.Attainment, o.ErrorBudgetRemaining, o.WindowCoverage, o.HistoryCoverage, wantAttainment, wantBudget)
	}
	// What double counting, or the raw series alone, would have shown.
	double := fmt.Sprintf("%.3f", 100*(1-(bad+120*36)/(all+120*36000)))
	rawOnly := fmt.Sprintf("%.3f", 100*(1-(599*3.6+120*36)/all))
	if o.Attainment == double || o.Attainment == rawOnly || double == wantAttainment || rawOnly == wantAttainment {
		t.Errorf("the test cannot tell the sources apart: %s, double %s, raw only %s", wantAttainment, double, rawOnly)
	}
}

// refusing refuses the queries that contain a string.
type refusing struct {
	compliance.Querier
	refuse string
}

func (r refusing) Query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	if strings.Contains(q, r.refuse) {
		return nil, fmt.Errorf("query %q: refused", q)
	}
	return r.Querier.Query(ctx, q, ts)
}

func (r refusing) QueryRange(ctx context.Context, q string, rng promv1.Range) (model.Matrix, error) {
	if strings.Contains(q, r.refuse) {
		return nil, fmt.Errorf("range query %q: refused", q)
	}
	return r.Querier.QueryRange(ctx, q, rng)
}

// TestHistoryGrouped: an objective with groupBy on 30 days of raw counters only shows each
// value's true standing from the raw series: /a met, /b breached; the objective stands as /b,
// both listed, and the history is asked once (1 + 2 queries), not again at the next poll.
func TestHistoryGrouped(t *testing.T) {
	at := evalAt
	var om strings.Builder
	from := at.Add(-721 * time.Hour)
	rawTraffic(&om, "/a", from, at, share(0.0001))
	rawTraffic(&om, "/b", from, at, share(0.015))
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, strings.ReplaceAll(om.String(), "objective=", "route="))
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 30 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := standardFromYAML(t, `
metadata: {name: api, namespace: shop}
spec:
  service: api
  window: 30d
  objectives:
    - name: availability
      target: "99"
      groupBy: [route]
      ratio: {errors: 'raw_requests_total{code="500"}', total: raw_requests_total}
`)
	ctx := context.Background()
	base := &compliance.CountingQuerier{Querier: q}
	if _, err := compliance.Evaluate(ctx, base, at, []compliance.Standard{s}, compliance.Options{AtRiskBudget: 25}); err != nil {
		t.Fatal(err)
	}
	opts := compliance.Options{AtRiskBudget: 25, History: &compliance.History{Queries: 5}}
	for poll, wantQueries := range []int{base.N + 3, base.N} {
		c := &compliance.CountingQuerier{Querier: q}
		res, err := compliance.Evaluate(ctx, c, at, []compliance.Standard{s}, opts)
		if err != nil {
			t.Fatal(err)
		}
		o := res["shop/api"].Objectives[0]
		var values []string
		for _, v := range o.Values {
			values = append(values, fmt.Sprintf("%s %s %s %s", v.Labels["route"], v.State, v.Attainment, v.ErrorBudgetRemaining))
		}
		// 719 of 720 hours from the raw series (no hourly total yet): /b at 1.5% against a 1%
		// budget, /a at 0.01%.
		want := []string{"/b Breached 98.500 -50.0", "/a Met 99.990 99.0"}
		if o.State != pledgev1.StateBreached || o.Attainment != "98.500" || o.ValueCount != 2 || o.HistoryCoverage != "99.9" ||
			strings.Join(values, "; ") != strings.Join(want, "; ") {
			t.Errorf("poll %d: state %s attainment %s history %q values (of %d) %q; want Breached 98.500 from 99.9%% history, values %q",
				poll+1, o.State, o.Attainment, o.HistoryCoverage, o.ValueCount, values, want)
		}
		if c.N != wantQueries {
			t.Errorf("poll %d: %d queries, want %d", poll+1, c.N, wantQueries)
		}
	}
}
