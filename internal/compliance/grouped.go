package compliance

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// An objective with groupBy records one series per value of its labels. Its series are keyed
// by objective and values, so the poll's queries stay the same (they select by standard and
// answer every value at once) and each value is measured as an objective of its own; the
// status lists the worst of them, bounded, whatever the number of values.

// valueSep joins the values of an objective's groupBy labels in a key: label values are valid
// UTF-8, which never holds the byte 0xff.
const valueSep = "\xff"

// MaxValues is the most values of a grouped objective its status lists.
const MaxValues = 5

// maxValueLength is the longest label value the status shows; longer ones are cut.
const maxValueLength = 128

// keyOf keys a series by its objective and, for an objective with groupBy, by the values of
// its groupBy labels, which it notes as values of the objective.
func (p *plan) keyOf(m model.Metric) key {
	k := keyOf(m)
	by := p.groupBy[k]
	if len(by) == 0 {
		return k
	}
	values := make([]string, len(by))
	for i, l := range by {
		values[i] = string(m[model.LabelName(l)])
	}
	set := p.values[k]
	if set == nil {
		set = map[string]bool{}
		p.values[k] = set
	}
	k.values = strings.Join(values, valueSep)
	set[k.values] = true
	return k
}

// valueStanding is the standing of one value of a grouped objective.
type valueStanding struct {
	values string
	st     pledgev1.ObjectiveStatus
	err    error
}

// groupedStanding measures every value of a grouped objective that has series in the window.
// Without any, the objective has no data.
func (p *plan) groupedStanding(s Standard, obj Objective, window span, o Options) (pledgev1.ObjectiveStatus, []error) {
	base := key{s.Namespace, s.Name, obj.Name, ""}
	values := maps.Clone(p.values[base])
	for _, v := range p.history.valuesOf(base) {
		if values == nil {
			values = map[string]bool{}
		}
		values[v] = true
	}
	var vs []valueStanding
	for v := range values {
		k := base
		k.values = v
		if !p.inWindow(s, k, window) && p.history.raw(k, p.now.Add(-window.length())).Hours == 0 {
			continue
		}
		st, err := p.standing(s, named(obj, v), k, window, o)
		st.Name = obj.Name
		vs = append(vs, valueStanding{v, st, err})
	}
	if len(vs) == 0 {
		st, err := p.standing(s, obj, base, window, o)
		return st, nonNil(err)
	}
	return worstOf(obj, vs)
}

// periodStanding measures an objective over a closed period from its totals: for a grouped
// objective, its worst value's standing, with the worst values listed.
func (p *plan) periodStanding(s Standard, obj Objective, totals map[key]Totals, end time.Time) (pledgev1.ObjectiveStatus, error) {
	base := key{s.Namespace, s.Name, obj.Name, ""}
	if len(obj.GroupBy) == 0 {
		return Standing(obj, totals[base], nil, false, 0, end)
	}
	var vs []valueStanding
	for v := range p.values[base] {
		k := base
		k.values = v
		t, ok := totals[k]
		if !ok {
			continue
		}
		st, err := Standing(named(obj, v), t, nil, false, 0, end)
		st.Name = obj.Name
		vs = append(vs, valueStanding{v, st, err})
	}
	if len(vs) == 0 {
		return Standing(obj, Totals{}, nil, false, 0, end)
	}
	st, errs := worstOf(obj, vs)
	return st, errors.Join(errs...)
}

// inWindow reports whether a value has series in the window: hourly totals, a ratio over an
// alert window, or a firing alert.
func (p *plan) inWindow(s Standard, k key, window span) bool {
	if _, ok := p.totals(window, k); ok || p.firing[k] {
		return true
	}
	for _, w := range s.AlertWindows {
		if q := p.ratios[w]; w <= shortWindow && q != nil {
			if _, ok := q.values[k]; ok {
				return true
			}
		}
	}
	return false
}

// named is the objective renamed for one of its values, so that a problem with the value's
// numbers names it: availability{route="/pay"}.
func named(obj Objective, values string) Objective {
	obj.Name += valueText(obj.GroupBy, values)
	return obj
}

// worstOf is a grouped objective's status from its values' standings: the worst value's
// standing, the worst MaxValues values listed, and the number of values; and the errors of
// the values listed (the worst first, so a value whose numbers cannot be a standing is
// always among them).
func worstOf(obj Objective, vs []valueStanding) (pledgev1.ObjectiveStatus, []error) {
	slices.SortFunc(vs, worstFirst)
	st := vs[0].st
	st.ValueCount = int32(len(vs))
	var errs []error
	for _, v := range vs[:min(len(vs), MaxValues)] {
		st.Values = append(st.Values, pledgev1.ValueStatus{Labels: valueLabels(obj.GroupBy, v.values),
			Attainment: v.st.Attainment, ErrorBudgetRemaining: v.st.ErrorBudgetRemaining, State: v.st.State})
		if v.err != nil {
			errs = append(errs, v.err)
		}
	}
	return st, errs
}

// worstFirst orders values from worst to best: numbers that cannot be a standing, then by
// error budget left, lowest first, then values without events; ties by their values.
func worstFirst(a, b valueStanding) int {
	rank := func(v valueStanding) (int, float64) {
		switch {
		case v.err != nil:
			return 0, 0
		case v.st.ErrorBudgetRemaining == "":
			return 2, 0
		}
		f, _ := strconv.ParseFloat(v.st.ErrorBudgetRemaining, 64)
		return 1, f
	}
	ra, fa := rank(a)
	rb, fb := rank(b)
	return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(fa, fb), strings.Compare(a.values, b.values))
}

// valueLabels are the groupBy labels with their values, long values cut.
func valueLabels(by []string, values string) map[string]string {
	out := make(map[string]string, len(by))
	for i, v := range strings.Split(values, valueSep) {
		if i < len(by) {
			out[by[i]] = cut(v, maxValueLength)
		}
	}
	return out
}

// valueText writes the groupBy labels with their values as a selector: {route="/pay"}.
func valueText(by []string, values string) string {
	l := valueLabels(by, values)
	parts := make([]string, 0, len(by))
	for _, name := range by {
		parts = append(parts, name+"="+strconv.Quote(l[name]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func nonNil(err error) []error {
	if err == nil {
		return nil
	}
	return []error{err}
}
