package compliance

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
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
		"met":                   {Totals{1_000, 10_000_000, 720, 720, 0, 0, 0}, false, pledgev1.StateMet, "99.990", "90.0", "100.0"},
		"at risk: little left":  {Totals{8_000, 10_000_000, 720, 720, 0, 0, 0}, false, pledgev1.StateAtRisk, "99.920", "20.0", "100.0"},
		"at risk: burn alert":   {Totals{1_000, 10_000_000, 720, 720, 0, 0, 0}, true, pledgev1.StateAtRisk, "99.990", "90.0", "100.0"},
		"exactly the budget":    {Totals{10_000, 10_000_000, 720, 720, 0, 0, 0}, false, pledgev1.StateAtRisk, "99.900", "0.0", "100.0"},
		"breached":              {Totals{15_000, 10_000_000, 720, 720, 0, 0, 0}, false, pledgev1.StateBreached, "99.850", "-50.0", "100.0"},
		"no events":             {Totals{0, 0, 720, 720, 0, 0, 0}, false, pledgev1.StateNoData, "", "", "100.0"},
		"no series at all":      {Totals{}, false, pledgev1.StateNoData, "", "", ""},
		"a third of the window": {Totals{1_000, 10_000_000, 240, 720, 0, 0, 0}, false, pledgev1.StateMet, "99.990", "90.0", "33.3"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st, err := Standing(o, tc.totals, nil, tc.firing, 25, now)
			if err != nil || st.Message != "" {
				t.Errorf("valid totals: error %v, message %q", err, st.Message)
			}
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
	st, _ := Standing(o, Totals{}, map[time.Duration]float64{time.Hour: 0.05, 5 * time.Minute: 0.2, 6 * time.Hour: nan(),
		30 * time.Minute: math.Inf(1), 72 * time.Hour: -0.01}, false, 25, now)
	got := fmt.Sprint(st.BurnRates)
	if got != "[{5m 20.00} {1h 5.00}]" {
		t.Errorf("burn rates = %s (sorted by window, NaN, Inf and negative skipped, ratio ÷ budget)", got)
	}
}

// TestStandingInvalidData: numbers that cannot be a standing give NoData with a message naming
// the objective and the quantity, never Met.
func TestStandingInvalidData(t *testing.T) {
	o := Objective{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}
	cases := map[string]struct {
		totals  Totals
		message string
	}{
		"bad exceed all":         {Totals{1200, 1000, 720, 720, 0, 0, 0}, "availability: bad events (1200) exceed all events (1000) over the window"},
		"bad without any events": {Totals{5, 0, 720, 720, 0, 0, 0}, "availability: bad events (5) exceed all events (0) over the window"},
		"negative bad":           {Totals{-5, 1000, 720, 720, 0, 0, 0}, "availability: bad events are negative (-5) over the window"},
		"negative all":           {Totals{0, -1000, 720, 720, 0, 0, 0}, "availability: all events are negative (-1000) over the window"},
		"a negative bad hour":    {Totals{319, 1000, 720, 720, -400, 0, 0}, "availability: an hourly total of bad events is negative (-400) over the window"},
		"a negative hour":        {Totals{0, 1000, 720, 720, 0, -3, 0}, "availability: an hourly total of all events is negative (-3) over the window"},
		"NaN bad":                {Totals{nan(), 1000, 720, 720, 0, 0, 0}, "availability: bad events are NaN over the window"},
		"NaN all":                {Totals{0, nan(), 720, 720, 0, 0, 0}, "availability: all events are NaN over the window"},
		"Inf all":                {Totals{10, math.Inf(1), 720, 720, 0, 0, 0}, "availability: all events are +Inf over the window"},
		"-Inf bad":               {Totals{math.Inf(-1), 1000, 720, 720, 0, 0, 0}, "availability: bad events are -Inf over the window"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st, err := Standing(o, tc.totals, nil, false, 25, now)
			if err == nil || err.Error() != tc.message {
				t.Errorf("error = %v, want %q", err, tc.message)
			}
			if st.State != pledgev1.StateNoData || st.Message != tc.message || st.Attainment != "" || st.ErrorBudgetRemaining != "" {
				t.Errorf("got state %s message %q attainment %q budget %q; want NoData with the message and no numbers",
					st.State, st.Message, st.Attainment, st.ErrorBudgetRemaining)
			}
		})
	}
	// All events bad, summed apart: equal up to the last bits is not invalid.
	if st, err := Standing(o, Totals{1000.0000000001, 1000, 720, 720, 0, 0, 0}, nil, false, 25, now); err != nil || st.State != pledgev1.StateBreached {
		t.Errorf("all bad: %v %s", err, st.State)
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

// TestScoreSharesGradedWeight: a graded objective's classes share its weight, so it counts
// once in the score whatever its number of classes.
func TestScoreSharesGradedWeight(t *testing.T) {
	graded := func(weight int32, classes int) []Objective {
		out := make([]Objective, classes)
		for i := range out {
			out[i] = Objective{Weight: weight, Classes: classes}
		}
		return out
	}
	cases := map[string]struct {
		objectives  []Objective
		attainments []string // "" without data
		want        string
	}{
		// The classes average to 97; (2 × 97 + 1 × 99.99) / 3. Copying the weight to every
		// class would give (2 × 98 + 2 × 98 + 2 × 95 + 99.99) / 7 = 97.43.
		"three classes of weight 2 count as one objective of weight 2": {
			append(graded(2, 3), Objective{Weight: 1}), []string{"98.000", "98.000", "95.000", "99.990"}, "98.00"},
		"one objective of weight 2 with the classes' mean": {
			[]Objective{{Weight: 2}, {Weight: 1}}, []string{"97.000", "99.990"}, "98.00"},
		// Weight 1 over three classes: a third each, beside a plain objective of weight 1.
		"weight 1 over three classes": {
			append(graded(1, 3), Objective{Weight: 1}), []string{"99.000", "98.000", "97.000", "90.000"}, "94.00"},
		// Two graded objectives with different class counts (lcm 6): (99 + 95) / 2 and 90.
		"two and three classes": {
			append(graded(1, 2), graded(1, 3)...), []string{"99.000", "95.000", "90.000", "90.000", "90.000"}, "93.50"},
		// A class without data leaves its share out: (99 + 96) / 2 weigh one each, 90 one.
		"a class without data": {
			append(graded(3, 3), Objective{Weight: 1}), []string{"99.000", "", "96.000", "90.000"}, "95.00"},
		"a graded objective of weight 0 does not count": {
			append(graded(0, 2), Objective{Weight: 1}), []string{"10.000", "20.000", "99.500"}, "99.50"},
		"only classes of weight 0": {graded(0, 2), []string{"10.000", "20.000"}, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := make([]pledgev1.ObjectiveStatus, len(tc.attainments))
			for i, a := range tc.attainments {
				st[i].Attainment = a
			}
			if got := Score(tc.objectives, st); got != tc.want {
				t.Errorf("score = %q, want %q", got, tc.want)
			}
		})
	}
	// Exact shares: three equal classes of weight 3 give exactly the score of one objective of
	// weight 3, in every digit.
	a := []string{"99.123456", "99.123456", "99.123456", "98.765432"}
	st := make([]pledgev1.ObjectiveStatus, len(a))
	for i := range a {
		st[i].Attainment = a[i]
	}
	got := Score(append(graded(3, 3), Objective{Weight: 2}), st)
	if want := Score([]Objective{{Weight: 3}, {Weight: 2}}, st[2:]); got != want {
		t.Errorf("three classes of weight 3 score %s, one objective of weight 3 %s", got, want)
	}
}

func TestCompliant(t *testing.T) {
	cases := map[string]struct {
		states  []pledgev1.ObjectiveState
		invalid []string
		status  metav1.ConditionStatus
		reason  string
	}{
		"all met":        {[]pledgev1.ObjectiveState{pledgev1.StateMet, pledgev1.StateMet}, nil, metav1.ConditionTrue, pledgev1.ReasonAllObjectivesMet},
		"at risk is met": {[]pledgev1.ObjectiveState{pledgev1.StateMet, pledgev1.StateAtRisk}, nil, metav1.ConditionTrue, pledgev1.ReasonAllObjectivesMet},
		"one breached":   {[]pledgev1.ObjectiveState{pledgev1.StateMet, pledgev1.StateBreached}, nil, metav1.ConditionFalse, pledgev1.ReasonObjectivesNotMet},
		"no data at all": {[]pledgev1.ObjectiveState{pledgev1.StateNoData}, nil, metav1.ConditionUnknown, pledgev1.ReasonNoData},
		"some no data":   {[]pledgev1.ObjectiveState{pledgev1.StateNoData, pledgev1.StateMet}, nil, metav1.ConditionTrue, pledgev1.ReasonAllObjectivesMet},
		"invalid data": {[]pledgev1.ObjectiveState{pledgev1.StateNoData, pledgev1.StateMet}, []string{"o0: bad events are NaN over the window"},
			metav1.ConditionUnknown, pledgev1.ReasonInvalidData},
		"breached beside invalid data": {[]pledgev1.ObjectiveState{pledgev1.StateNoData, pledgev1.StateBreached}, []string{"o0: bad events are NaN over the window"},
			metav1.ConditionFalse, pledgev1.ReasonObjectivesNotMet},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var st []pledgev1.ObjectiveStatus
			for i, s := range tc.states {
				st = append(st, pledgev1.ObjectiveStatus{Name: fmt.Sprint("o", i), State: s})
			}
			status, reason, msg := Result{Objectives: st, Invalid: tc.invalid}.Compliant()
			if status != tc.status || reason != tc.reason {
				t.Errorf("got %s/%s, want %s/%s", status, reason, tc.status, tc.reason)
			}
			for _, inv := range tc.invalid {
				if !strings.Contains(msg, inv) {
					t.Errorf("message %q does not name %q", msg, inv)
				}
			}
		})
	}
}

func TestBudgetExhausted(t *testing.T) {
	cases := map[string]struct {
		budgets []string // errorBudgetRemaining per objective, "" without data
		invalid []string
		status  metav1.ConditionStatus
		reason  string
		msg     string
	}{
		"all left":            {[]string{"80.0", "20.0"}, nil, metav1.ConditionFalse, pledgev1.ReasonBudgetLeft, "o0 (80.0%), o1 (20.0%)"},
		"one overspent":       {[]string{"80.0", "-35.5"}, nil, metav1.ConditionTrue, pledgev1.ReasonBudgetSpent, "Error budget spent: o1 (-35.5%)"},
		"exactly spent":       {[]string{"0.0", "50.0"}, nil, metav1.ConditionTrue, pledgev1.ReasonBudgetSpent, "o0 (0.0%)"},
		"just left":           {[]string{"0.1"}, nil, metav1.ConditionFalse, pledgev1.ReasonBudgetLeft, "o0 (0.1%)"},
		"spent beside none":   {[]string{"", "-1.0"}, nil, metav1.ConditionTrue, pledgev1.ReasonBudgetSpent, "o1 (-1.0%)"},
		"left beside no data": {[]string{"", "40.0"}, nil, metav1.ConditionFalse, pledgev1.ReasonBudgetLeft, "not measured: o0"},
		"no data at all":      {[]string{"", ""}, nil, metav1.ConditionUnknown, pledgev1.ReasonNoData, "No events"},
		"only invalid data": {[]string{""}, []string{"o0: bad events are NaN over the window"},
			metav1.ConditionUnknown, pledgev1.ReasonInvalidData, "o0: bad events are NaN"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var st []pledgev1.ObjectiveStatus
			for i, b := range tc.budgets {
				st = append(st, pledgev1.ObjectiveStatus{Name: fmt.Sprint("o", i), ErrorBudgetRemaining: b})
			}
			status, reason, msg := Result{Objectives: st, Invalid: tc.invalid}.BudgetExhausted()
			if status != tc.status || reason != tc.reason || !strings.Contains(msg, tc.msg) {
				t.Errorf("got %s/%s %q, want %s/%s containing %q", status, reason, msg, tc.status, tc.reason, tc.msg)
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

// fakeQuerier answers as a Prometheus holding, for each objective, hourly totals of 1 bad
// event in 10,000 at every whole hour, and 5m rates at an error ratio of 0.0001. It records the
// queries and fails those for which fail returns true.
type fakeQuerier struct {
	objectives []model.Metric
	alerts     model.Vector // the answer to the ALERTS query
	queries    []string
	fail       func(q string) bool
}

// hourlyValue answers sum_over_time / count_over_time of the hourly totals over (at-rng, at].
func hourlyValue(q string, at time.Time) float64 {
	rng, err := model.ParseDuration(q[strings.Index(q, "[")+1 : strings.Index(q, "]")])
	if err != nil {
		panic(err)
	}
	if i := strings.Index(q, " @ "); i >= 0 {
		var unix int64
		fmt.Sscan(strings.TrimSuffix(q[i+3:], ")"), &unix)
		at = time.Unix(unix, 0)
	}
	hours := float64(at.Truncate(time.Hour).Sub(at.Add(-time.Duration(rng)).Truncate(time.Hour)) / time.Hour)
	switch {
	case strings.HasPrefix(q, "sum_over_time(pledge:objective_errors:increase1h"):
		return hours
	case strings.HasPrefix(q, "sum_over_time(pledge:objective_events:increase1h"):
		return 10_000 * hours
	case strings.HasPrefix(q, "count_over_time(pledge:objective_events:increase1h"):
		return hours
	}
	panic("unexpected query " + q)
}

func (f *fakeQuerier) Query(_ context.Context, q string, at time.Time) (model.Vector, error) {
	f.queries = append(f.queries, q)
	if f.fail != nil && f.fail(q) {
		return nil, fmt.Errorf("query %q: refused", q)
	}
	if strings.HasPrefix(q, "ALERTS") {
		return f.alerts, nil
	}
	if strings.HasPrefix(q, "label_replace(min_over_time") { // no negative totals
		return nil, nil
	}
	var v model.Vector
	for _, m := range f.objectives {
		val := 0.0001 // an error ratio from the 5m rates
		if strings.Contains(q, "increase1h") {
			val = hourlyValue(q, at)
		}
		v = append(v, &model.Sample{Metric: m, Value: model.SampleValue(val)})
	}
	return v, nil
}

func (f *fakeQuerier) QueryRange(_ context.Context, q string, r promv1.Range) (model.Matrix, error) {
	f.queries = append(f.queries, q)
	if f.fail != nil && f.fail(q) {
		return nil, fmt.Errorf("range query %q: refused", q)
	}
	if strings.HasPrefix(q, "label_replace(min_over_time") { // no negative totals
		return nil, nil
	}
	var m model.Matrix
	for _, metric := range f.objectives {
		s := &model.SampleStream{Metric: metric}
		for at := r.Start; !at.After(r.End); at = at.Add(r.Step) {
			s.Values = append(s.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(at.UnixNano()), Value: model.SampleValue(hourlyValue(q, at))})
		}
		m = append(m, s)
	}
	return m, nil
}

func objectiveMetric(std string) model.Metric {
	return model.Metric{"namespace": "ns", "service_standard": model.LabelValue(std), "objective": "availability"}
}

var defaultAlertWindows = []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour}

// TestQueriesDoNotGrowWithStandards: 1 and 1,000 standards (of the same windows) cost the
// same number of queries.
func TestQueriesDoNotGrowWithStandards(t *testing.T) {
	count := func(n int) ([]string, map[string]Result) {
		f := &fakeQuerier{}
		var stds []Standard
		for i := range n {
			s := Standard{Namespace: "ns", Name: fmt.Sprint("s", i), Window: 30 * 24 * time.Hour,
				Objectives:   []Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}},
				AlertWindows: defaultAlertWindows}
			stds = append(stds, s)
			f.objectives = append(f.objectives, objectiveMetric(s.Name))
		}
		res, err := Evaluate(context.Background(), f, now, stds, Options{AtRiskBudget: 25, Periods: 3})
		if err != nil {
			t.Fatal(err)
		}
		return f.queries, res
	}
	oneQueries, _ := count(1)
	manyQueries, res := count(1000)
	one, many := len(oneQueries), len(manyQueries)
	// A query serving a few standards selects them by name; one serving more than it may list
	// reads every objective's series.
	for i := range oneQueries[1:] {
		if !strings.Contains(oneQueries[1+i], `{service_standard=~"s0"}`) || strings.Contains(manyQueries[1+i], "service_standard=~") {
			t.Errorf("query for 1 standard %q, for 1,000 %.200q", oneQueries[1+i], manyQueries[1+i])
		}
	}
	// 30d and 3d are multiples of 3 days: the range queries sum 3-day blocks.
	if !strings.HasPrefix(oneQueries[1], `sum_over_time(pledge:objective_errors:increase1h{service_standard=~"s0"}[3d])`) {
		t.Errorf("first range query = %s, want sums of 3-day blocks", oneQueries[1])
	}
	// 1 ALERTS + 4 range queries for the whole days of 30d and 3d + 4 short alert windows.
	if one != 9 || many != one {
		t.Errorf("queries: %d for 1 standard, %d for 1,000; want 9 for both", one, many)
	}
	r := res["ns/s999"]
	if len(r.Objectives) != 1 || r.Objectives[0].Attainment != "99.990" || r.Objectives[0].State != pledgev1.StateMet || r.Score != "99.99" ||
		r.Objectives[0].WindowCoverage != "100.0" {
		t.Errorf("fan-out result = %+v", r)
	}
	if len(r.Objectives[0].BurnRates) != 5 || r.Objectives[0].BurnRates[0].Value != "0.10" || r.Objectives[0].BurnRates[4].Value != "0.10" {
		t.Errorf("burn rates = %+v", r.Objectives[0].BurnRates)
	}
}

// TestQueriesBoundedWhateverWindows: a thousand standards with a thousand distinct rolling
// windows and long alert windows, and calendar standards in many time zones, cost a bounded
// number of queries, and each window measures exactly its whole hours.
func TestQueriesBoundedWhateverWindows(t *testing.T) {
	f := &fakeQuerier{}
	var stds []Standard
	for i := range 1000 {
		s := Standard{Namespace: "ns", Name: fmt.Sprint("s", i), Window: 24*time.Hour + time.Duration(i)*time.Hour + time.Duration(i%60)*time.Minute,
			Objectives:   []Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}},
			AlertWindows: []time.Duration{5 * time.Minute, 7*time.Hour + time.Duration(i)*time.Minute}}
		stds = append(stds, s)
		f.objectives = append(f.objectives, objectiveMetric(s.Name))
	}
	for _, tz := range []string{"UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "Australia/Eucla"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		for _, period := range []pledgev1.CalendarPeriod{pledgev1.CalendarMonth, pledgev1.CalendarQuarter} {
			s := Standard{Namespace: "ns", Name: string(period) + "-" + tz, Period: period, Location: loc,
				Objectives: []Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}}}
			stds = append(stds, s)
			f.objectives = append(f.objectives, objectiveMetric(s.Name))
		}
	}
	at := now.Add(17*time.Minute + 3*time.Second) // not on the hour
	res, err := Evaluate(context.Background(), f, at, stds, Options{AtRiskBudget: 25})
	if err != nil {
		t.Fatal(err)
	}
	// 1 ALERTS, 1 short window, and per remainder in use 4 range and 4 instant queries: 24
	// whole-hour remainders of the rolling windows, and one per UTC offset at the calendar
	// standards' period starts (0, +1 and +2 in Berlin, +5:30, -2:30, +5:45, +13:45, +8:45);
	// the remainder 0 needs no instant queries.
	if want := 1 + 1 + 8*(24+8) - 4; len(f.queries) != want {
		t.Errorf("%d queries, want %d", len(f.queries), want)
	}
	for i, s := range stds[:1000] {
		hours := float64(24 + i)
		o := res["ns/"+s.Name].Objectives[0]
		if o.Attainment != "99.990" || o.WindowCoverage != "100.0" || len(o.BurnRates) != 2 || o.BurnRates[1].Value != "0.10" {
			t.Fatalf("%s (%s, %.0f hours): %+v", s.Name, s.Window, hours, o)
		}
	}
	for _, s := range stds[1000:] {
		if o := res["ns/"+s.Name].Objectives[0]; o.Attainment != "99.990" || o.WindowCoverage != "100.0" {
			t.Errorf("%s to date: %+v", s.Name, o)
		}
	}
}

// TestFailedQueryIsolated: a query that fails for one window leaves only the standards that
// need it unmeasured; every other standard gets its standing.
func TestFailedQueryIsolated(t *testing.T) {
	f := &fakeQuerier{fail: func(q string) bool { return strings.Contains(q, "[5h]") }}
	var stds []Standard
	for i, w := range []time.Duration{30 * 24 * time.Hour, 13*24*time.Hour + 5*time.Hour, 28 * 24 * time.Hour, 2*24*time.Hour + 5*time.Hour} {
		s := Standard{Namespace: "ns", Name: fmt.Sprint("s", i), Window: w, AlertWindows: defaultAlertWindows,
			Objectives: []Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}}}
		stds = append(stds, s)
		f.objectives = append(f.objectives, objectiveMetric(s.Name))
	}
	res, err := Evaluate(context.Background(), f, now, stds, Options{AtRiskBudget: 25})
	if err == nil || !strings.Contains(err.Error(), "[5h]") {
		t.Errorf("error = %v, want the failed [5h] query", err)
	}
	for name, failed := range map[string]bool{"ns/s0": false, "ns/s1": true, "ns/s2": false, "ns/s3": true} {
		r := res[name]
		switch {
		case failed && (r.Err == nil || !strings.Contains(r.Err.Error(), "refused") || r.Objectives != nil):
			t.Errorf("%s needs the failed query: %+v", name, r)
		case !failed && (r.Err != nil || r.Objectives[0].State != pledgev1.StateMet):
			t.Errorf("%s does not need the failed query: %+v", name, r)
		}
	}
	// Without the burn-rate alerts nothing can be told Met from AtRisk: every standard waits.
	f.fail = func(q string) bool { return strings.HasPrefix(q, "ALERTS") }
	res, err = Evaluate(context.Background(), f, now, stds, Options{AtRiskBudget: 25})
	if err == nil || res["ns/s0"].Err == nil || res["ns/s2"].Err == nil {
		t.Errorf("ALERTS failed: %v %+v", err, res)
	}
}

// TestNoDataAlertMessage: while PledgeObjectiveNoData fires for an objective, its message names
// the missing series (Presence, copied from the resolved standard) and how long it is absent
// (the alert's own wait);
// a burn-rate alert makes its objective AtRisk.
func TestNoDataAlertMessage(t *testing.T) {
	s, err := FromResolved(&render.Standard{Namespace: "ns", Name: "s0", Window: 30 * 24 * time.Hour, NoDataAfter: 10 * time.Minute,
		Objectives: []render.Objective{
			{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1, Presence: `http_requests_total{job="checkout"}`},
			{Name: "latency", Target: "99", Budget: 0.01, Weight: 1, Presence: `http_request_duration_seconds_bucket{le="0.3"}`, SampleInterval: 15 * time.Minute},
		}})
	if err != nil {
		t.Fatal(err)
	}
	alert := func(name, objective string) *model.Sample {
		return &model.Sample{Metric: model.Metric{"alertname": model.LabelValue(name), "alertstate": "firing", "namespace": "ns",
			"service_standard": "s0", "objective": model.LabelValue(objective), "severity": "ticket"}, Value: 1}
	}
	f := &fakeQuerier{alerts: model.Vector{alert(render.AlertNoData, "latency"), alert(render.AlertBurnRate, "availability")}}
	// Hourly totals of the availability objective only: the latency series is gone.
	f.objectives = []model.Metric{{"namespace": "ns", "service_standard": "s0", "objective": "availability"}}
	res, err := Evaluate(context.Background(), f, now, []Standard{s}, Options{AtRiskBudget: 25})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.queries[0], `alertname=~"PledgeErrorBudgetBurn|PledgeObjectiveNoData"`) {
		t.Errorf("ALERTS query = %s", f.queries[0])
	}
	avail, latency := res["ns/s0"].Objectives[0], res["ns/s0"].Objectives[1]
	if avail.State != pledgev1.StateAtRisk || avail.Message != "" {
		t.Errorf("availability = %+v, want AtRisk without a message", avail)
	}
	// Sampled every 15m: the alert waits two intervals.
	want := `no samples of http_request_duration_seconds_bucket{le="0.3"} for the last 30m (PledgeObjectiveNoData is firing)`
	if latency.State != pledgev1.StateNoData || latency.Message != want {
		t.Errorf("latency = %+v, want NoData with %q", latency, want)
	}
}
