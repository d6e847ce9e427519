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

// routeHistory is the recorded history of one value of a grouped objective (route "" for an
// objective without groupBy): hourly totals at errShare for the hours in (from, evalAt], and
// 1-minute 5m rates for the last 7 hours.
type routeHistory struct {
	standard, objective, route string
	from                       time.Time
	errShare                   func(time.Time) float64
}

func routeMetrics(hs []routeHistory) string {
	var b strings.Builder
	for _, name := range []string{render.SeriesErrorsHourly, render.SeriesEventsHourly, render.SeriesErrors, render.SeriesEvents} {
		errors := name == render.SeriesErrorsHourly || name == render.SeriesErrors
		hourly := name == render.SeriesErrorsHourly || name == render.SeriesEventsHourly
		fmt.Fprintf(&b, "# TYPE %s gauge\n", name)
		for _, h := range hs {
			labels := fmt.Sprintf(`{namespace="shop",service_standard=%q,service="api",objective=%q`, h.standard, h.objective)
			if h.route != "" {
				labels += fmt.Sprintf(`,route=%q`, h.route)
			}
			labels += "}"
			from, step, per := h.from, time.Hour, float64(eventsPerHour)
			if !hourly {
				from, step, per = evalAt.Add(-7*time.Hour-time.Minute), time.Minute, float64(eventsPerHour)/3600
			}
			for t := from.Add(step); !t.After(evalAt); t = t.Add(step) {
				v := per
				if errors {
					v *= h.errShare(t)
				}
				fmt.Fprintf(&b, "%s%s %g %d\n", name, labels, v, t.Unix())
			}
		}
	}
	return b.String()
}

const groupedStandards = `
metadata: {name: api, namespace: shop}
spec:
  service: api
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      weight: 1
      groupBy: [route]
      ratio:
        errors: http_requests_total{code="500"}
        total: http_requests_total
    - name: whole
      target: "99.9"
      weight: 1
      ratio:
        errors: http_requests_total{code="500"}
        total: http_requests_total
---
metadata: {name: monthly, namespace: shop}
spec:
  service: api
  calendar: {period: month}
  objectives:
    - name: availability
      target: "99.9"
      weight: 1
      groupBy: [route]
      ratio:
        errors: http_requests_total{code="500"}
        total: http_requests_total
`

// groupedCompliance measures the grouped standards, or the same standards without groupBy
// (grouped false), against prom.
func groupedCompliance(t *testing.T, prom *procs.Prometheus, grouped bool) (map[string]compliance.Result, int) {
	t.Helper()
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var standards []compliance.Standard
	for _, doc := range strings.Split(groupedStandards, "---\n") {
		if !grouped {
			doc = strings.ReplaceAll(doc, "groupBy: [route]", "")
		}
		s, err := compliance.FromResolved(resolved(t, doc))
		if err != nil {
			t.Fatal(err)
		}
		standards = append(standards, s)
	}
	counting := &compliance.CountingQuerier{Querier: q}
	res, err := compliance.Evaluate(context.Background(), counting, evalAt, standards, compliance.Options{AtRiskBudget: 25, Periods: 3})
	if err != nil {
		t.Fatal(err)
	}
	return res, counting.N
}

// TestGroupedObjectiveAgainstPrometheus: seven routes of a grouped objective with 30 days of
// recorded history at different error ratios. The status lists the five worst by budget left,
// counts seven, and the objective stands as its worst route; the poll costs the queries of the
// same standards without groupBy.
func TestGroupedObjectiveAgainstPrometheus(t *testing.T) {
	thirtyDays := evalAt.Add(-30 * 24 * time.Hour)
	september := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	october := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	shares := map[string]float64{"/a": 0.0001, "/b": 0.0002, "/c": 0.0003, "/d": 0.0005, "/e": 0.0008, "/f": 0.002, "/g": 0.00005}
	var hs []routeHistory
	for route, s := range shares {
		hs = append(hs, routeHistory{"api", "availability", route, thirtyDays, share(s)})
	}
	hs = append(hs,
		routeHistory{"api", "whole", "", thirtyDays, share(0.0001)},
		// September: /x at 0.2% (breached), /y at 0.01%; October: both at 0.01%.
		routeHistory{"monthly", "availability", "/x", september, func(t time.Time) float64 {
			if t.After(october) {
				return 0.0001
			}
			return 0.002
		}},
		routeHistory{"monthly", "availability", "/y", september, share(0.0001)},
	)
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, routeMetrics(hs))
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})

	res, queries := groupedCompliance(t, prom, true)
	api := res["shop/api"]
	if len(api.Objectives) != 2 || len(api.Invalid) > 0 {
		t.Fatalf("api = %+v", api)
	}
	o := api.Objectives[0]
	burns := map[string]string{}
	for _, b := range o.BurnRates {
		burns[b.Window] = b.Value
	}
	// The worst route, /f: 0.2% errors against a 0.1% budget, twice the budget spent.
	if o.Name != "availability" || o.State != pledgev1.StateBreached || o.Attainment != "99.800" || o.ErrorBudgetRemaining != "-100.0" ||
		o.WindowCoverage != "100.0" || burns["1h"] != "2.00" || burns["3d"] != "2.00" {
		t.Errorf("availability stands as its worst route /f: got %+v", o)
	}
	var got []string
	for _, v := range o.Values {
		got = append(got, fmt.Sprintf("%s %s %s %s", v.Labels["route"], v.State, v.Attainment, v.ErrorBudgetRemaining))
	}
	want := []string{"/f Breached 99.800 -100.0", "/e AtRisk 99.920 20.0", "/d Met 99.950 50.0", "/c Met 99.970 70.0", "/b Met 99.980 80.0"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") || o.ValueCount != 7 {
		t.Errorf("values (of %d):\n got %q\nwant %q, of 7", o.ValueCount, got, want)
	}
	if w := api.Objectives[1]; w.Name != "whole" || w.State != pledgev1.StateMet || w.Attainment != "99.990" || len(w.Values) != 0 || w.ValueCount != 0 {
		t.Errorf("the ungrouped objective: %+v", w)
	}
	// (99.800 + 99.990) / 2: the grouped objective weighs as its worst route.
	if api.MinBudget != "-100.0" || api.Score != "99.89" {
		t.Errorf("min budget %q, score %q; want the worst route's -100.0, and 99.89", api.MinBudget, api.Score)
	}

	// The month to date at 0.01% on both routes; September is closed at /x's 0.2%: not met.
	monthly := res["shop/monthly"]
	if o := monthly.Objectives[0]; o.State != pledgev1.StateMet || o.Attainment != "99.990" || o.ValueCount != 2 {
		t.Errorf("October to date = %+v", o)
	}
	if len(monthly.Periods) != 1 || monthly.Periods[0].Met || monthly.Periods[0].Attainment != "99.80" {
		t.Errorf("September stands as its worst route /x: %+v", monthly.Periods)
	}

	// Bounded: the same queries as without groupBy, whatever the number of values.
	if _, plain := groupedCompliance(t, prom, false); queries != plain {
		t.Errorf("%d queries with groupBy, %d without", queries, plain)
	}
}
