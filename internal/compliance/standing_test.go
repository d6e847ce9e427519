package compliance

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestStanding(t *testing.T) {
	o := Objective{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}
	cases := map[string]struct {
		totals                  Totals
		firing                  bool
		state                   pledgev1.ObjectiveState
		attainment, budget, cov string
	}{
		// 1,000 errors in 10M events: ratio 0.01%, a tenth of the 0.1% budget spent.
		"met":                   {Totals{1_000, 10_000_000, 720, 720}, false, pledgev1.StateMet, "99.990", "90.0", "100.0"},
		"at risk: little left":  {Totals{8_000, 10_000_000, 720, 720}, false, pledgev1.StateAtRisk, "99.920", "20.0", "100.0"},
		"at risk: burn alert":   {Totals{1_000, 10_000_000, 720, 720}, true, pledgev1.StateAtRisk, "99.990", "90.0", "100.0"},
		"exactly the budget":    {Totals{10_000, 10_000_000, 720, 720}, false, pledgev1.StateAtRisk, "99.900", "0.0", "100.0"},
		"breached":              {Totals{15_000, 10_000_000, 720, 720}, false, pledgev1.StateBreached, "99.850", "-50.0", "100.0"},
		"no events":             {Totals{0, 0, 720, 720}, false, pledgev1.StateNoData, "", "", "100.0"},
		"no series at all":      {Totals{}, false, pledgev1.StateNoData, "", "", ""},
		"a third of the window": {Totals{1_000, 10_000_000, 240, 720}, false, pledgev1.StateMet, "99.990", "90.0", "33.3"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := Standing(o, tc.totals, nil, tc.firing, 25, now)
			if st.State != tc.state || st.Attainment != tc.attainment || st.ErrorBudgetRemaining != tc.budget || st.WindowCoverage != tc.cov {
				t.Errorf("got state %s attainment %q budget %q coverage %q; want %s %q %q %q",
					st.State, st.Attainment, st.ErrorBudgetRemaining, st.WindowCoverage, tc.state, tc.attainment, tc.budget, tc.cov)
			}
			if st.Target != "99.9" || st.LastEvaluated == nil || !st.LastEvaluated.Time.Equal(now) {
				t.Errorf("target/lastEvaluated = %q %v", st.Target, st.LastEvaluated)
			}
		})
	}
}

func TestStandingBurnRates(t *testing.T) {
	o := Objective{Name: "a", Target: "99", Budget: 0.01}
	st := Standing(o, Totals{}, map[time.Duration]float64{time.Hour: 0.05, 5 * time.Minute: 0.2, 6 * time.Hour: nan()}, false, 25, now)
	got := fmt.Sprint(st.BurnRates)
	if got != "[{5m 20.00} {1h 5.00}]" {
		t.Errorf("burn rates = %s (sorted by window, NaN skipped, ratio ÷ budget)", got)
	}
}

func nan() float64 { var z float64; return z / z }

func TestScoreAndMinBudget(t *testing.T) {
	objs := []Objective{{Weight: 3}, {Weight: 1}, {Weight: 5}}
	st := []pledgev1.ObjectiveStatus{
		{Attainment: "99.9", ErrorBudgetRemaining: "10.0"},
		{Attainment: "95.1", ErrorBudgetRemaining: "-2.0"},
		{State: pledgev1.StateNoData}, // no data: not weighed
	}
	// (3 × 99.9 + 1 × 95.1) / 4 = 98.7
	if got := Score(objs, st); got != "98.70" {
		t.Errorf("score = %s, want 98.70", got)
	}
	if got := MinBudget(st); got != "-2.0" {
		t.Errorf("min budget = %s", got)
	}
	if got := Score(objs[2:], st[2:]); got != "" {
		t.Errorf("score without data = %q, want empty", got)
	}
}

func TestCompliant(t *testing.T) {
	cases := map[string]struct {
		states []pledgev1.ObjectiveState
		status metav1.ConditionStatus
		reason string
	}{
		"all met":        {[]pledgev1.ObjectiveState{pledgev1.StateMet, pledgev1.StateMet}, metav1.ConditionTrue, pledgev1.ReasonAllObjectivesMet},
		"at risk is met": {[]pledgev1.ObjectiveState{pledgev1.StateMet, pledgev1.StateAtRisk}, metav1.ConditionTrue, pledgev1.ReasonAllObjectivesMet},
		"one breached":   {[]pledgev1.ObjectiveState{pledgev1.StateMet, pledgev1.StateBreached}, metav1.ConditionFalse, pledgev1.ReasonObjectivesNotMet},
		"no data at all": {[]pledgev1.ObjectiveState{pledgev1.StateNoData}, metav1.ConditionUnknown, pledgev1.ReasonNoData},
		"some no data":   {[]pledgev1.ObjectiveState{pledgev1.StateNoData, pledgev1.StateMet}, metav1.ConditionTrue, pledgev1.ReasonAllObjectivesMet},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var st []pledgev1.ObjectiveStatus
			for i, s := range tc.states {
				st = append(st, pledgev1.ObjectiveStatus{Name: fmt.Sprint("o", i), State: s})
			}
			status, reason, _ := Compliant(st)
			if status != tc.status || reason != tc.reason {
				t.Errorf("got %s/%s, want %s/%s", status, reason, tc.status, tc.reason)
			}
		})
	}
}

func TestPeriods(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on 31 October is already 1 November in Berlin (CET, +1).
	at := time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)
	if got := PeriodStart(at, pledgev1.CalendarMonth, berlin); !got.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, berlin)) {
		t.Errorf("month start = %v", got)
	}
	if got := PeriodStart(at, pledgev1.CalendarQuarter, berlin); !got.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, berlin)) {
		t.Errorf("quarter start = %v", got)
	}
	closed := ClosedPeriods(at, pledgev1.CalendarMonth, berlin, 2)
	// October in Berlin has 31 days and the switch from summer time: 745 hours.
	if len(closed) != 2 || !closed[0][0].Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, berlin)) || closed[0][1].Sub(closed[0][0]) != 745*time.Hour {
		t.Errorf("closed months = %v", closed)
	}
	if !closed[1][1].Equal(closed[0][0]) {
		t.Errorf("closed periods must be contiguous: %v", closed)
	}
	q := ClosedPeriods(at, pledgev1.CalendarQuarter, time.UTC, 1)
	if !q[0][0].Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) || !q[0][1].Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("closed quarter = %v", q)
	}
}

// fakeQuerier answers every query with one sample per objective; it records the queries.
type fakeQuerier struct {
	objectives []model.Metric
	queries    []string
}

func (f *fakeQuerier) Query(_ context.Context, q string, _ time.Time) (model.Vector, error) {
	f.queries = append(f.queries, q)
	var v model.Vector
	for _, m := range f.objectives {
		val := 1.0
		switch {
		case strings.Contains(q, " / "): // an error ratio
			val = 0.0001
		case strings.HasPrefix(q, "sum_over_time(pledge:objective_errors:increase1h"):
			val = 10
		case strings.HasPrefix(q, "sum_over_time(pledge:objective_events:increase1h"):
			val = 100_000
		case strings.HasPrefix(q, "count_over_time"):
			val = 720
		case strings.HasPrefix(q, "ALERTS"):
			continue
		default:
			val = 0.0001
		}
		v = append(v, &model.Sample{Metric: m, Value: model.SampleValue(val)})
	}
	return v, nil
}

// TestQueriesDoNotGrowWithStandards: 1 and 1,000 standards (of the same windows) cost the
// same number of queries.
func TestQueriesDoNotGrowWithStandards(t *testing.T) {
	count := func(n int) (int, map[string]Result) {
		f := &fakeQuerier{}
		var stds []Standard
		for i := range n {
			s := Standard{Namespace: "ns", Name: fmt.Sprint("s", i), Window: 30 * 24 * time.Hour,
				Objectives:   []Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}},
				AlertWindows: []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour}}
			stds = append(stds, s)
			f.objectives = append(f.objectives, model.Metric{"namespace": "ns", "service_standard": model.LabelValue(s.Name), "objective": "availability"})
		}
		res, err := Evaluate(context.Background(), f, now, stds, Options{AtRiskBudget: 25, Periods: 3})
		if err != nil {
			t.Fatal(err)
		}
		return len(f.queries), res
	}
	one, _ := count(1)
	many, res := count(1000)
	// 1 ALERTS + 3 for the 30d range + 5 alert windows.
	if one != 9 || many != one {
		t.Errorf("queries: %d for 1 standard, %d for 1,000; want 9 for both", one, many)
	}
	r := res["ns/s999"]
	if len(r.Objectives) != 1 || r.Objectives[0].Attainment != "99.990" || r.Objectives[0].State != pledgev1.StateMet || r.Score != "99.99" {
		t.Errorf("fan-out result = %+v", r)
	}
	if len(r.Objectives[0].BurnRates) != 5 || r.Objectives[0].BurnRates[0].Value != "0.10" {
		t.Errorf("burn rates = %+v", r.Objectives[0].BurnRates)
	}
}
