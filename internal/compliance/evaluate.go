package compliance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// Querier runs instant and range queries. *PrometheusQuerier implements it for the HTTP API.
type Querier interface {
	Query(ctx context.Context, query string, ts time.Time) (model.Vector, error)
	QueryRange(ctx context.Context, query string, r promv1.Range) (model.Matrix, error)
}

// Standard is what compliance needs to know of a standard.
type Standard struct {
	Namespace, Name string
	// Window is the rolling window; zero for a calendar window.
	Window   time.Duration
	Period   pledgev1.CalendarPeriod
	Location *time.Location
	// Objectives are the expanded objectives.
	Objectives []Objective
	// AlertWindows are the long and short windows of the standard's enabled burn-rate pairs.
	AlertWindows []time.Duration
	// KnownPeriods are closed periods already measured (from the status), by start time.
	KnownPeriods []pledgev1.Period
}

// FromResolved describes a resolved standard for measurement.
func FromResolved(s *render.Standard) (Standard, error) {
	out := Standard{Namespace: s.Namespace, Name: s.Name, Window: s.Window}
	if s.Calendar != nil {
		out.Window, out.Period = 0, s.Calendar.Period
		loc, err := time.LoadLocation(s.Calendar.TimeZone) // "" is UTC
		if err != nil {
			return out, err
		}
		out.Location = loc
	}
	for i := range s.Objectives {
		o := &s.Objectives[i]
		out.Objectives = append(out.Objectives, Objective{Name: o.Name, Target: o.Target, Budget: o.Budget, Weight: o.Weight, Classes: o.Classes,
			Presence: o.Presence, NoDataFor: s.NoDataFor(o), ErrorsExpr: o.ErrorsExpr, EventsExpr: o.EventsExpr, GroupBy: o.GroupBy})
	}
	for _, w := range s.Windows {
		for _, d := range []time.Duration{w.Long, w.Short} {
			if !slices.Contains(out.AlertWindows, d) {
				out.AlertWindows = append(out.AlertWindows, d)
			}
		}
	}
	slices.Sort(out.AlertWindows)
	return out, nil
}

// Result is the measured standing of one standard.
type Result struct {
	Objectives []pledgev1.ObjectiveStatus
	Score      string
	MinBudget  string
	// Periods are the closed calendar periods, newest first (calendar windows only).
	Periods []pledgev1.Period
	// Invalid names the objectives whose numbers cannot be a standing, and why.
	Invalid []string
	// Err is set when a query the standard needs failed; nothing else is then set.
	Err error
}

// Options tune the evaluation.
type Options struct {
	// AtRiskBudget is the share of error budget (percent) below which a met objective is AtRisk.
	AtRiskBudget float64
	// Periods is how many closed calendar periods are kept.
	Periods int
	// Cluster, when set, is matched by every query, so that the poll reads only this cluster's
	// series and alerts (pledge manager --cluster-label).
	Cluster render.ClusterLabel
	// History, when set, measures the part of each window before an objective's recorded
	// hourly totals begin from the raw series, and keeps what it measured between polls.
	History *History
}

// key identifies one objective's series and, for an objective with groupBy, one value of its
// labels (see plan.keyOf).
type key struct{ namespace, standard, objective, values string }

// keyOf keys a series by its objective alone.
func keyOf(m model.Metric) key {
	return key{string(m[render.LabelNamespace]), string(m[render.LabelStandard]), string(m[render.LabelObjective]), ""}
}

const day = 24 * time.Hour

// shortWindow is the longest alert window measured from the 5m rates; longer ones are measured
// from the hourly totals.
const shortWindow = 6 * time.Hour

// Evaluate measures every standard and returns the standing of each, keyed by namespace/name.
// The queries are shared by all standards (see doc.go for the plan); a failed query sets Err
// on the results of the standards that need it, and every other standard is measured. The
// error joins the failed queries' errors.
func Evaluate(ctx context.Context, q Querier, now time.Time, standards []Standard, o Options) (map[string]Result, error) {
	p := newPlan(now, o.Periods, o.Cluster)
	for _, s := range standards {
		p.add(s)
	}
	errs := p.run(ctx, q)
	if o.History != nil && p.alertsErr == nil {
		p.history = o.History
		if err := o.History.fill(ctx, q, p, standards); err != nil {
			errs = append(errs, err)
		}
	}
	out := make(map[string]Result, len(standards))
	for _, s := range standards {
		out[s.Namespace+"/"+s.Name] = p.result(s, o)
	}
	return out, errors.Join(errs...)
}

// result assembles one standard's standing from the poll's answers.
func (p *plan) result(s Standard, o Options) Result {
	if err := p.failed(s); err != nil {
		return Result{Err: err}
	}
	var res Result
	window := p.windowSpan(s)
	for _, obj := range s.Objectives {
		k := key{s.Namespace, s.Name, obj.Name, ""}
		var st pledgev1.ObjectiveStatus
		var errs []error
		if len(obj.GroupBy) == 0 {
			var err error
			st, err = p.standing(s, obj, k, window, o)
			errs = nonNil(err)
		} else {
			st, errs = p.groupedStanding(s, obj, window, o)
		}
		for _, err := range errs {
			res.Invalid = append(res.Invalid, err.Error())
		}
		if p.noData[k] && obj.Presence != "" {
			st.Message = joinMessages(st.Message, fmt.Sprintf("no samples of %s for the last %s (%s is firing)",
				obj.Presence, promDuration(obj.NoDataFor), render.AlertNoData))
		}
		res.Objectives = append(res.Objectives, st)
	}
	res.Score = Score(s.Objectives, res.Objectives)
	res.MinBudget = MinBudget(res.Objectives)
	for _, c := range p.closedPeriods(s) {
		if period, measured := p.closedPeriod(s, c); measured {
			res.Periods = append(res.Periods, period)
		}
	}
	return res
}

// standing measures objective obj of s by key k (an objective, or one value of a grouped one).
func (p *plan) standing(s Standard, obj Objective, k key, window span, o Options) (pledgev1.ObjectiveStatus, error) {
	ratios := map[time.Duration]float64{}
	for _, w := range s.AlertWindows {
		if w <= shortWindow {
			if r, ok := p.ratios[w].values[k]; ok {
				ratios[w] = r
			}
		} else if t := p.measured(hoursSpan(p.now, w), k); t.Events > 0 {
			ratios[w] = t.Errors / t.Events
		}
	}
	t := p.measured(window, k)
	st, err := Standing(obj, t, ratios, p.firing[k], o.AtRiskBudget, p.now)
	if s.Window == 0 && err == nil && t.Events > 0 {
		st.ProjectedAttainment, st.ProjectedErrorBudgetRemaining = project(obj, t, ratios,
			render.NextPeriodStart(p.now, s.Period, s.Location).Sub(p.now))
	}
	return st, err
}

// closedPeriod returns a closed period, from the status when it is known there. A period
// without any data (before the standard existed) is not measured. A period with numbers that
// cannot be a standing is not met.
func (p *plan) closedPeriod(s Standard, c [2]time.Time) (pledgev1.Period, bool) {
	if known := knownPeriod(s, c); known != nil {
		return *known, true
	}
	totals := p.periods[c].totals
	period := pledgev1.Period{Start: metaTime(c[0]), End: metaTime(c[1]), Met: true}
	var st []pledgev1.ObjectiveStatus
	measured := false
	for _, obj := range s.Objectives {
		one, err := p.periodStanding(s, obj, totals, c[1])
		st = append(st, one)
		if one.State == pledgev1.StateBreached || err != nil {
			period.Met = false
		}
		measured = measured || one.State != pledgev1.StateNoData || err != nil
	}
	period.Attainment = Score(s.Objectives, st)
	period.Coverage = lowestCoverage(st)
	return period, measured
}

// lowestCoverage is the lowest windowCoverage among the objectives with data, or "".
func lowestCoverage(st []pledgev1.ObjectiveStatus) string {
	out, lowest := "", math.Inf(1)
	for _, s := range st {
		if c, err := strconv.ParseFloat(s.WindowCoverage, 64); err == nil && s.Attainment != "" && c < lowest {
			out, lowest = s.WindowCoverage, c
		}
	}
	return out
}

// project is the attainment and budget left at the end of the calendar period, left from now,
// if the rest of the period has the period's average events per measured hour at the current
// error ratio: that of the longest alert window up to 6h measured, else the period's own.
func project(o Objective, t Totals, ratios map[time.Duration]float64, left time.Duration) (string, string) {
	ratio := t.Errors / t.Events
	for _, w := range sortedWindows(ratios) {
		if r := ratios[w]; w <= shortWindow && finite(r) && r >= 0 {
			ratio = r
		}
	}
	rest := 0.0
	if t.Hours > 0 {
		rest = t.Events / t.Hours * left.Hours()
	}
	final := (t.Errors + rest*ratio) / (t.Events + rest)
	return formatFixed(100*(1-final), attainmentDecimals(o.Target)), formatFixed(100*(1-final/o.Budget), 1)
}

func knownPeriod(s Standard, c [2]time.Time) *pledgev1.Period {
	for i, k := range s.KnownPeriods {
		if k.Start.Time.Equal(c[0]) && k.End.Time.Equal(c[1]) {
			return &s.KnownPeriods[i]
		}
	}
	return nil
}

func joinMessages(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func promDuration(d time.Duration) string { return model.Duration(d).String() }

func sortedWindows(m map[time.Duration]float64) []time.Duration {
	out := make([]time.Duration, 0, len(m))
	for w := range m {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// alertsQuery selects the burn-rate and no-data alerts firing now, of the cluster when
// cluster (a name="value" matcher) is set.
func alertsQuery(cluster string) string {
	if cluster != "" {
		cluster = "," + cluster
	}
	return fmt.Sprintf(`ALERTS{alertname=~"%s|%s",alertstate="firing"%s}`, render.AlertBurnRate, render.AlertNoData, cluster)
}
