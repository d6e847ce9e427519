package compliance_test

// Compliance measured against a real Prometheus (pinned build, started on loopback) whose TSDB
// is filled with known history of the series Pledge records, so every expected number below is
// arithmetic on that history.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/test/procs"
)

// evalAt is the moment of measurement: mid-October, so September is a closed month.
var evalAt = time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)

const eventsPerHour = 36_000 // 10 requests per second

// history writes OpenMetrics for one objective: hourly totals at errShare(t) for the hours
// in (from, evalAt], and 1-minute 5m rates for the last 7 hours.
type objectiveHistory struct {
	standard, objective string
	from                time.Time
	errShare            func(time.Time) float64
}

func openMetrics(hs []objectiveHistory) string {
	var b strings.Builder
	family := func(name string, each func(h objectiveHistory, labels string)) {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", name)
		for _, h := range hs {
			labels := fmt.Sprintf(`{namespace="shop",service_standard=%q,service="checkout",objective=%q}`, h.standard, h.objective)
			each(h, labels)
		}
	}
	hourly := func(errors bool) func(h objectiveHistory, labels string) {
		return func(h objectiveHistory, labels string) {
			name := "pledge:objective_events:increase1h"
			if errors {
				name = "pledge:objective_errors:increase1h"
			}
			for t := h.from.Add(time.Hour); !t.After(evalAt); t = t.Add(time.Hour) {
				v := float64(eventsPerHour)
				if errors {
					v *= h.errShare(t)
				}
				fmt.Fprintf(&b, "%s%s %g %d\n", name, labels, v, t.Unix())
			}
		}
	}
	rate := func(errors bool) func(h objectiveHistory, labels string) {
		return func(h objectiveHistory, labels string) {
			name := "pledge:objective_events:rate5m"
			if errors {
				name = "pledge:objective_errors:rate5m"
			}
			for t := evalAt.Add(-7 * time.Hour); !t.After(evalAt); t = t.Add(time.Minute) {
				v := float64(eventsPerHour) / 3600
				if errors {
					v *= h.errShare(t)
				}
				fmt.Fprintf(&b, "%s%s %g %d\n", name, labels, v, t.Unix())
			}
		}
	}
	family("pledge:objective_errors:increase1h", hourly(true))
	family("pledge:objective_events:increase1h", hourly(false))
	family("pledge:objective_errors:rate5m", rate(true))
	family("pledge:objective_events:rate5m", rate(false))
	return b.String()
}

func share(s float64) func(time.Time) float64 { return func(time.Time) float64 { return s } }

// startPrometheus backfills the history and starts Prometheus on it.
func startPrometheus(t *testing.T) *procs.Prometheus {
	t.Helper()
	thirtyDays := evalAt.Add(-30 * 24 * time.Hour)
	october := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	september := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, openMetrics([]objectiveHistory{
		{"rolling", "met", thirtyDays, share(0.0001)},
		{"rolling", "at-risk", thirtyDays, share(0.0008)},
		{"rolling", "breached", thirtyDays, share(0.015)},
		{"rolling", "young", evalAt.Add(-10 * 24 * time.Hour), share(0.0001)},
		{"graded", "incident-resolution-p1", thirtyDays, share(0.02)},
		{"graded", "incident-resolution-p2", thirtyDays, share(0.02)},
		{"graded", "incident-resolution-p3", thirtyDays, share(0.05)},
		{"graded", "availability", thirtyDays, share(0.0001)},
		// September at 0.2% errors, October at 0.05%.
		{"monthly", "availability", september, func(t time.Time) float64 {
			if t.After(october) {
				return 0.0005
			}
			return 0.002
		}},
	}))
	return procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
}

func standards() []compliance.Standard {
	windows := []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour}
	return []compliance.Standard{
		{Namespace: "shop", Name: "rolling", Window: 30 * 24 * time.Hour, AlertWindows: windows, Objectives: []compliance.Objective{
			{Name: "met", Target: "99.9", Budget: 0.001, Weight: 3},
			{Name: "at-risk", Target: "99.9", Budget: 0.001, Weight: 2},
			{Name: "breached", Target: "99", Budget: 0.01, Weight: 1},
			{Name: "young", Target: "99.9", Budget: 0.001, Weight: 1},
			{Name: "silent", Target: "99", Budget: 0.01, Weight: 1},
		}},
		{Namespace: "shop", Name: "monthly", Period: pledgev1.CalendarMonth, Location: time.UTC, AlertWindows: windows,
			Objectives: []compliance.Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}}},
	}
}

func TestComplianceAgainstPrometheus(t *testing.T) {
	prom := startPrometheus(t)
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	counting := &compliance.CountingQuerier{Querier: q}
	res, err := compliance.Evaluate(context.Background(), counting, evalAt, standards(), compliance.Options{AtRiskBudget: 25, Periods: 3})
	if err != nil {
		t.Fatal(err)
	}

	rolling := res["shop/rolling"]
	want := map[string]struct{ state, attainment, budget, coverage, burn1h, burn3d string }{
		// 0.01% of events bad against a 0.1% budget: a tenth spent; burning at 0.1×.
		"met": {"Met", "99.990", "90.0", "100.0", "0.10", "0.10"},
		// 0.08%: 80% spent, 20% left, under the 25% at-risk share.
		"at-risk": {"AtRisk", "99.920", "20.0", "100.0", "0.80", "0.80"},
		// 1.5% against 1%: half again the budget.
		"breached": {"Breached", "98.500", "-50.0", "100.0", "1.50", "1.50"},
		// Ten days of data in a thirty-day window.
		"young":  {"Met", "99.990", "90.0", "33.3", "0.10", "0.10"},
		"silent": {"NoData", "", "", "", "", ""},
	}
	for _, o := range rolling.Objectives {
		w := want[o.Name]
		burns := map[string]string{}
		for _, b := range o.BurnRates {
			burns[b.Window] = b.Value
		}
		if string(o.State) != w.state || o.Attainment != w.attainment || o.ErrorBudgetRemaining != w.budget ||
			o.WindowCoverage != w.coverage || burns["1h"] != w.burn1h || burns["3d"] != w.burn3d {
			t.Errorf("%s: got state %s attainment %q budget %q coverage %q burn 1h %q 3d %q; want %+v",
				o.Name, o.State, o.Attainment, o.ErrorBudgetRemaining, o.WindowCoverage, burns["1h"], burns["3d"], w)
		}
	}
	// (3 × 99.990 + 2 × 99.920 + 1 × 98.500 + 1 × 99.990) / 7 = 99.76
	if rolling.Score != "99.76" || rolling.MinBudget != "-50.0" {
		t.Errorf("score %q, min budget %q; want 99.76 and -50.0", rolling.Score, rolling.MinBudget)
	}

	// October to date: 347 hours (after its first) at 0.05%. September closed at 0.2%: breached, not met.
	monthly := res["shop/monthly"]
	if o := monthly.Objectives[0]; o.State != pledgev1.StateMet || o.Attainment != "99.950" || o.ErrorBudgetRemaining != "50.0" || o.WindowCoverage != "100.0" {
		t.Errorf("October to date = %+v", o)
	}
	if len(monthly.Periods) != 1 {
		t.Fatalf("want only September (no data before it), got %+v", monthly.Periods)
	}
	sep := monthly.Periods[0]
	if !sep.Start.Time.Equal(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)) || !sep.End.Time.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) ||
		sep.Attainment != "99.80" || sep.Met {
		t.Errorf("September = %+v", sep)
	}

	// 1 ALERTS; 4 range queries for the whole days ending now (30d, 3d); 4 range and 4 instant
	// queries for October to date (14 days to 12:00 on the 15th, then 12 hours); 4 alert
	// windows from the 5m rates; 4 per closed period (Sep, Aug, Jul).
	if want := 1 + 4 + 8 + 4 + 4*3; counting.N != want {
		t.Errorf("queries = %d, want %d", counting.N, want)
	}
	// Known periods are not queried again, and twice the standards cost no more queries.
	again := standards()
	again[1].KnownPeriods = monthly.Periods
	more := append(again, again...)
	for i := range more[len(again):] {
		more[len(again)+i].Name += "-copy"
	}
	counting.N = 0
	if _, err := compliance.Evaluate(context.Background(), counting, evalAt, more, compliance.Options{AtRiskBudget: 25, Periods: 3}); err != nil {
		t.Fatal(err)
	}
	if want := 1 + 4 + 8 + 4 + 4*2; counting.N != want {
		t.Errorf("queries with known September and twice the standards = %d, want %d", counting.N, want)
	}
}

// TestGradedTargetsAgainstPrometheus: each class of a graded objective is judged against its
// own target, and the classes share the objective's weight in the score.
func TestGradedTargetsAgainstPrometheus(t *testing.T) {
	prom := startPrometheus(t)
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	std, err := compliance.FromResolved(resolved(t, `
metadata: {name: graded, namespace: shop}
spec:
  service: checkout
  window: 30d
  objectives:
    - name: incident-resolution
      target: "95"
      weight: 2
      latency:
        histogram: incident_resolution_duration_seconds{service="checkout"}
        graded:
          label: priority
          thresholds: {p1: 4h, p2: 24h, p3: 72h}
          targets: {p1: "99", p3: "90"}
    - name: availability
      target: "99.9"
      weight: 1
      ratio: {errors: 'errors_total{job="checkout"}', total: 'requests_total{job="checkout"}'}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := compliance.Evaluate(context.Background(), q, evalAt, []compliance.Standard{std}, compliance.Options{AtRiskBudget: 25})
	if err != nil {
		t.Fatal(err)
	}
	r := res["shop/graded"]
	want := map[string]struct{ target, state, attainment, budget, burn1h string }{
		// 2% of incidents late: twice p1's 1% budget, two fifths of p2's 5% (the objective's
		// target); p3's 5% late is half its 10% budget.
		"incident-resolution-p1": {"99", "Breached", "98.000", "-100.0", "2.00"},
		"incident-resolution-p2": {"95", "Met", "98.000", "60.0", "0.40"},
		"incident-resolution-p3": {"90", "Met", "95.000", "50.0", "0.50"},
		"availability":           {"99.9", "Met", "99.990", "90.0", "0.10"},
	}
	if len(r.Objectives) != len(want) {
		t.Fatalf("objectives = %+v", r.Objectives)
	}
	for _, o := range r.Objectives {
		w := want[o.Name]
		burn := ""
		for _, b := range o.BurnRates {
			if b.Window == "1h" {
				burn = b.Value
			}
		}
		if o.Target != w.target || string(o.State) != w.state || o.Attainment != w.attainment || o.ErrorBudgetRemaining != w.budget || burn != w.burn1h {
			t.Errorf("%s: got target %q state %s attainment %q budget %q burn 1h %q; want %+v",
				o.Name, o.Target, o.State, o.Attainment, o.ErrorBudgetRemaining, burn, w)
		}
	}
	// The classes weigh 2/3 each: (2 × (98 + 98 + 95) / 3 + 1 × 99.99) / 3 = 98.00; copying
	// the weight to every class would give 97.43.
	if r.Score != "98.00" {
		t.Errorf("score = %q, want 98.00", r.Score)
	}
}

func TestPrometheusDown(t *testing.T) {
	prom := startPrometheus(t)
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prom.Stop()
	if _, err := compliance.Evaluate(context.Background(), q, evalAt, standards(), compliance.Options{}); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("want a connection error while Prometheus is down, got %v", err)
	}
	prom.Restart()
	res, err := compliance.Evaluate(context.Background(), q, evalAt, standards(), compliance.Options{AtRiskBudget: 25})
	if err != nil || res["shop/rolling"].Score != "99.76" {
		t.Fatalf("after restart: %v %+v", err, res["shop/rolling"])
	}
}

// hourlyTotals writes OpenMetrics hourly totals for one objective of standard "windows": an
// hourly sample at phase past each hour in (from, to], with errors and events from values.
func hourlyTotals(b *strings.Builder, standard, objective string, from, to time.Time, phase time.Duration, values func(time.Time) (errors, events string)) {
	labels := fmt.Sprintf(`{namespace="shop",service_standard=%q,service="checkout",objective=%q}`, standard, objective)
	for i, name := range []string{"pledge:objective_errors:increase1h", "pledge:objective_events:increase1h"} {
		fmt.Fprintf(b, "# TYPE %s gauge\n", name)
		for t := from.Add(phase); !t.After(to); t = t.Add(time.Hour) {
			if !t.After(from) {
				continue
			}
			e, v := values(t)
			fmt.Fprintf(b, "%s%s %s %d\n", name, labels, [2]string{e, v}[i], t.Unix())
		}
	}
}

// TestWindowsMatchDirectSums: windows of many lengths side by side, measured from the shared
// daily grids, equal the direct sum_over_time over the same whole hours, for hourly totals
// recorded at whole hours and at an offset (a rule group's evaluation phase), with traffic
// that changes every hour, and a moment of measurement that is not on the hour.
func TestWindowsMatchDirectSums(t *testing.T) {
	at := evalAt.Add(-23*time.Minute - 7*time.Second)
	var om strings.Builder
	traffic := func(t time.Time) (string, string) {
		h := t.Unix() / 3600
		return strconv.FormatInt(h%17, 10), strconv.FormatInt(10_000+h%1013, 10)
	}
	from := evalAt.Add(-120 * 24 * time.Hour)
	hourlyTotals(&om, "windows", "whole-hours", from, evalAt, 0, traffic)
	hourlyTotals(&om, "windows", "phase-20m", from, evalAt, 20*time.Minute+13*time.Second, traffic)
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, om.String())
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata") // +5:30: a remainder that is not whole hours
	if err != nil {
		t.Fatal(err)
	}
	objectives := []compliance.Objective{{Name: "whole-hours", Target: "99.9", Budget: 0.001, Weight: 1}, {Name: "phase-20m", Target: "99.9", Budget: 0.001, Weight: 1}}
	// hours is the length measured: the window's whole hours, or the period to date after its
	// first hour (the totals recorded in it hold minutes of the previous period).
	type window struct {
		std      compliance.Standard
		measured time.Duration
	}
	var windows []window
	for _, w := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 28 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour,
		13*24*time.Hour + 5*time.Hour, 2*24*time.Hour + 23*time.Hour, 13*24*time.Hour + 5*time.Hour + 30*time.Minute} {
		windows = append(windows, window{compliance.Standard{Namespace: "shop", Name: "windows", Window: w, Objectives: objectives,
			AlertWindows: []time.Duration{time.Hour, 7 * time.Hour, 50*time.Hour + 30*time.Minute, 72 * time.Hour}}, w.Truncate(time.Hour)})
	}
	for _, period := range []pledgev1.CalendarPeriod{pledgev1.CalendarMonth, pledgev1.CalendarQuarter} {
		for _, loc := range []*time.Location{time.UTC, kolkata} {
			windows = append(windows, window{compliance.Standard{Namespace: "shop", Name: "windows", Period: period, Location: loc, Objectives: objectives},
				at.Sub(compliance.PeriodStart(at, period, loc).Add(time.Hour))})
		}
	}
	direct := func(expr string) map[string]float64 {
		v, err := prom.QueryAt(context.Background(), expr, at)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, s := range v {
			out[string(s.Metric["objective"])] = float64(s.Value)
		}
		return out
	}
	for _, w := range windows {
		name := fmt.Sprintf("%s %s %s", w.std.Window, w.std.Period, w.std.Location)
		counting := &compliance.CountingQuerier{Querier: q}
		res, err := compliance.Evaluate(context.Background(), counting, at, []compliance.Standard{w.std}, compliance.Options{AtRiskBudget: 25})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sel := "[" + strconv.FormatInt(int64(w.measured/time.Millisecond), 10) + "ms]"
		errs := direct("sum_over_time(pledge:objective_errors:increase1h" + sel + ")")
		events := direct("sum_over_time(pledge:objective_events:increase1h" + sel + ")")
		ratio72h := direct("sum_over_time(pledge:objective_errors:increase1h[72h]) / sum_over_time(pledge:objective_events:increase1h[72h])")
		ratio50h := direct("sum_over_time(pledge:objective_errors:increase1h[50h]) / sum_over_time(pledge:objective_events:increase1h[50h])")
		for _, o := range res["shop/windows"].Objectives {
			want := fmt.Sprintf("%.3f", 100*(1-errs[o.Name]/events[o.Name]))
			if o.Attainment != want || o.State == pledgev1.StateNoData {
				t.Errorf("%s %s: attainment %s, want %s (direct sums %g / %g)", name, o.Name, o.Attainment, want, errs[o.Name], events[o.Name])
			}
			burns := map[string]string{}
			for _, b := range o.BurnRates {
				burns[b.Window] = b.Value
			}
			if w.std.Window != 0 && (burns["3d"] != fmt.Sprintf("%.2f", ratio72h[o.Name]/0.001) || burns["2d2h30m"] != fmt.Sprintf("%.2f", ratio50h[o.Name]/0.001)) {
				t.Errorf("%s %s: burn rates %v, want 3d %.2f and 2d2h30m (whole hours: 50h) %.2f", name, o.Name, burns, ratio72h[o.Name]/0.001, ratio50h[o.Name]/0.001)
			}
		}
		t.Logf("%s: %d queries", name, counting.N)
	}
}

// TestInvalidDataAgainstPrometheus: a real Prometheus holding NaN, negative and bad > all
// history gives those objectives NoData with a message naming the quantity, and the standard
// Compliant=Unknown with reason InvalidData; never Met.
func TestInvalidDataAgainstPrometheus(t *testing.T) {
	var om strings.Builder
	from := evalAt.Add(-30 * 24 * time.Hour)
	good := func(time.Time) (string, string) { return "1", "10000" }
	oneHour := func(errors, events string) func(time.Time) (string, string) {
		return func(t time.Time) (string, string) {
			if t.Equal(evalAt.Add(-50 * time.Hour)) {
				return errors, events
			}
			return good(t)
		}
	}
	for _, h := range []struct {
		standard, objective string
		values              func(time.Time) (string, string)
	}{
		{"sane", "availability", good},
		{"nan", "availability", oneHour("1", "NaN")},
		{"nan", "latency", good},
		{"inf", "availability", oneHour("+Inf", "10000")},
		{"negative", "availability", oneHour("-400", "10000")},
		{"bad-over-all", "availability", func(time.Time) (string, string) { return "12", "10" }},
	} {
		hourlyTotals(&om, h.standard, h.objective, from, evalAt, 0, h.values)
	}
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, om.String())
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	std := func(name string, objectives ...string) compliance.Standard {
		s := compliance.Standard{Namespace: "shop", Name: name, Window: 30 * 24 * time.Hour, AlertWindows: []time.Duration{72 * time.Hour}}
		for _, o := range objectives {
			s.Objectives = append(s.Objectives, compliance.Objective{Name: o, Target: "99", Budget: 0.01, Weight: 1})
		}
		return s
	}
	res, err := compliance.Evaluate(context.Background(), q, evalAt, []compliance.Standard{
		std("sane", "availability"), std("nan", "availability", "latency"), std("inf", "availability"),
		std("negative", "availability"), std("bad-over-all", "availability"),
	}, compliance.Options{AtRiskBudget: 25})
	if err != nil {
		t.Fatal(err)
	}
	if status, reason, _ := res["shop/sane"].Compliant(); status != "True" || reason != pledgev1.ReasonAllObjectivesMet {
		t.Errorf("sane: %s %s", status, reason)
	}
	for name, message := range map[string]string{
		"nan":          "availability: all events are NaN over the window",
		"inf":          "availability: bad events are +Inf over the window",
		"negative":     "availability: an hourly total of bad events is negative (-400) over the window",
		"bad-over-all": "availability: bad events (8640) exceed all events (7200) over the window",
	} {
		r := res["shop/"+name]
		o := r.Objectives[0]
		if o.State != pledgev1.StateNoData || o.Message != message || o.Attainment != "" || o.ErrorBudgetRemaining != "" {
			t.Errorf("%s: state %s message %q attainment %q budget %q; want NoData with %q", name, o.State, o.Message, o.Attainment, o.ErrorBudgetRemaining, message)
		}
		for _, b := range o.BurnRates {
			if b.Value == "NaN" || strings.Contains(b.Value, "Inf") || strings.HasPrefix(b.Value, "-") {
				t.Errorf("%s: burn rate %+v is not a burn rate", name, b)
			}
		}
		status, reason, msg := r.Compliant()
		if status != "Unknown" || reason != pledgev1.ReasonInvalidData || !strings.Contains(msg, message) {
			t.Errorf("%s: Compliant %s %s %q; want Unknown InvalidData naming %q", name, status, reason, msg, message)
		}
	}
	// The sane objective beside the NaN one is measured.
	if o := res["shop/nan"].Objectives[1]; o.State != pledgev1.StateMet || o.Attainment != "99.990" {
		t.Errorf("nan/latency = %+v", o)
	}
}
