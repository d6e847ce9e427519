package compliance

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// Totals are the measured counts of one objective over a range.
type Totals struct {
	Errors, Events float64
	// Hours is the number of hourly totals found; Expected the number the range holds.
	Hours, Expected float64
	// LowestErrors and LowestEvents are the lowest hourly totals when they are negative.
	LowestErrors, LowestEvents float64
	// RawHours are the hours of Hours measured from the raw series (see History).
	RawHours float64
}

// plus adds the totals of another, disjoint, stretch.
func (t Totals) plus(o Totals) Totals {
	t.Errors += o.Errors
	t.Events += o.Events
	t.Hours += o.Hours
	t.RawHours += o.RawHours
	t.LowestErrors = min(t.LowestErrors, o.LowestErrors)
	t.LowestEvents = min(t.LowestEvents, o.LowestEvents)
	return t
}

// Objective is one objective to measure.
type Objective struct {
	Name   string
	Target string
	Budget float64 // 1 - target/100
	// Weight is the objective's weight as written; the Classes classes of a graded objective
	// share it, each counting Weight/Classes (Classes 0 counts as 1).
	Weight  int32
	Classes int
	// Presence is the raw series whose absence fires PledgeObjectiveNoData, and NoDataFor how
	// long it must be absent first.
	Presence  string
	NoDataFor time.Duration
	// ErrorsExpr and EventsExpr are the raw rate expressions of the recording rules, read for
	// the history before the recorded totals begin (see History).
	ErrorsExpr, EventsExpr string
	// GroupBy are the labels whose values are measured each on its own (see groupedStanding).
	GroupBy []string
}

// Standing computes an objective's status from its totals over the window, its error ratios
// per alert window, and whether a burn-rate alert fires for it. atRisk is the share of budget
// (percent) below which a met objective is AtRisk.
//
// Totals that cannot be a standing (see Totals.Invalid) give state NoData with the problem in
// the message, and the problem as the error; such an objective is never Met.
func Standing(o Objective, t Totals, ratios map[time.Duration]float64, firing bool, atRisk float64, now time.Time) (pledgev1.ObjectiveStatus, error) {
	st := pledgev1.ObjectiveStatus{Name: o.Name, Target: o.Target, LastEvaluated: &metav1.Time{Time: now}}
	if t.Expected > 0 && finite(t.Hours) {
		st.WindowCoverage = formatFixed(math.Min(100, 100*t.Hours/t.Expected), 1)
		if t.RawHours > 0 {
			st.HistoryCoverage = formatFixed(math.Min(100, 100*t.RawHours/t.Expected), 1)
		}
	}
	for _, w := range sortedWindows(ratios) {
		r := ratios[w]
		if !finite(r) || r < 0 {
			continue
		}
		st.BurnRates = append(st.BurnRates, pledgev1.BurnRate{Window: promDuration(w), Value: formatFixed(r/o.Budget, 2)})
	}
	if problem := t.Invalid(); problem != "" {
		err := fmt.Errorf("%s: %s over the window", o.Name, problem)
		st.State, st.Message = pledgev1.StateNoData, err.Error()
		return st, err
	}
	if t.Events == 0 {
		st.State = pledgev1.StateNoData
		return st, nil
	}
	ratio := t.Errors / t.Events
	remaining := 100 * (1 - ratio/o.Budget)
	st.Attainment = formatFixed(100*(1-ratio), attainmentDecimals(o.Target))
	st.ErrorBudgetRemaining = formatFixed(remaining, 1)
	switch {
	case ratio > o.Budget:
		st.State = pledgev1.StateBreached
	case firing || remaining < atRisk:
		st.State = pledgev1.StateAtRisk
	default:
		st.State = pledgev1.StateMet
	}
	return st, nil
}

// Invalid says why the totals cannot be a standing, or "" when they can: counts that are not
// finite numbers, negative counts (in sum or in any hour), or more bad events than events.
func (t Totals) Invalid() string {
	for _, c := range []struct {
		what      string
		v, lowest float64
	}{{"bad events", t.Errors, t.LowestErrors}, {"all events", t.Events, t.LowestEvents}} {
		switch {
		case !finite(c.v):
			return fmt.Sprintf("%s are %s", c.what, formatCount(c.v))
		case c.v < 0:
			return fmt.Sprintf("%s are negative (%s)", c.what, formatCount(c.v))
		case c.lowest < 0:
			return fmt.Sprintf("an hourly total of %s is negative (%s)", c.what, formatCount(c.lowest))
		}
	}
	// Bad and all events are summed apart, so all-bad traffic may differ in the last bits.
	if t.Errors > t.Events*(1+1e-9) {
		return fmt.Sprintf("bad events (%s) exceed all events (%s)", formatCount(t.Errors), formatCount(t.Events))
	}
	return ""
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// formatCount writes a count as Prometheus would (shortest form, NaN, +Inf).
func formatCount(f float64) string { return model.SampleValue(f).String() }

// Score is the weighted attainment of the objectives that have data, or "" when none has:
// Σ wᵢ·attainmentᵢ / Σ wᵢ over them. A graded objective's classes share its weight, each
// weighing Weight/Classes, so the objective counts once however many classes it has. The
// shares are scaled to whole numbers by the least common multiple of the class counts, so
// they are exact: three classes of weight 3 weigh what one objective of weight 3 does.
func Score(objectives []Objective, st []pledgev1.ObjectiveStatus) string {
	weights := render.ScoreWeights(len(objectives), func(i int) (int32, int) { return objectives[i].Weight, objectives[i].Classes })
	var sum, total float64
	for i, s := range st {
		a, err := strconv.ParseFloat(s.Attainment, 64)
		if err != nil {
			continue
		}
		sum += weights[i] * a
		total += weights[i]
	}
	if total == 0 {
		return ""
	}
	return formatFixed(sum/total, 2)
}

// MinBudget is the smallest errorBudgetRemaining among the objectives, or "".
func MinBudget(st []pledgev1.ObjectiveStatus) string {
	out, lowest := "", math.Inf(1)
	for _, s := range st {
		if b, err := strconv.ParseFloat(s.ErrorBudgetRemaining, 64); err == nil && b < lowest {
			out, lowest = s.ErrorBudgetRemaining, b
		}
	}
	return out
}

// Compliant derives the Compliant condition from the objectives' states: False when any
// objective is Breached (whatever the others' data), Unknown with reason InvalidData when any
// objective's numbers cannot be a standing, Unknown with reason NoData when no objective has
// data, True otherwise.
func (r Result) Compliant() (metav1.ConditionStatus, string, string) {
	var breached, atRisk, noData []string
	for _, s := range r.Objectives {
		switch s.State {
		case pledgev1.StateBreached:
			breached = append(breached, s.Name)
		case pledgev1.StateAtRisk:
			atRisk = append(atRisk, s.Name)
		case pledgev1.StateNoData:
			noData = append(noData, s.Name)
		}
	}
	switch {
	case len(breached) > 0:
		msg := "Breached: " + strings.Join(breached, ", ")
		if len(r.Invalid) > 0 {
			msg += "; invalid data: " + strings.Join(r.Invalid, "; ")
		}
		return metav1.ConditionFalse, pledgev1.ReasonObjectivesNotMet, msg
	case len(r.Invalid) > 0:
		return metav1.ConditionUnknown, pledgev1.ReasonInvalidData, "Prometheus returned numbers that cannot be a standing: " + strings.Join(r.Invalid, "; ")
	case len(noData) == len(r.Objectives):
		return metav1.ConditionUnknown, pledgev1.ReasonNoData, "No events measured yet for any objective"
	}
	msg := "All measured objectives meet their targets"
	if len(atRisk) > 0 {
		msg += "; at risk: " + strings.Join(atRisk, ", ")
	}
	if len(noData) > 0 {
		msg += "; no data: " + strings.Join(noData, ", ")
	}
	return metav1.ConditionTrue, pledgev1.ReasonAllObjectivesMet, msg
}

// BudgetExhausted derives the BudgetExhausted condition: True while any objective's
// errorBudgetRemaining, as the status shows it, is at or below zero (whatever the others' data);
// False when every objective with data has budget left; Unknown when no objective could be
// measured (no data, or numbers that cannot be a standing). The messages name the objectives
// and their budget left.
func (r Result) BudgetExhausted() (metav1.ConditionStatus, string, string) {
	var spent, left, unmeasured []string
	for _, s := range r.Objectives {
		b, err := strconv.ParseFloat(s.ErrorBudgetRemaining, 64)
		switch {
		case err != nil:
			unmeasured = append(unmeasured, s.Name)
		case b <= 0:
			spent = append(spent, fmt.Sprintf("%s (%s%%)", s.Name, s.ErrorBudgetRemaining))
		default:
			left = append(left, fmt.Sprintf("%s (%s%%)", s.Name, s.ErrorBudgetRemaining))
		}
	}
	switch {
	case len(spent) > 0:
		return metav1.ConditionTrue, pledgev1.ReasonBudgetSpent, "Error budget spent: " + strings.Join(spent, ", ")
	case len(left) == 0 && len(r.Invalid) > 0:
		return metav1.ConditionUnknown, pledgev1.ReasonInvalidData, "Prometheus returned numbers that cannot be a standing: " + strings.Join(r.Invalid, "; ")
	case len(left) == 0:
		return metav1.ConditionUnknown, pledgev1.ReasonNoData, "No events measured yet for any objective"
	}
	msg := "Error budget left: " + strings.Join(left, ", ")
	if len(unmeasured) > 0 {
		msg += "; not measured: " + strings.Join(unmeasured, ", ")
	}
	return metav1.ConditionFalse, pledgev1.ReasonBudgetLeft, msg
}

// attainmentDecimals shows one more decimal than the target has, and at least three.
func attainmentDecimals(target string) int {
	d := 0
	if i := strings.IndexByte(target, '.'); i >= 0 {
		d = len(target) - i - 1
	}
	return max(3, d+1)
}

// formatFixed writes f with a fixed number of decimals, without a negative zero.
func formatFixed(f float64, decimals int) string {
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}
