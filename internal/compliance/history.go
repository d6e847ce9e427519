package compliance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/pledge-dev/pledge/internal/render"
)

// DefaultHistoryQueries is the most history queries a poll issues when History.Queries is 0.
const DefaultHistoryQueries = 20

// History measures the part of an objective's window before its recorded hourly totals begin
// from the raw series, so that a standard applied to a service with weeks of data shows its
// real standing at once rather than NoData.
//
// For each objective whose recorded totals do not cover its window, a poll finds where they
// begin (one query for all such objectives) and asks, per objective, for the hourly counts of
// bad and all events before that point (two range queries with a step of one hour, of the
// hourly total's own expression over the objective's raw rate expressions: see
// render.RawHourlyTotal). The counts are kept in memory and rolled with the window: hours that
// leave it are dropped, nothing is asked again until the objective's indicator changes (its
// expressions are the cache key) or the process restarts. A poll issues at most Queries of
// them; the other objectives wait for the next poll and show the recorded totals meanwhile.
// Once every objective's history is known, a poll costs what it costs without History.
//
// The raw hours end where the first recorded total's hour begins, so the two never count the
// same events. A History is safe for use by one poll at a time.
type History struct {
	// Queries is the most history queries a poll issues; DefaultHistoryQueries when 0.
	Queries int

	mu      sync.Mutex
	entries map[key]*rawHours
	// values are the values with raw history of each grouped objective (keyed without values),
	// rebuilt by every fill.
	values map[key][]string
}

// rawHours are one objective's hourly counts from the raw series, oldest first; the newest
// hour ends at end, each earlier one an hour before. An hour without any event sample has
// events NaN.
type rawHours struct {
	spec           string
	end            time.Time
	errors, events []float64
}

// hourStart is the start of hour i.
func (r *rawHours) hourStart(i int) time.Time {
	return r.end.Add(-time.Duration(len(r.events)-i) * time.Hour)
}

// drop forgets the hours that start before start: they left the window for good.
func (r *rawHours) drop(start time.Time) {
	i := 0
	for i < len(r.events) && r.hourStart(i).Before(start) {
		i++
	}
	if i > 0 {
		r.errors, r.events = slices.Clone(r.errors[i:]), slices.Clone(r.events[i:])
	}
}

// totals sums the hours that lie wholly after start.
func (r *rawHours) totals(start time.Time) Totals {
	var t Totals
	for i := range r.events {
		if r.hourStart(i).Before(start) || math.IsNaN(r.events[i]) {
			continue
		}
		t.Errors += r.errors[i]
		t.Events += r.events[i]
		t.Hours++
		t.RawHours++
		if r.errors[i] < -0.001 {
			t.LowestErrors = min(t.LowestErrors, r.errors[i])
		}
		if r.events[i] < -0.001 {
			t.LowestEvents = min(t.LowestEvents, r.events[i])
		}
	}
	return t
}

func specOf(o Objective) string { return o.ErrorsExpr + "\x00" + o.EventsExpr }

// historyWanted is an objective whose history is not known yet.
type historyWanted struct {
	k     key
	obj   Objective
	start time.Time // the window's start
	name  string    // the standard's name
}

// fill brings the history of the plan's standards up to date (see History): it rolls what is
// known, forgets objectives that are gone or changed, and queries the missing ones within the
// poll's budget. It returns the errors of the history queries that failed; their objectives
// are asked again at the next poll.
func (h *History) fill(ctx context.Context, q Querier, p *plan, standards []Standard) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.indexValues()
	if h.entries == nil {
		h.entries = map[key]*rawHours{}
	}
	// kept are the objectives (keys without values) whose known history stays, with the start
	// of their window (zero: keep all of it).
	kept := map[key]time.Time{}
	var want []historyWanted
	for _, s := range standards {
		if p.failed(s) != nil {
			// Not measured this poll: keep what is known of it.
			for _, obj := range s.Objectives {
				kept[key{s.Namespace, s.Name, obj.Name, ""}] = time.Time{}
			}
			continue
		}
		window := p.windowSpan(s)
		start := p.now.Add(-window.length())
		for _, obj := range s.Objectives {
			k := key{s.Namespace, s.Name, obj.Name, ""}
			if e := h.entries[k]; e != nil && e.spec == specOf(obj) {
				kept[k] = start
				continue
			}
			if obj.EventsExpr == "" || p.covered(window, k, obj) {
				continue
			}
			want = append(want, historyWanted{k: k, obj: obj, start: start, name: s.Name})
		}
	}
	for k, e := range h.entries {
		base := k
		base.values = ""
		start, ok := kept[base]
		switch {
		case !ok:
			delete(h.entries, k)
		case !start.IsZero():
			e.drop(start)
		}
	}
	budget := h.Queries
	if budget <= 0 {
		budget = DefaultHistoryQueries
	}
	if n := (budget - 1) / 2; len(want) > n {
		want = want[:n]
	}
	if len(want) == 0 {
		return nil
	}
	first, err := p.firstTotals(ctx, q, want)
	if err != nil {
		return fmt.Errorf("finding where the hourly totals begin: %w", err)
	}
	var errs []error
	for _, w := range want {
		// The raw hours end where the first recorded total's hour begins (before the window's
		// start: no raw hours); without a recorded total yet, an hour before now (the first
		// total, when it comes, covers the hour before it, which is then after the raw hours).
		end := p.now.Add(-time.Hour)
		if r0, ok := first[w.k]; ok {
			end = r0.Add(-time.Hour)
		}
		values, err := rawHistory(ctx, q, w.obj, w.start, end)
		if err != nil {
			errs = append(errs, fmt.Errorf("history of %s/%s objective %s: %w", w.k.namespace, w.k.standard, w.k.objective, err))
			continue
		}
		// The objective's entry (its values' too, with groupBy) notes that its history is
		// known, whatever it holds.
		h.entries[w.k] = &rawHours{spec: specOf(w.obj), end: end}
		for v, e := range values {
			k := w.k
			k.values = v
			h.entries[k] = e
		}
	}
	return errors.Join(errs...)
}

// covered reports whether the recorded hourly totals cover the objective's whole window: for
// an objective with groupBy, every value the totals hold (none: not covered).
func (p *plan) covered(window span, k key, obj Objective) bool {
	hours := math.Floor(window.length().Hours())
	if len(obj.GroupBy) == 0 {
		t, _ := p.totals(window, k)
		return t.Hours >= hours
	}
	if len(p.values[k]) == 0 {
		return false
	}
	for v := range p.values[k] {
		vk := k
		vk.values = v
		if t, _ := p.totals(window, vk); t.Hours < hours {
			return false
		}
	}
	return true
}

// indexValues rebuilds the values of each grouped objective from the entries.
func (h *History) indexValues() {
	h.values = map[key][]string{}
	for k := range h.entries {
		if k.values != "" {
			base := k
			base.values = ""
			h.values[base] = append(h.values[base], k.values)
		}
	}
}

// valuesOf are the values of a grouped objective that have raw history.
func (h *History) valuesOf(k key) []string {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.values[k]
}

// raw returns the raw history of objective k over the span: what lies wholly after its start.
func (h *History) raw(k key, start time.Time) Totals {
	if h == nil {
		return Totals{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.entries[k]; e != nil {
		return e.totals(start)
	}
	return Totals{}
}

// firstTotals finds, in one query for all the objectives wanted, the time of the first
// recorded hourly total inside the longest of their windows. The hourly totals are sampled
// once an hour; a subquery with a step of 5m (Prometheus's lookback) sees each of them once.
func (p *plan) firstTotals(ctx context.Context, q Querier, want []historyWanted) (map[key]time.Time, error) {
	sv := served{}
	longest := time.Duration(0)
	for _, w := range want {
		sv[w.name] = true
		longest = max(longest, p.now.Sub(w.start))
	}
	rng := promDuration(longest.Truncate(time.Minute) + time.Minute)
	expr := fmt.Sprintf("min_over_time(timestamp(%s%s)[%s:5m])", render.SeriesEventsHourly, sv.selector(p.cluster), rng)
	v, err := q.Query(ctx, expr, p.now)
	if err != nil {
		return nil, err
	}
	out := make(map[key]time.Time, len(v))
	for _, s := range v {
		// An objective summed by labels (groupBy) has a series per value: the first of them.
		sec, frac := math.Modf(float64(s.Value))
		r0 := time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond))
		if k := keyOf(s.Metric); out[k].IsZero() || r0.Before(out[k]) {
			out[k] = r0
		}
	}
	return out, nil
}

// rawHistory asks for the objective's hourly counts of the whole hours in (start, end] that end
// at end, an hour before, …: two range queries. They are keyed by the values of the
// objective's groupBy labels ("" without groupBy).
func rawHistory(ctx context.Context, q Querier, obj Objective, start, end time.Time) (map[string]*rawHours, error) {
	out := map[string]*rawHours{}
	n := int(end.Sub(start) / time.Hour)
	if n <= 0 {
		return out, nil
	}
	hours := func(values string) *rawHours {
		e := out[values]
		if e == nil {
			e = &rawHours{spec: specOf(obj), end: end, errors: make([]float64, n), events: make([]float64, n)}
			for i := range e.events {
				e.events[i] = math.NaN()
			}
			out[values] = e
		}
		return e
	}
	if len(obj.GroupBy) == 0 {
		hours("")
	}
	r := promv1.Range{Start: end.Add(-time.Duration(n-1) * time.Hour), End: end, Step: time.Hour}
	for _, part := range []struct {
		expr   string
		events bool
	}{{obj.EventsExpr, true}, {obj.ErrorsExpr, false}} {
		m, err := q.QueryRange(ctx, render.RawHourlyTotal(part.expr), r)
		if err != nil {
			return nil, err
		}
		for _, s := range m {
			values := make([]string, len(obj.GroupBy))
			for i, l := range obj.GroupBy {
				values[i] = string(s.Metric[model.LabelName(l)])
			}
			e := hours(strings.Join(values, valueSep))
			into := e.errors
			if part.events {
				into = e.events
			}
			for _, v := range s.Values {
				i := n - 1 - int(math.Round(float64(end.Sub(v.Timestamp.Time()))/float64(time.Hour)))
				if i < 0 || i >= n {
					continue
				}
				if math.IsNaN(into[i]) {
					into[i] = 0
				}
				into[i] += float64(v.Value)
			}
		}
	}
	return out, nil
}
