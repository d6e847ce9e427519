package compliance

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/pledge-dev/pledge/internal/render"
)

// span is a stretch (now − days×24h − rem, now] of hourly totals. Its whole days come from a
// grid of day blocks whose last point is now − rem; the remainder rem (under a day) from one
// instant query. Every span with the same rem shares one grid, whatever its days: a poll costs at
// most one grid per remainder in use, not one query per window length.
type span struct {
	rem  time.Duration
	days int
}

// hoursSpan is the span of the last whole hours of w (a 13d5h30m window measures 13d5h of
// hourly totals: each total covers the hour before it).
func hoursSpan(now time.Time, w time.Duration) span {
	return sinceSpan(now, now.Add(-w.Truncate(time.Hour)))
}

// sinceSpan is the span (start, now].
func sinceSpan(now, start time.Time) span {
	d := max(now.Sub(start), 0)
	return span{rem: d % day, days: int(d / day)}
}

func (s span) length() time.Duration { return time.Duration(s.days)*day + s.rem }

// grid is the daily sums of the hourly totals ending at now − rem, and the sums over the
// remainder, for the spans that need them. The sums are over blocks of step days, the greatest
// common divisor of the spans' days (30d and 3d windows need ten 3-day sums, not thirty).
type grid struct {
	rem     time.Duration
	maxDays int
	step    int
	// days lists, by standard (namespace/name), the whole days of each span it needs.
	days   map[string][]int
	serves served
	totals map[span]map[key]Totals
	err    error
}

// query is one instant query shared by the standards that need it.
type query struct {
	serves served
	values map[key]float64
	err    error
}

// periodSums are the sums over one closed calendar period, evaluated at its end.
type periodSums struct {
	serves served
	totals map[key]Totals
	err    error
}

// maxSelected is the most standards a query selects by name. A query that serves more reads
// the series of every objective: the answer for the standards it serves is the same.
const maxSelected = 256

// served is the set of the names of the standards a query serves.
type served map[string]bool

// selector selects the series of the standards served, of the cluster when cluster (a
// name="value" matcher) is set. The standards are not listed when they are too many (a query
// front end may limit a query's length); the selector is then the cluster's, or empty.
func (s served) selector(cluster string) string {
	var matchers []string
	if len(s) <= maxSelected {
		names := slices.Sorted(maps.Keys(s))
		for i, n := range names {
			names[i] = regexp.QuoteMeta(n)
		}
		matchers = append(matchers, fmt.Sprintf("%s=~%q", render.LabelStandard, strings.Join(names, "|")))
	}
	if cluster != "" {
		matchers = append(matchers, cluster)
	}
	if len(matchers) == 0 {
		return ""
	}
	return "{" + strings.Join(matchers, ",") + "}"
}

// plan collects what a poll must query, runs it, and answers per standard.
type plan struct {
	now time.Time
	// cluster is the cluster label's matcher, name="value", added to every query; "" for none.
	cluster   string
	grids     map[time.Duration]*grid
	ratios    map[time.Duration]*query
	periods   map[[2]time.Time]*periodSums
	firing    map[key]bool
	noData    map[key]bool
	alertsErr error
	// keep is how many closed calendar periods a standard keeps.
	keep int
	// history holds the raw history before the recorded totals begin; nil for none.
	history *History

	// groupBy are the groupBy labels of the grouped objectives, and values the values of their
	// labels seen in the answers, by objective (see keyOf).
	groupBy map[key][]string
	values  map[key]map[string]bool
}

func newPlan(now time.Time, keep int, cluster render.ClusterLabel) *plan {
	return &plan{now: now, keep: keep, cluster: cluster.Matcher(), grids: map[time.Duration]*grid{}, ratios: map[time.Duration]*query{},
		periods: map[[2]time.Time]*periodSums{}, firing: map[key]bool{}, noData: map[key]bool{},
		groupBy: map[key][]string{}, values: map[key]map[string]bool{}}
}

// windowSpan is the span a standard is measured over: its rolling window in whole hours, or
// its calendar period to date from the period's first whole hour. An hourly total covers the
// hour before it, at an offset within the hour that Prometheus chooses per rule group, so the
// total recorded in a period's first hour holds minutes of the previous period: the period is
// measured from the totals recorded after its first hour (see periodRange).
func (p *plan) windowSpan(s Standard) span {
	if s.Window == 0 {
		return sinceSpan(p.now, PeriodStart(p.now, s.Period, s.Location).Add(time.Hour))
	}
	return hoursSpan(p.now, s.Window)
}

// periodRange is the range of a closed period's hourly totals, ending at its end: those
// recorded after its first hour, which hold no event of the previous period. Of the period's
// hours, one (split between its start and its end) is therefore not measured.
func periodRange(c [2]time.Time) time.Duration { return c[1].Sub(c[0]) - time.Hour }

// closedPeriods are the closed calendar periods a standard keeps (none for rolling windows).
func (p *plan) closedPeriods(s Standard) [][2]time.Time {
	if s.Window != 0 {
		return nil
	}
	return ClosedPeriods(p.now, s.Period, s.Location, p.keep)
}

// add registers what standard s needs.
func (p *plan) add(s Standard) {
	name := s.Namespace + "/" + s.Name
	for _, obj := range s.Objectives {
		if len(obj.GroupBy) > 0 {
			p.groupBy[key{s.Namespace, s.Name, obj.Name, ""}] = obj.GroupBy
		}
	}
	spans := []span{p.windowSpan(s)}
	for _, w := range s.AlertWindows {
		if w > shortWindow {
			spans = append(spans, hoursSpan(p.now, w))
		} else {
			if p.ratios[w] == nil {
				p.ratios[w] = &query{serves: served{}}
			}
			p.ratios[w].serves[s.Name] = true
		}
	}
	for _, sp := range spans {
		g := p.grids[sp.rem]
		if g == nil {
			g = &grid{rem: sp.rem, days: map[string][]int{}, serves: served{}, totals: map[span]map[key]Totals{}}
			p.grids[sp.rem] = g
		}
		g.serves[s.Name] = true
		g.maxDays = max(g.maxDays, sp.days)
		g.step = gcd(g.step, sp.days)
		if !slices.Contains(g.days[name], sp.days) {
			g.days[name] = append(g.days[name], sp.days)
		}
	}
	for _, c := range p.closedPeriods(s) {
		if knownPeriod(s, c) != nil {
			continue
		}
		if p.periods[c] == nil {
			p.periods[c] = &periodSums{serves: served{}}
		}
		p.periods[c].serves[s.Name] = true
	}
}

// failed returns the error of the first failed query that s needs, or nil.
func (p *plan) failed(s Standard) error {
	if p.alertsErr != nil {
		return p.alertsErr
	}
	spans := []span{p.windowSpan(s)}
	for _, w := range s.AlertWindows {
		if w > shortWindow {
			spans = append(spans, hoursSpan(p.now, w))
		} else if err := p.ratios[w].err; err != nil {
			return err
		}
	}
	for _, sp := range spans {
		if err := p.grids[sp.rem].err; err != nil {
			return err
		}
	}
	for _, c := range p.closedPeriods(s) {
		if ps := p.periods[c]; ps != nil && ps.err != nil {
			return ps.err
		}
	}
	return nil
}

// measured returns an objective's sums over a span: its recorded hourly totals and, with
// History, the raw history before them.
func (p *plan) measured(sp span, k key) Totals {
	t, _ := p.totals(sp, k)
	if raw := p.history.raw(k, p.now.Add(-sp.length())); raw.Hours > 0 {
		t = t.plus(raw)
		t.Expected = math.Floor(sp.length().Hours())
	}
	return t
}

// totals returns an objective's sums over a span, and whether it has any series there.
func (p *plan) totals(sp span, k key) (Totals, bool) {
	t, ok := p.grids[sp.rem].totals[sp][k]
	if ok {
		t.Expected = math.Floor(sp.length().Hours())
	}
	return t, ok
}

// run issues every query of the poll, one at a time, and returns the errors of those that
// failed.
func (p *plan) run(ctx context.Context, q Querier) []error {
	var errs []error
	note := func(err error) error {
		if err != nil {
			errs = append(errs, err)
		}
		return err
	}
	p.alertsErr = note(p.queryAlerts(ctx, q))
	if p.alertsErr != nil {
		return errs
	}
	for _, g := range p.grids {
		g.err = note(p.runGrid(ctx, q, g))
	}
	for w, r := range p.ratios {
		r.values, r.err = p.instant(ctx, q, render.ErrorRatioExpr(r.serves.selector(p.cluster), w))
		note(r.err)
	}
	for c, ps := range p.periods {
		ps.err = note(p.runPeriod(ctx, q, c, ps))
	}
	return errs
}

// queryAlerts finds the objectives with a burn-rate or no-data alert firing now: one query.
func (p *plan) queryAlerts(ctx context.Context, q Querier) error {
	v, err := q.Query(ctx, alertsQuery(p.cluster), p.now)
	if err != nil {
		return err
	}
	for _, s := range v {
		switch string(s.Metric["alertname"]) {
		case render.AlertBurnRate:
			p.firing[p.keyOf(s.Metric)] = true
		case render.AlertNoData:
			p.noData[keyOf(s.Metric)] = true
		}
	}
	return nil
}

// runGrid queries a grid's block sums (four range queries, step g.step days) and its remainder
// (four instant queries), and adds to each span the sums it covers. Only the spans that
// standards asked for are kept: the daily points are summed as each answer arrives.
func (p *plan) runGrid(ctx context.Context, q Querier, g *grid) error {
	end := p.now.Add(-g.rem)
	add := func(m model.Metric, i int, value func(days int) float64) {
		k := p.keyOf(m)
		for _, d := range g.days[k.namespace+"/"+k.standard] {
			sp := span{g.rem, d}
			byKey := g.totals[sp]
			if byKey == nil {
				byKey = map[key]Totals{}
				g.totals[sp] = byKey
			}
			t := byKey[k]
			t.add(i, m, value(d))
			byKey[k] = t
		}
	}
	for i := range hourlyQueries {
		if g.maxDays > 0 {
			step := time.Duration(g.step) * day
			r := promv1.Range{Start: end.Add(-time.Duration(g.maxDays/g.step-1) * step), End: end, Step: step}
			m, err := q.QueryRange(ctx, hourlyQuery(i, g.serves.selector(p.cluster), promDuration(step), ""), r)
			if err != nil {
				return err
			}
			for _, s := range m {
				add(s.Metric, i, func(days int) float64 {
					from := end.Add(-time.Duration(days) * day)
					acc := 0.0
					for _, v := range s.Values {
						if !v.Timestamp.Time().After(from) {
							continue
						}
						if i == negatives {
							acc = min(acc, float64(v.Value))
						} else {
							acc += float64(v.Value)
						}
					}
					return acc
				})
			}
		}
		if g.rem > 0 {
			v, err := q.Query(ctx, hourlyQuery(i, g.serves.selector(p.cluster), promDuration(g.rem), ""), p.now)
			if err != nil {
				return err
			}
			for _, s := range v {
				add(s.Metric, i, func(int) float64 { return float64(s.Value) })
			}
		}
	}
	return nil
}

// runPeriod sums the hourly totals over a closed period at its end: four instant queries.
func (p *plan) runPeriod(ctx context.Context, q Querier, c [2]time.Time, ps *periodSums) error {
	ps.totals = map[key]Totals{}
	rng := strconv.FormatInt(int64(periodRange(c)/time.Second), 10) + "s"
	at := " @ " + strconv.FormatInt(c[1].Unix(), 10)
	for i := range hourlyQueries {
		v, err := q.Query(ctx, hourlyQuery(i, ps.serves.selector(p.cluster), rng, at), p.now)
		if err != nil {
			return err
		}
		for _, s := range v {
			k := p.keyOf(s.Metric)
			t := ps.totals[k]
			t.add(i, s.Metric, float64(s.Value))
			t.Expected = math.Floor(periodRange(c).Hours())
			ps.totals[k] = t
		}
	}
	return nil
}

// instant runs one instant query and keys its answer by objective.
func (p *plan) instant(ctx context.Context, q Querier, expr string) (map[key]float64, error) {
	v, err := q.Query(ctx, expr, p.now)
	if err != nil {
		return nil, err
	}
	out := make(map[key]float64, len(v))
	for _, s := range v {
		out[p.keyOf(s.Metric)] = float64(s.Value)
	}
	return out, nil
}

// The queries over the hourly totals of a range, by index (see hourlyQuery).
const (
	sumErrors = iota // the sum of the bad-event totals
	sumEvents        // the sum of the all-event totals
	sumHours         // the number of hourly totals (how much of the range has data)
	negatives        // the lowest hourly totals, bad and all, that are negative
	hourlyQueries
)

// negativeLabel tells, in the answer to the negatives query, whose total is negative.
const negativeLabel = "pledge_negative"

// hourlyQuery is query i over the hourly totals in rng of the series sel selects; at, when
// not empty, is an "@ <unix>" modifier. The negatives query answers only for series with a total below −0.001 (less than
// a thousandth of an event: never a count, and far above floating-point noise), so it
// normally answers nothing.
func hourlyQuery(i int, sel, rng, at string) string {
	sel += "[" + rng + "]" + at
	switch i {
	case sumErrors:
		return "sum_over_time(" + render.SeriesErrorsHourly + sel + ")"
	case sumEvents:
		return "sum_over_time(" + render.SeriesEventsHourly + sel + ")"
	case sumHours:
		return "count_over_time(" + render.SeriesEventsHourly + sel + ")"
	}
	lowest := func(series, who string) string {
		return fmt.Sprintf(`label_replace(min_over_time(%s%s) < -0.001, %q, %q, "", "")`, series, sel, negativeLabel, who)
	}
	return lowest(render.SeriesErrorsHourly, "errors") + " or " + lowest(render.SeriesEventsHourly, "events")
}

// add adds the value of query i (see hourlyQuery) for series m to t.
func (t *Totals) add(i int, m model.Metric, v float64) {
	switch {
	case i == sumErrors:
		t.Errors += v
	case i == sumEvents:
		t.Events += v
	case i == sumHours:
		t.Hours += v
	case m[negativeLabel] == "errors":
		t.LowestErrors = min(t.LowestErrors, v)
	default:
		t.LowestEvents = min(t.LowestEvents, v)
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
