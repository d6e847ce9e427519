package compliance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// TestCalendarAcrossPeriodBoundary: a month in Europe/Berlin (October 2026 has 745 hours:
// summer time ends on the 25th) and a quarter in America/New_York (the third, 92 days), against
// a real Prometheus holding hourly totals recorded at 17 minutes past the hour. Totals whose
// hour lies in the closed period say 0.2% errors, in the new one 0.05%; the totals whose hour
// straddles a period's start say 50%, so any period that reads one shows it. Measured half an
// hour into the new period and three and a half hours in.
func TestCalendarAcrossPeriodBoundary(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		name   string
		period pledgev1.CalendarPeriod
		loc    *time.Location
		hours  float64 // of the closed period
	}{
		{"monthly-berlin", pledgev1.CalendarMonth, berlin, 745},
		{"quarterly-ny", pledgev1.CalendarQuarter, ny, 2208},
	}
	var om strings.Builder
	var standards []compliance.Standard
	const burn = 0.005 // the error share of the 5m rates in the new period's last hours
	lastAt := map[string]time.Time{}
	for _, c := range cases {
		start := time.Date(2026, 11, 1, 0, 0, 0, 0, c.loc)
		if c.period == pledgev1.CalendarQuarter {
			start = time.Date(2026, 10, 1, 0, 0, 0, 0, c.loc)
		}
		prev := compliance.PeriodStart(start.Add(-time.Hour), c.period, c.loc)
		if got := start.Sub(prev).Hours(); got != c.hours {
			t.Fatalf("%s: the closed period has %v hours, want %v", c.name, got, c.hours)
		}
		at := start.Add(3*time.Hour + 30*time.Minute)
		lastAt[c.name] = at
		hourlyTotals(&om, c.name, "availability", prev.Add(-3*time.Hour), at, 17*time.Minute, func(t time.Time) (string, string) {
			from := t.Add(-time.Hour)
			switch {
			case !from.Before(start):
				return "18", "36000" // 0.05%
			case !t.After(start) && !from.Before(prev):
				return "72", "36000" // 0.2%
			}
			return "18000", "36000" // straddling a period's start
		})
		for _, name := range []string{"pledge:objective_errors:rate5m", "pledge:objective_events:rate5m"} {
			fmt.Fprintf(&om, "# TYPE %s gauge\n", name)
			v := 10.0
			if strings.Contains(name, "errors") {
				v *= burn
			}
			for ts := start.Add(2 * time.Hour); !ts.After(at); ts = ts.Add(time.Minute) {
				fmt.Fprintf(&om, "%s{namespace=\"shop\",service_standard=%q,service=\"checkout\",objective=\"availability\"} %g %d\n", name, c.name, v, ts.Unix())
			}
		}
		standards = append(standards, compliance.Standard{Namespace: "shop", Name: c.name, Period: c.period, Location: c.loc,
			AlertWindows: []time.Duration{time.Hour},
			Objectives:   []compliance.Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}}})
	}
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, om.String())
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 30 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		std := standards[i]
		at := lastAt[c.name]
		start := at.Add(-3*time.Hour - 30*time.Minute)

		// Half an hour in: the new period has no whole hour yet; the closed one is measured
		// from its own hours only (no straddling total), over all its hours but one.
		res, err := compliance.Evaluate(context.Background(), q, start.Add(30*time.Minute), []compliance.Standard{std}, compliance.Options{AtRiskBudget: 25, Periods: 1})
		if err != nil {
			t.Fatal(err)
		}
		r := res["shop/"+c.name]
		if o := r.Objectives[0]; o.State != pledgev1.StateNoData || o.Attainment != "" {
			t.Errorf("%s half an hour in: %+v, want NoData (no event of the closed period)", c.name, o)
		}
		if len(r.Periods) != 1 {
			t.Fatalf("%s: periods %+v, want the closed one", c.name, r.Periods)
		}
		p := r.Periods[0]
		prev := compliance.PeriodStart(start.Add(-time.Hour), c.period, c.loc)
		if !p.Start.Time.Equal(prev) || !p.End.Time.Equal(start) || p.Attainment != "99.80" || p.Met || p.Coverage != "100.0" {
			t.Errorf("%s closed period = %+v; want %v to %v, attainment 99.80, not met, coverage 100.0", c.name, p, prev.UTC(), start.UTC())
		}

		// Three and a half hours in: the totals of the new period's whole hours (at 1:17, 2:17
		// and 3:17 local), none of the closed one; the projection runs the rest of the period at
		// the last hour's 0.5% (the 5m rates) with the period's 36,000 events an hour.
		res, err = compliance.Evaluate(context.Background(), q, at, []compliance.Standard{std}, compliance.Options{AtRiskBudget: 25, Periods: 1})
		if err != nil {
			t.Fatal(err)
		}
		o := res["shop/"+c.name].Objectives[0]
		left := render.NextPeriodStart(at, c.period, c.loc).Sub(at).Hours()
		ratio := (3*18 + 36000*left*burn) / (3*36000 + 36000*left)
		wantProjected, wantProjectedBudget := fmt.Sprintf("%.3f", 100*(1-ratio)), fmt.Sprintf("%.1f", 100*(1-ratio/0.001))
		if o.State != pledgev1.StateMet || o.Attainment != "99.950" || o.ErrorBudgetRemaining != "50.0" ||
			o.ProjectedAttainment != wantProjected || o.ProjectedErrorBudgetRemaining != wantProjectedBudget {
			t.Errorf("%s period to date = %+v; want Met 99.950, 50.0 left, projected %s and %s", c.name, o, wantProjected, wantProjectedBudget)
		}
	}
}
