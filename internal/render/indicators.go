package render

// Indicator PromQL: each objective's indicator (ratio, latency, bool) resolved into the rate
// expressions its recording rules evaluate, with the checks that need PromQL parsing.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

func resolveObjective(o *pledgev1.Objective, p *field.Path) ([]Objective, field.ErrorList) {
	var errs field.ErrorList
	if o.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "name the objective"))
	} else if len(o.Name) > 63 || !nameRE.MatchString(o.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), o.Name, "must be a valid label value: lower-case alphanumerics, '-', '_' or '.', starting and ending alphanumeric, at most 63 characters"))
	}
	budget, err := parseTarget(string(o.Target))
	if o.Target == "" {
		errs = append(errs, field.Required(p.Child("target"), "give the promised percentage, e.g. \"99.9\""))
	} else if err != nil {
		errs = append(errs, field.Invalid(p.Child("target"), o.Target, err.Error()))
	}
	if o.Weight < 0 || o.Weight > 1000 {
		errs = append(errs, field.Invalid(p.Child("weight"), o.Weight, "must be between 0 and 1000"))
	}
	n := 0
	for _, set := range []bool{o.Ratio != nil, o.Latency != nil, o.Bool != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, field.Invalid(p, o.Name, fmt.Sprintf("set exactly one indicator (ratio, latency or bool); %d are set", n)))
		return nil, errs
	}
	base := Objective{Name: o.Name, Description: o.Description, Target: string(o.Target), Budget: budget, Weight: o.Weight, Classes: 1, GroupBy: o.GroupBy}
	if o.SampleInterval != "" {
		d, derr := parsePromDuration(string(o.SampleInterval))
		switch {
		case derr != nil:
			errs = append(errs, field.Invalid(p.Child("sampleInterval"), o.SampleInterval, "must be a positive duration such as 10m"))
		case d > maxSampleInterval:
			errs = append(errs, field.Invalid(p.Child("sampleInterval"), o.SampleInterval,
				"must be at most 15m: burn-rate alerts cannot be true for series sampled less often"))
		default:
			base.SampleInterval = d
		}
	}
	fb := fallbackRange(base.SampleInterval)
	switch {
	case o.Ratio != nil:
		rp := p.Child("ratio")
		total, terr := parseSelector(string(o.Ratio.Total))
		if o.Ratio.Total == "" {
			errs = append(errs, field.Required(rp.Child("total"), "select the counter of all events"))
		} else if terr != nil {
			errs = append(errs, field.Invalid(rp.Child("total"), o.Ratio.Total, terr.Error()))
		}
		if (o.Ratio.Errors == "") == (o.Ratio.Good == "") {
			errs = append(errs, field.Invalid(rp, "", "set exactly one of errors or good"))
			return nil, errs
		}
		which, sel := "errors", o.Ratio.Errors
		if o.Ratio.Good != "" {
			which, sel = "good", o.Ratio.Good
		}
		vs, serr := parseSelector(string(sel))
		if serr != nil {
			errs = append(errs, field.Invalid(rp.Child(which), sel, serr.Error()))
		}
		if len(errs) > 0 {
			return nil, errs
		}
		by := base.GroupBy
		totalRate := counterRate(total.String(), fb, by)
		if which == "errors" {
			base.ErrorsExpr = fmt.Sprintf("%s or 0 * %s", counterRate(vs.String(), fb, by), totalRate)
		} else {
			base.ErrorsExpr = fmt.Sprintf("%s - (%s or 0 * %s)", totalRate, counterRate(vs.String(), fb, by), totalRate)
		}
		base.EventsExpr = totalRate
		base.Presence = total.String()
		return []Objective{base}, nil
	case o.Bool != nil:
		vs, serr := parseSelector(string(o.Bool.Selector))
		if serr != nil {
			return nil, append(errs, field.Invalid(p.Child("bool", "selector"), o.Bool.Selector, serr.Error()))
		}
		if len(errs) > 0 {
			return nil, errs
		}
		base.EventsExpr, base.ErrorsExpr = sampleRates(vs.String(), base.SampleInterval, base.GroupBy)
		base.Presence = vs.String()
		return []Objective{base}, nil
	default:
		return resolveLatency(o.Latency, p.Child("latency"), base, fb, errs)
	}
}

func resolveLatency(l *pledgev1.LatencyIndicator, p *field.Path, base Objective, fb time.Duration, errs field.ErrorList) ([]Objective, field.ErrorList) {
	native := l.HistogramType == pledgev1.HistogramNative
	if l.HistogramType != "" && !native && l.HistogramType != pledgev1.HistogramClassic {
		errs = append(errs, field.NotSupported(p.Child("histogramType"), l.HistogramType, []string{string(pledgev1.HistogramClassic), string(pledgev1.HistogramNative)}))
	}
	vs, err := parseSelector(string(l.Histogram))
	if err != nil {
		errs = append(errs, field.Invalid(p.Child("histogram"), l.Histogram, err.Error()))
	} else if name := MetricName(vs); name == "" {
		errs = append(errs, field.Invalid(p.Child("histogram"), l.Histogram, "must name the histogram metric, e.g. http_request_duration_seconds{job=\"api\"}"))
	} else if slices.ContainsFunc(vs.LabelMatchers, func(m *labelsMatcher) bool { return m.Name == "le" }) {
		errs = append(errs, field.Invalid(p.Child("histogram"), l.Histogram, "must not match le: the threshold chooses the bucket"))
	} else if hasSuffix(name, "_bucket", "_count", "_sum") {
		errs = append(errs, field.Invalid(p.Child("histogram"), l.Histogram, "give the histogram's base name without _bucket, _count or _sum"))
	}
	if (l.Threshold == "") == (l.Graded == nil) {
		return nil, append(errs, field.Invalid(p, "", "set exactly one of threshold or graded"))
	}
	if l.Graded != nil && vs != nil && slices.ContainsFunc(vs.LabelMatchers, func(m *labelsMatcher) bool { return m.Name == l.Graded.Label }) {
		errs = append(errs, field.Invalid(p.Child("graded", "label"), l.Graded.Label,
			"the histogram selector already matches this label; grading selects each class itself"))
	}
	type class struct {
		suffix, label, value string
		threshold            pledgev1.PromDuration
		path                 *field.Path
		target               string
		budget               float64
	}
	var classes []class
	if l.Graded == nil {
		classes = append(classes, class{threshold: l.Threshold, path: p.Child("threshold"), target: base.Target, budget: base.Budget})
	} else {
		gp := p.Child("graded")
		if !labelNameRE.MatchString(l.Graded.Label) || l.Graded.Label == "le" || l.Graded.Label == "__name__" {
			errs = append(errs, field.Invalid(gp.Child("label"), l.Graded.Label, "must be a label name other than le"))
		}
		if len(l.Graded.Thresholds) == 0 {
			errs = append(errs, field.Required(gp.Child("thresholds"), "give at least one class and its threshold"))
		}
		keys := make([]string, 0, len(l.Graded.Thresholds))
		for k := range l.Graded.Thresholds {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			kp := gp.Child("thresholds").Key(k)
			if len(k) > 20 || !dnsLabelRE.MatchString(k) {
				errs = append(errs, field.Invalid(kp, k, "class must be lower-case alphanumerics or '-', at most 20 characters"))
				continue
			}
			c := class{suffix: "-" + k, label: l.Graded.Label, value: k, threshold: l.Graded.Thresholds[k], path: kp, target: base.Target, budget: base.Budget}
			if t, ok := l.Graded.Targets[k]; ok {
				tp := gp.Child("targets").Key(k)
				budget, terr := parseTarget(string(t))
				if terr != nil {
					errs = append(errs, field.Invalid(tp, t, terr.Error()))
					continue
				}
				c.target, c.budget = string(t), budget
			}
			classes = append(classes, c)
		}
		errs = append(errs, unknownClasses(l.Graded, gp.Child("targets"))...)
	}
	var out []Objective
	for _, c := range classes {
		d, derr := parsePromDuration(string(c.threshold))
		if derr != nil {
			errs = append(errs, field.Invalid(c.path, c.threshold, "must be a positive duration such as 300ms or 4h"))
			continue
		}
		if len(errs) > 0 {
			continue
		}
		name := MetricName(vs)
		var extra []*labelsMatcher
		if c.label != "" {
			extra = append(extra, mustMatcher(c.label, c.value))
		}
		o := base
		if native {
			series := WithName(vs, name, extra...)
			o.EventsExpr, o.ErrorsExpr = nativeRates(series, d, fb, base.GroupBy)
			// The native histogram itself: absent when the histogram or the class is wrong.
			o.Presence = series
		} else {
			bucket := WithName(vs, name+"_bucket", append(extra, leMatcher(d.Seconds()))...)
			count := counterRate(WithName(vs, name+"_count", extra...), fb, base.GroupBy)
			o.ErrorsExpr = count + " - " + counterRate(bucket, fb, base.GroupBy)
			o.EventsExpr = count
			// The threshold bucket: absent when the histogram, the class or the bound is wrong.
			o.Presence = bucket
		}
		o.Name = base.Name + c.suffix
		o.Target, o.Budget, o.Classes = c.target, c.budget, len(classes)
		if len(o.Name) > 63 {
			errs = append(errs, field.Invalid(c.path, o.Name, "objective name with its class must stay within 63 characters"))
			continue
		}
		out = append(out, o)
	}
	return out, errs
}

// validateGroupBy checks an objective's groupBy labels: valid label names, at most three,
// none twice, and none that Pledge sets itself (nor le, which a classic histogram's buckets
// carry, nor the graded label, whose classes are objectives of their own), nor one that
// alerting.labels sets, which would overwrite every value's label with one value.
func validateGroupBy(o *pledgev1.Objective, a *pledgev1.Alerting, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(o.GroupBy) > maxGroupBy {
		errs = append(errs, field.TooMany(p, len(o.GroupBy), maxGroupBy))
	}
	seen := map[string]bool{}
	for i, l := range o.GroupBy {
		lp := p.Index(i)
		switch {
		case seen[l]:
			errs = append(errs, field.Duplicate(lp, l))
		case !labelNameRE.MatchString(l) || strings.HasPrefix(l, "__"):
			errs = append(errs, field.Invalid(lp, l, "must be a label name (letters, digits and _, not starting with a digit or __)"))
		case l == "le" || l == "alertstate" || slices.Contains(reserved, l):
			errs = append(errs, field.Invalid(lp, l, "is a label Pledge or Prometheus sets itself (or le, the bucket bound); group by a label of the objective's series"))
		case o.Latency != nil && o.Latency.Graded != nil && o.Latency.Graded.Label == l:
			errs = append(errs, field.Invalid(lp, l, "is the graded label: each of its classes is already an objective of its own"))
		case a != nil && hasKey(a.Labels, l):
			errs = append(errs, field.Invalid(lp, l, "is also set by spec.alerting.labels, which would give every value's alerts one value"))
		}
		seen[l] = true
	}
	return errs
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// unknownClasses reports targets of classes that have no threshold.
func unknownClasses(g *pledgev1.GradedThresholds, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for k := range g.Targets {
		if _, ok := g.Thresholds[k]; !ok {
			errs = append(errs, field.Invalid(p.Key(k), k, "is not a class: every class in targets needs a threshold in thresholds"))
		}
	}
	slices.SortFunc(errs, func(a, b *field.Error) int { return strings.Compare(a.Field, b.Field) })
	return errs
}

func hasSuffix(s string, suffixes ...string) bool {
	return slices.ContainsFunc(suffixes, func(x string) bool { return len(s) > len(x) && s[len(s)-len(x):] == x })
}
