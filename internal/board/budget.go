package board

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/policies"
	"github.com/pledge-dev/pledge/internal/render"
)

// chartPoints is about how many points a budget chart has; the step is a whole number of
// hours, as the hourly totals it reads are recorded hourly.
const chartPoints = 120

// budgetChart is the error budget left over time, or why there is none.
type budgetChart struct {
	Chart *Chart
	// NoData says why there is no chart.
	NoData string
	// Query is the PromQL behind the chart, for a person to paste into Prometheus.
	Query          string
	Range, Step    string
	WindowSentence string
}

// BudgetQuery is the share of bad events over the window w, per objective of the standard,
// from the hourly totals Pledge records (the sums of the rolling window the compliance status
// measures). The board divides it by each objective's budget.
func BudgetQuery(namespace, name string, w time.Duration, cluster render.ClusterLabel) string {
	sel := fmt.Sprintf("{%s=%s,%s=%s", render.LabelNamespace, strconv.Quote(namespace), render.LabelStandard, strconv.Quote(name))
	if m := cluster.Matcher(); m != "" {
		sel += "," + m
	}
	sel += "}"
	r := promDuration(w)
	return fmt.Sprintf("sum_over_time(%s%s[%s]) / sum_over_time(%s%s[%s])",
		render.SeriesErrorsHourly, sel, r, render.SeriesEventsHourly, sel, r)
}

// budgetChart runs the standard's one range query: the budget left over the window, at each
// step of the last window.
func (b *Board) budgetChart(ctx context.Context, s *render.Standard, now time.Time) budgetChart {
	switch {
	case s == nil:
		return budgetChart{NoData: "No data: the standard does not resolve, so its budgets are unknown."}
	case len(s.Objectives) == 0 || s.Window <= 0:
		return budgetChart{NoData: "No data: the standard has no objectives to chart."}
	}
	out := budgetChart{Query: BudgetQuery(s.Namespace, s.Name, s.Window, b.o.Cluster)}
	step := max(time.Hour, (s.Window / chartPoints).Truncate(time.Hour))
	end := now.Truncate(time.Minute)
	start := end.Add(-s.Window)
	out.Range, out.Step = promDuration(s.Window), promDuration(step)
	out.WindowSentence = fmt.Sprintf("Each point is the budget left over the %s before it.", promDuration(s.Window))
	if s.Calendar != nil {
		out.WindowSentence = fmt.Sprintf("Each point is the budget left over the %s before it (the length of the current calendar %s; the status measures the period to date).",
			promDuration(s.Window), s.Calendar.Period)
	}
	if b.q == nil {
		out.NoData = "No data: the manager has no query API (--prometheus-url is not set)."
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, b.o.QueryTimeout)
	defer cancel()
	m, err := b.q.QueryRange(ctx, out.Query, promv1.Range{Start: start, End: end, Step: step})
	if err != nil {
		out.NoData = "No data: the query failed: " + err.Error()
		return out
	}
	byName := map[string][]model.SamplePair{}
	for _, ss := range m {
		byName[string(ss.Metric[render.LabelObjective])] = ss.Values
	}
	var lines []Line
	for _, o := range s.Objectives {
		l := Line{Name: o.Name}
		for _, p := range byName[o.Name] {
			v := float64(p.Value)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue // no events in the window at that time
			}
			l.Points = append(l.Points, Point{T: p.Timestamp.Time(), V: 100 * (1 - v/o.Budget)})
		}
		lines = append(lines, l)
	}
	out.Chart = LineChart(lines, start, end, step)
	if out.Chart == nil {
		out.NoData = fmt.Sprintf("No data: Prometheus holds no hourly totals (%s) for this standard over the last %s.",
			render.SeriesEventsHourly, promDuration(s.Window))
	}
	return out
}

// resolve reads the standard's EscalationPolicy (when it names one) and resolves the standard
// for the calendar period that contains now, as the compliance runner does. It returns nil and the problems when the standard does not resolve;
// a missing policy only leaves the escalation out.
func (b *Board) resolve(ctx context.Context, std *pledgev1.ServiceStandard, now time.Time) (*render.Standard, []string) {
	resolved, errs := render.ResolveAt(std, policies.From(ctx, b.reader), now)
	var problems []string
	for _, e := range errs {
		problems = append(problems, e.Error())
	}
	fatal := !render.OnlyPolicyProblems(errs)
	if fatal {
		return nil, problems
	}
	return resolved, problems
}
