package compliance_test

// Compliance measured against a real Prometheus (pinned build, started on loopback) whose TSDB
// is filled with known history of the series Pledge records, so every expected number below is
// arithmetic on that history.

import (
	"context"
	"fmt"
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

	// October to date: 348 hours at 0.05%. September closed at 0.2%: breached, not met.
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

	// 1 ALERTS + 3 per range (30d, October to date, Sep, Aug, Jul) + 5 alert windows.
	if counting.N != 1+3*5+5 {
		t.Errorf("queries = %d, want %d", counting.N, 1+3*5+5)
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
	if counting.N != 1+3*4+5 {
		t.Errorf("queries with known September and twice the standards = %d, want %d", counting.N, 1+3*4+5)
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
