package compliance

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// Querier runs an instant query. *PrometheusQuerier implements it for the HTTP API.
type Querier interface {
	Query(ctx context.Context, query string, ts time.Time) (model.Vector, error)
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
	for _, o := range s.Objectives {
		out.Objectives = append(out.Objectives, Objective{Name: o.Name, Target: o.Target, Budget: o.Budget, Weight: o.Weight})
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
}

// Options tune the evaluation.
type Options struct {
	// AtRiskBudget is the share of error budget (percent) below which a met objective is AtRisk.
	AtRiskBudget float64
	// Periods is how many closed calendar periods are kept.
	Periods int
}

// key identifies one objective's series.
type key struct{ namespace, standard, objective string }

func keyOf(m model.Metric) key {
	return key{string(m[render.LabelNamespace]), string(m[render.LabelStandard]), string(m[render.LabelObjective])}
}

// poll holds the results of the queries of one evaluation.
type poll struct {
	ctx     context.Context
	q       Querier
	now     time.Time
	totals  map[string]map[key]Totals // by range expression
	ratios  map[time.Duration]map[key]float64
	firing  map[key]bool
	periods map[string]map[key]Totals // by "<range> @ <end>"
}

// Evaluate measures every standard with a fixed set of queries and returns the standing of
// each, keyed by namespace/name.
func Evaluate(ctx context.Context, q Querier, now time.Time, standards []Standard, o Options) (map[string]Result, error) {
	p := &poll{ctx: ctx, q: q, now: now, totals: map[string]map[key]Totals{}, ratios: map[time.Duration]map[key]float64{},
		periods: map[string]map[key]Totals{}}
	if err := p.queryFiring(); err != nil {
		return nil, err
	}
	out := make(map[string]Result, len(standards))
	for _, s := range standards {
		rng := s.Window
		var closed [][2]time.Time
		if s.Window == 0 {
			rng = now.Sub(PeriodStart(now, s.Period, s.Location))
			closed = ClosedPeriods(now, s.Period, s.Location, o.Periods)
		}
		totals, err := p.rangeTotals(rng, time.Time{})
		if err != nil {
			return nil, err
		}
		ratios := map[time.Duration]map[key]float64{}
		for _, w := range s.AlertWindows {
			if ratios[w], err = p.windowRatios(w); err != nil {
				return nil, err
			}
		}
		var res Result
		for _, obj := range s.Objectives {
			k := key{s.Namespace, s.Name, obj.Name}
			rs := map[time.Duration]float64{}
			for w, byKey := range ratios {
				if r, ok := byKey[k]; ok {
					rs[w] = r
				}
			}
			res.Objectives = append(res.Objectives, Standing(obj, totals[k], rs, p.firing[k], o.AtRiskBudget, now))
		}
		res.Score = Score(s.Objectives, res.Objectives)
		res.MinBudget = MinBudget(res.Objectives)
		for _, c := range closed {
			period, measured, err := p.closedPeriod(s, c)
			if err != nil {
				return nil, err
			}
			if measured {
				res.Periods = append(res.Periods, period)
			}
		}
		out[s.Namespace+"/"+s.Name] = res
	}
	return out, nil
}

// closedPeriod returns a closed period, from the status when it is known there. A period
// without any data (before the standard existed) is not measured.
func (p *poll) closedPeriod(s Standard, c [2]time.Time) (pledgev1.Period, bool, error) {
	for _, k := range s.KnownPeriods {
		if k.Start.Time.Equal(c[0]) && k.End.Time.Equal(c[1]) {
			return k, true, nil
		}
	}
	totals, err := p.rangeTotals(c[1].Sub(c[0]), c[1])
	if err != nil {
		return pledgev1.Period{}, false, err
	}
	period := pledgev1.Period{Start: metaTime(c[0]), End: metaTime(c[1]), Met: true}
	var st []pledgev1.ObjectiveStatus
	measured := false
	for _, obj := range s.Objectives {
		t := totals[key{s.Namespace, s.Name, obj.Name}]
		one := Standing(obj, t, nil, false, 0, c[1])
		st = append(st, one)
		if one.State == pledgev1.StateBreached {
			period.Met = false
		}
		measured = measured || one.State != pledgev1.StateNoData
	}
	period.Attainment = Score(s.Objectives, st)
	return period, measured, nil
}

// rangeTotals sums the hourly totals over rng (ending at end, or now when zero) for every
// objective: three queries per distinct range, shared by all standards that use it.
func (p *poll) rangeTotals(rng time.Duration, end time.Time) (map[key]Totals, error) {
	rng = max(rng.Truncate(time.Second), time.Minute)
	at := ""
	if !end.IsZero() {
		at = " @ " + strconv.FormatInt(end.Unix(), 10)
	}
	sel := "[" + strconv.FormatInt(int64(rng/time.Second), 10) + "s]" + at
	cache := p.totals
	if at != "" {
		cache = p.periods
	}
	if t, ok := cache[sel]; ok {
		return t, nil
	}
	out := map[key]Totals{}
	expected := math.Floor(rng.Hours())
	for i, expr := range []string{
		"sum_over_time(" + render.SeriesErrorsHourly + sel + ")",
		"sum_over_time(" + render.SeriesEventsHourly + sel + ")",
		"count_over_time(" + render.SeriesEventsHourly + sel + ")",
	} {
		v, err := p.q.Query(p.ctx, expr, p.now)
		if err != nil {
			return nil, err
		}
		for _, s := range v {
			k := keyOf(s.Metric)
			t := out[k]
			t.Expected = expected
			switch i {
			case 0:
				t.Errors = float64(s.Value)
			case 1:
				t.Events = float64(s.Value)
			case 2:
				t.Hours = float64(s.Value)
			}
			out[k] = t
		}
	}
	cache[sel] = out
	return out, nil
}

// windowRatios is the error ratio over w for every objective: one query per distinct window.
// Up to 6h it comes from the 5m rates; longer windows from the hourly totals.
func (p *poll) windowRatios(w time.Duration) (map[key]float64, error) {
	if r, ok := p.ratios[w]; ok {
		return r, nil
	}
	expr := render.ErrorRatioExpr("", w)
	if w > 6*time.Hour {
		r := "[" + promDuration(w) + "]"
		expr = "sum_over_time(" + render.SeriesErrorsHourly + r + ") / sum_over_time(" + render.SeriesEventsHourly + r + ")"
	}
	v, err := p.q.Query(p.ctx, expr, p.now)
	if err != nil {
		return nil, err
	}
	out := make(map[key]float64, len(v))
	for _, s := range v {
		out[keyOf(s.Metric)] = float64(s.Value)
	}
	p.ratios[w] = out
	return out, nil
}

// queryFiring finds the objectives with a burn-rate alert firing now: one query.
func (p *poll) queryFiring() error {
	v, err := p.q.Query(p.ctx, fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing"}`, render.AlertBurnRate), p.now)
	if err != nil {
		return err
	}
	p.firing = map[key]bool{}
	for _, s := range v {
		p.firing[keyOf(s.Metric)] = true
	}
	return nil
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
