package dashboard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// RangeVariable is Grafana's length of the dashboard's time range, used by the panels that
// measure the selected range (a closed calendar period chosen in the time picker).
const RangeVariable = "$__range"

// selector selects the recorded series of one standard, of one objective when objective is
// not empty, and of the standard's cluster when it has a cluster label.
func selector(s *render.Standard, objective string) string {
	m := []string{
		render.LabelNamespace + "=" + strconv.Quote(s.Namespace),
		render.LabelStandard + "=" + strconv.Quote(s.Name),
	}
	if objective != "" {
		m = append(m, render.LabelObjective+"="+strconv.Quote(objective))
	}
	if c := s.Cluster.Matcher(); c != "" {
		m = append(m, c)
	}
	return "{" + strings.Join(m, ",") + "}"
}

// errorRatio is the share of bad events over rng from the hourly totals, for the series sel
// selects; ranges without events give no sample rather than NaN.
func errorRatio(sel, rng string) string {
	return fmt.Sprintf("sum_over_time(%s%s[%s]) / (sum_over_time(%s%s[%s]) > 0)",
		render.SeriesErrorsHourly, sel, rng, render.SeriesEventsHourly, sel, rng)
}

// closedPeriodQuery is the percentage of good events over the closed period c, per objective:
// the hourly totals of compliance.PeriodRange, read at the period's end.
func closedPeriodQuery(sel string, c [2]time.Time) string {
	rng := strconv.FormatInt(int64(compliance.PeriodRange(c)/time.Second), 10) + "s"
	at := " @ " + strconv.FormatInt(c[1].Unix(), 10)
	return fmt.Sprintf("100 * (1 - sum_over_time(%s%s[%s]%s) / (sum_over_time(%s%s[%s]%s) > 0))",
		render.SeriesErrorsHourly, sel, rng, at, render.SeriesEventsHourly, sel, rng, at)
}

// attainmentQuery is the percentage of good events over rng, one series per objective sel
// selects. Compliance measures the same hourly totals (pledge_servicestandard status).
func attainmentQuery(sel, rng string) string {
	return fmt.Sprintf("100 * (1 - %s)", errorRatio(sel, rng))
}

// budgetLeftQuery is the percentage of one objective's error budget left over rng (negative
// when overspent), from the hourly totals.
func budgetLeftQuery(sel, rng string, budget float64) string {
	return fmt.Sprintf("100 * (1 - (%s) / %s)", errorRatio(sel, rng), formatFloat(budget))
}

// burnRateQuery is the burn rate over window w: the share of bad events over w from the
// recorded 5m rates, divided by the budget, exactly as the burn-rate alerts compute it.
func burnRateQuery(sel string, w time.Duration, budget float64) string {
	return fmt.Sprintf("(%s) / %s", render.ErrorRatioExpr(sel, w), formatFloat(budget))
}

// alertsQuery selects the firing ALERTS series of one alert of a standard.
func alertsQuery(s *render.Standard, alert string) string {
	return fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",%s}`, alert, strings.Trim(selector(s, ""), "{}"))
}

// constVector is a one-sample vector of value v carrying the labels (in the given order), to
// join per-objective constants (budgets, weights) onto recorded series.
func constVector(v float64, labels ...[2]string) string {
	q := fmt.Sprintf("vector(%s)", formatFloat(v))
	for _, l := range labels {
		q = fmt.Sprintf("label_replace(%s, %q, %s, \"\", \"\")", q, l[0], strconv.Quote(l[1]))
	}
	return q
}

// objectiveConstants is the vector of one constant per objective of the standards, keyed by
// namespace, standard and objective.
func objectiveConstants(standards []*render.Standard, value func(*render.Standard, int) float64) string {
	var terms []string
	for _, s := range standards {
		for i, o := range s.Objectives {
			terms = append(terms, constVector(value(s, i),
				[2]string{render.LabelNamespace, s.Namespace}, [2]string{render.LabelStandard, s.Name}, [2]string{render.LabelObjective, o.Name}))
		}
	}
	return strings.Join(terms, "\n  or\n  ")
}

// joinLabels are the labels that key one objective.
var joinLabels = render.LabelNamespace + ", " + render.LabelStandard + ", " + render.LabelObjective

// standardLabels are the labels that key one standard: namespace, name, service, and the
// cluster label when the standards have one (they share it: see byCluster).
func standardLabels(standards []*render.Standard) string {
	l := render.LabelNamespace + ", " + render.LabelStandard + ", " + render.LabelService
	if c := standards[0].Cluster.Name; c != "" {
		l += ", " + c
	}
	return l
}

// weight is an objective's weight in the score, scaled to a whole number as compliance.Score
// does: a graded objective's classes share its weight, scaled by the least common multiple of
// the standard's class counts so that the shares are exact.
func weight(s *render.Standard, i int) float64 {
	lcm := 1
	for _, o := range s.Objectives {
		c := max(o.Classes, 1)
		lcm = lcm / gcd(lcm, c) * c
	}
	o := s.Objectives[i]
	return float64(int(o.Weight) * (lcm / max(o.Classes, 1)))
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// budget is an objective's allowed share of bad events.
func budget(s *render.Standard, i int) float64 { return s.Objectives[i].Budget }

// scoreQuery is the weighted attainment over rng of each standard the selector sel selects,
// the objectives weighted as in the status's score; objectives without events over rng are
// left out, as they are from the score. An objective with groupBy counts once, with its worst
// value's attainment, as in the status.
func scoreQuery(standards []*render.Standard, sel, rng string) string {
	weights := objectiveConstants(standards, weight)
	by := standardLabels(standards)
	attain := attainmentQuery(sel, rng)
	if slices.ContainsFunc(standards, grouped) {
		attain = fmt.Sprintf("min by (%s, %s) (%s)", by, render.LabelObjective, attain)
	}
	return fmt.Sprintf("sum by (%s) (\n  (%s)\n  * on (%s) group_left ()\n  (\n  %s\n  )\n)\n/\nsum by (%s) (\n  (%s)\n  * 0 + on (%s) group_left ()\n  (\n  %s\n  )\n)",
		by, attain, joinLabels, weights, by, attain, joinLabels, weights)
}

// valuesLegend names, in a panel's legend, the value of each groupBy label of an objective
// with groupBy, whose queries give one series per value: " {{route}}"; "" for any other.
func valuesLegend(by []string) string {
	var b strings.Builder
	for _, l := range by {
		b.WriteString(" {{" + l + "}}")
	}
	return b.String()
}

// grouped reports whether a standard has an objective with groupBy.
func grouped(s *render.Standard) bool {
	return slices.ContainsFunc(s.Objectives, func(o render.Objective) bool { return len(o.GroupBy) > 0 })
}

// minBudgetLeftQuery is the lowest percentage of error budget left over rng among the
// objectives of each standard sel selects.
func minBudgetLeftQuery(standards []*render.Standard, sel, rng string) string {
	return fmt.Sprintf("min by (%s) (\n  100 * (1 - (%s)\n  / on (%s) group_left ()\n  (\n  %s\n  ))\n)",
		standardLabels(standards), errorRatio(sel, rng), joinLabels, objectiveConstants(standards, budget))
}

// budgetLeftByObjectiveQuery is the percentage of budget left over rng of every objective of
// one standard.
func budgetLeftByObjectiveQuery(s *render.Standard, rng string) string {
	return fmt.Sprintf("100 * (1 - (%s)\n  / on (%s) group_left ()\n  (\n  %s\n  ))",
		errorRatio(selector(s, ""), rng), joinLabels, objectiveConstants([]*render.Standard{s}, budget))
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func promDuration(d time.Duration) string { return model.Duration(d).String() }
