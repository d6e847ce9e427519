package compliance

import (
	"math"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// Totals are the measured counts of one objective over a range.
type Totals struct {
	Errors, Events float64
	// Hours is the number of hourly totals found; Expected the number the range holds.
	Hours, Expected float64
}

// Objective is one objective to measure.
type Objective struct {
	Name   string
	Target string
	Budget float64 // 1 - target/100
	Weight int32
}

// Standing computes an objective's status from its totals over the window, its error ratios
// per alert window, and whether a burn-rate alert fires for it. atRisk is the share of budget
// (percent) below which a met objective is AtRisk.
func Standing(o Objective, t Totals, ratios map[time.Duration]float64, firing bool, atRisk float64, now time.Time) pledgev1.ObjectiveStatus {
	st := pledgev1.ObjectiveStatus{Name: o.Name, Target: o.Target, LastEvaluated: &metav1.Time{Time: now}}
	if t.Expected > 0 {
		st.WindowCoverage = formatFixed(math.Min(100, 100*t.Hours/t.Expected), 1)
	}
	for _, w := range sortedWindows(ratios) {
		r := ratios[w]
		if math.IsNaN(r) || math.IsInf(r, 0) {
			continue
		}
		st.BurnRates = append(st.BurnRates, pledgev1.BurnRate{Window: promDuration(w), Value: formatFixed(r/o.Budget, 2)})
	}
	if t.Events <= 0 || math.IsNaN(t.Errors) {
		st.State = pledgev1.StateNoData
		return st
	}
	ratio := math.Max(0, t.Errors/t.Events)
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
	return st
}

// Score is the weighted attainment of the objectives that have data, or "" when none has.
func Score(objectives []Objective, st []pledgev1.ObjectiveStatus) string {
	var sum, weights float64
	for i, s := range st {
		a, err := strconv.ParseFloat(s.Attainment, 64)
		if err != nil {
			continue
		}
		w := float64(objectives[i].Weight)
		sum += w * a
		weights += w
	}
	if weights == 0 {
		return ""
	}
	return formatFixed(sum/weights, 2)
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

// Compliant derives the Compliant condition from the objectives' states.
func Compliant(st []pledgev1.ObjectiveStatus) (metav1.ConditionStatus, string, string) {
	var breached, atRisk, noData []string
	for _, s := range st {
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
		return metav1.ConditionFalse, pledgev1.ReasonObjectivesNotMet, "Breached: " + strings.Join(breached, ", ")
	case len(noData) == len(st):
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
