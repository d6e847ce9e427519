package dashboard

import (
	"fmt"
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

// keys are the label lists the queries over standards aggregate and join by: one standard
// (namespace, name, service) and one objective (namespace, name, objective), each with the
// cluster label when Pledge runs with one, so that two clusters' standards of one name stay
// apart.
type keys struct{ standard, objective string }

func keysFor(cluster string) keys {
	k := keys{
		standard:  render.LabelNamespace + ", " + render.LabelStandard + ", " + render.LabelService,
		objective: render.LabelNamespace + ", " + render.LabelStandard + ", " + render.LabelObjective,
	}
	if cluster != "" {
		k.standard += ", " + cluster
		k.objective += ", " + cluster
	}
	return k
}

// recordedConstant is the latest value of an objective's recorded constant (its budget or
// score weight, recorded by the hourly group) for the objectives sel selects: the last
// sample of the last two hours, as the group writes one an hour.
func recordedConstant(series, sel string) string {
	return fmt.Sprintf("last_over_time(%s%s[2h])", series, sel)
}

// scoreQuery is the weighted attainment over rng of each standard the selector sel selects,
// the objectives weighted by their recorded score weights, as in the status's score;
// objectives without events over rng are left out, as they are from the score. An objective
// with groupBy counts once, with its worst value's attainment, as in the status.
func scoreQuery(sel string, k keys, rng string) string {
	attain := fmt.Sprintf("min by (%s, %s) (%s)", k.standard, render.LabelObjective, attainmentQuery(sel, rng))
	weights := recordedConstant(render.SeriesWeight, sel)
	return fmt.Sprintf("sum by (%s) (\n  %s\n  * on (%s) group_left ()\n  %s\n)\n/\nsum by (%s) (\n  %s\n  * 0 + on (%s) group_left ()\n  %s\n)",
		k.standard, attain, k.objective, weights, k.standard, attain, k.objective, weights)
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

// budgetLeftByObjectiveQuery is the percentage of error budget left over rng of every
// objective (every value of a grouped one) sel selects, each against its recorded budget.
func budgetLeftByObjectiveQuery(sel string, k keys, rng string) string {
	return fmt.Sprintf("100 * (1 - (%s)\n  / on (%s) group_left ()\n  %s)",
		errorRatio(sel, rng), k.objective, recordedConstant(render.SeriesBudget, sel))
}

// minBudgetLeftQuery is the lowest percentage of error budget left over rng among the
// objectives of each standard sel selects.
func minBudgetLeftQuery(sel string, k keys, rng string) string {
	return fmt.Sprintf("min by (%s) (\n  %s\n)", k.standard, budgetLeftByObjectiveQuery(sel, k, rng))
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func promDuration(d time.Duration) string { return model.Duration(d).String() }
