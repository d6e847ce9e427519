package render

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/template"
	"k8s.io/apimachinery/pkg/util/validation/field"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

var (
	nameRE      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$`)
	dnsLabelRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	reserved    = []string{LabelStandard, LabelNamespace, LabelService, LabelObjective, LabelSeverity,
		LabelLong, LabelShort, LabelTier, LabelTierName, LabelBudgetLeft, "alertname"}
	// reservedTierNames would collide with the generated receivers of the same standard.
	reservedTierNames = []string{"informed", "tickets", "unrouted"}
)

// Resolve validates a standard beyond what the CRD schema can check (PromQL, durations,
// time zones, window arithmetic, references) and resolves it into the model that is rendered.
// policies finds the EscalationPolicy named by spec.escalation.policyRef. Every error carries
// the field path; a policy that is missing, invalid or could not be read (a field.InternalError)
// is an error on spec.escalation.policyRef.name, and the rest of the standard is still resolved
// (see OnlyPolicyProblems).
//
// Resolve computes a calendar window's burn-rate factors from the nominal period length (30d,
// 90d); ResolveAt from the real length of the period that contains now.
func Resolve(std *pledgev1.ServiceStandard, policies PolicyLookup) (*Standard, field.ErrorList) {
	return ResolveAt(std, policies, time.Time{})
}

// ResolveAt is Resolve for the calendar period that contains now (the nominal length when now
// is zero). The result holds until NextPeriodStartOf(&std.Spec, now).
func ResolveAt(std *pledgev1.ServiceStandard, policies PolicyLookup, now time.Time) (*Standard, field.ErrorList) {
	var errs field.ErrorList
	spec := &std.Spec
	specPath := field.NewPath("spec")
	out := &Standard{Name: std.Name, Namespace: std.Namespace, Service: spec.Service}
	if out.Namespace == "" {
		out.Namespace = "default"
	}

	if std.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), "a standard needs a name"))
	} else if len(std.Name) > 63 || !dnsLabelRE.MatchString(std.Name) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), std.Name,
			"must be a DNS label (lower-case alphanumerics and '-', at most 63 characters): it becomes a label value and part of generated names"))
	}
	if std.Namespace != "" && (len(std.Namespace) > 63 || !dnsLabelRE.MatchString(std.Namespace)) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "namespace"), std.Namespace,
			"must be a DNS label (lower-case alphanumerics and '-', at most 63 characters)"))
	}
	if spec.Service == "" {
		errs = append(errs, field.Required(specPath.Child("service"), "name the service the standard is about"))
	} else if len(spec.Service) > 128 {
		errs = append(errs, field.TooLong(specPath.Child("service"), spec.Service, 128))
	} else if strings.Contains(spec.Service, "{{") {
		errs = append(errs, field.Invalid(specPath.Child("service"), spec.Service,
			"must not contain \"{{\": it is copied into alert labels and annotations, which Prometheus expands as templates"))
	}

	errs = append(errs, resolveWindow(spec, specPath, now, out)...)
	errs = append(errs, resolveObjectives(spec, specPath.Child("objectives"), out)...)
	if out.Window > 0 {
		errs = append(errs, resolveAlerting(spec.Alerting, specPath.Child("alerting"), out)...)
	}
	if policy, perrs := lookupPolicy(std, out.Namespace, policies); len(perrs) > 0 {
		errs = append(errs, perrs...)
	} else {
		errs = append(errs, resolveEscalation(spec.Escalation, policy, specPath.Child("escalation"), out)...)
	}
	pages := slices.ContainsFunc(out.Windows, func(w Window) bool { return w.Severity == pledgev1.SeverityPage })
	if out.Escalation != nil && len(errs) == 0 && (out.AlertsDisabled || !pages) {
		why := "every page window pair is disabled"
		if out.AlertsDisabled {
			why = "spec.alerting.disabled is set"
		}
		out.Warnings = append(out.Warnings, fmt.Sprintf("spec.escalation: %s, so no page fires and no escalation tier is ever notified", why))
	}
	return out, errs
}

func resolveWindow(spec *pledgev1.ServiceStandardSpec, p *field.Path, now time.Time, out *Standard) field.ErrorList {
	var errs field.ErrorList
	if spec.Window != "" && spec.Calendar != nil {
		return append(errs, field.Invalid(p.Child("calendar"), "calendar", "set either window or calendar, not both"))
	}
	if spec.Calendar != nil {
		cp := p.Child("calendar")
		if spec.Calendar.Period != pledgev1.CalendarMonth && spec.Calendar.Period != pledgev1.CalendarQuarter {
			errs = append(errs, field.NotSupported(cp.Child("period"), spec.Calendar.Period, []string{"month", "quarter"}))
		}
		if tz := spec.Calendar.TimeZone; tz != "" {
			if _, err := time.LoadLocation(tz); err != nil {
				errs = append(errs, field.Invalid(cp.Child("timeZone"), tz, "unknown IANA time zone"))
			}
		}
		out.Calendar = spec.Calendar
	}
	if spec.Window != "" {
		if _, err := parsePromDuration(string(spec.Window)); err != nil {
			return append(errs, field.Invalid(p.Child("window"), spec.Window, "must be a positive duration such as 28d or 30d: "+err.Error()))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	w, err := WindowLengthAt(spec, now)
	if err != nil {
		return append(errs, field.Invalid(p.Child("window"), spec.Window, err.Error()))
	}
	if w < 24*time.Hour {
		return append(errs, field.Invalid(p.Child("window"), spec.Window, "must be at least 1d: burn-rate alerts need windows shorter than the compliance window"))
	}
	out.Window = w
	return nil
}

func resolveObjectives(spec *pledgev1.ServiceStandardSpec, p *field.Path, out *Standard) field.ErrorList {
	var errs field.ErrorList
	if len(spec.Objectives) == 0 {
		return append(errs, field.Required(p, "a standard needs at least one objective"))
	}
	if len(spec.Objectives) > 50 {
		errs = append(errs, field.TooMany(p, len(spec.Objectives), 50))
	}
	seen := map[string]string{} // expanded name -> path that produced it
	for i := range spec.Objectives {
		o := &spec.Objectives[i]
		op := p.Index(i)
		expanded, oerrs := resolveObjective(o, op)
		errs = append(errs, oerrs...)
		errs = append(errs, validateGroupBy(o, spec.Alerting, op.Child("groupBy"))...)
		for _, e := range expanded {
			if prev, dup := seen[e.Name]; dup {
				errs = append(errs, field.Duplicate(op.Child("name"), fmt.Sprintf("%s (also produced by %s)", e.Name, prev)))
				continue
			}
			seen[e.Name] = op.String()
			out.Objectives = append(out.Objectives, e)
		}
	}
	return errs
}

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
	} else if name := metricName(vs); name == "" {
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
		name := metricName(vs)
		var extra []*labelsMatcher
		if c.label != "" {
			extra = append(extra, mustMatcher(c.label, c.value))
		}
		o := base
		if native {
			series := withName(vs, name, extra...)
			o.EventsExpr, o.ErrorsExpr = nativeRates(series, d, fb, base.GroupBy)
			// The native histogram itself: absent when the histogram or the class is wrong.
			o.Presence = series
		} else {
			bucket := withName(vs, name+"_bucket", append(extra, leMatcher(d.Seconds()))...)
			count := counterRate(withName(vs, name+"_count", extra...), fb, base.GroupBy)
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

// maxGroupBy is the most labels an objective may be grouped by.
const maxGroupBy = 3

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

// DefaultBudgetLeft are the default PledgeErrorBudgetLow thresholds: 25% (where compliance
// calls a met objective AtRisk by default) and 0% (exhausted).
var DefaultBudgetLeft = []string{"25", "0"}

var budgetLeftRE = regexp.MustCompile(`^[0-9]{1,2}(\.[0-9]{1,3})?$`)

// resolveBudgetLeft sets the PledgeErrorBudgetLow thresholds, highest first. A calendar window
// gets none: its budget is counted from the period's start, which a fixed range cannot express.
func resolveBudgetLeft(b *pledgev1.BudgetLeftAlerts, p *field.Path, out *Standard) field.ErrorList {
	if b == nil {
		return nil
	}
	var errs field.ErrorList
	value := map[string]float64{}
	var thresholds []string
	for i, t := range b.Thresholds {
		v, err := strconv.ParseFloat(t, 64)
		switch {
		case !budgetLeftRE.MatchString(t) || err != nil:
			errs = append(errs, field.Invalid(p.Child("thresholds").Index(i), t, "must be a decimal percentage from 0 up to below 100, such as \"25\""))
		case slices.ContainsFunc(thresholds, func(u string) bool { return value[u] == v }):
			errs = append(errs, field.Duplicate(p.Child("thresholds").Index(i), t))
		default:
			value[t] = v
			thresholds = append(thresholds, t)
		}
	}
	if len(thresholds) > 0 {
		slices.SortFunc(thresholds, func(x, y string) int { return cmp.Compare(value[y], value[x]) })
		out.BudgetLeft = thresholds
	}
	switch {
	case b.Disabled:
		out.BudgetLeft = nil
	case out.Calendar != nil && len(b.Thresholds) > 0:
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s: no budget-left alerts for a calendar window (its budget counts from the period's start, which a rule's fixed range cannot express); status.objectives[].errorBudgetRemaining and the BudgetExhausted condition show it", p.Child("thresholds")))
		out.BudgetLeft = nil
	}
	return errs
}

func hasSuffix(s string, suffixes ...string) bool {
	return slices.ContainsFunc(suffixes, func(x string) bool { return len(s) > len(x) && s[len(s)-len(x):] == x })
}

func resolveAlerting(a *pledgev1.Alerting, p *field.Path, out *Standard) field.ErrorList {
	var errs field.ErrorList
	var user []pledgev1.BurnRateWindow
	out.KeepFiringFor, out.NoDataAfter = DefaultKeepFiringFor, DefaultNoDataAfter
	if out.Calendar == nil {
		out.BudgetLeft = DefaultBudgetLeft
	}
	if a != nil {
		if a.KeepFiringFor != "" {
			d, err := parsePromDuration(string(a.KeepFiringFor))
			if err != nil || d > 24*time.Hour {
				errs = append(errs, field.Invalid(p.Child("keepFiringFor"), a.KeepFiringFor, "must be a positive duration of at most 1d, such as 10m"))
			}
			out.KeepFiringFor = d
		}
		if nd := a.NoData; nd != nil {
			if nd.After != "" {
				d, err := parsePromDuration(string(nd.After))
				if err != nil || d < 2*time.Minute || d > 24*time.Hour {
					errs = append(errs, field.Invalid(p.Child("noData", "after"), nd.After, "must be a duration between 2m and 1d, such as 10m"))
				}
				out.NoDataAfter = d
			}
			if nd.Disabled {
				out.NoDataAfter = 0
			}
		}
		errs = append(errs, resolveBudgetLeft(a.BudgetLeft, p.Child("budgetLeft"), out)...)
		out.AlertsDisabled = a.Disabled
		out.MinEvents = a.MinEvents
		out.RunbookURL = a.RunbookURL
		out.ExtraLabels = a.Labels
		if a.MinEvents < 0 {
			errs = append(errs, field.Invalid(p.Child("minEvents"), a.MinEvents, "must not be negative"))
		}
		if a.RunbookURL != "" {
			if u, err := url.Parse(a.RunbookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, field.Invalid(p.Child("runbookURL"), a.RunbookURL, "must be an absolute http(s) URL"))
			} else if err := checkTemplate(a.RunbookURL); err != nil {
				errs = append(errs, field.Invalid(p.Child("runbookURL"), a.RunbookURL, err.Error()))
			}
		}
		for k, v := range a.Labels {
			if !labelNameRE.MatchString(k) || slices.Contains(reserved, k) {
				errs = append(errs, field.Invalid(p.Child("labels").Key(k), k, "must be a valid label name that Pledge does not set itself"))
			} else if strings.Contains(v, "{{") {
				errs = append(errs, field.Invalid(p.Child("labels").Key(k), v,
					"must not contain \"{{\": Prometheus expands alert label values as templates, a value that changes between evaluations (such as {{ $value }}) resets the alert's for: duration, and {{ query }} runs arbitrary PromQL"))
			}
		}
		names := map[string]bool{}
		for i, w := range a.Windows {
			if names[w.Name] {
				errs = append(errs, field.Duplicate(p.Child("windows").Index(i).Child("name"), w.Name))
			}
			names[w.Name] = true
			if !dnsLabelRE.MatchString(w.Name) {
				errs = append(errs, field.Invalid(p.Child("windows").Index(i).Child("name"), w.Name, "must be lower-case alphanumerics and '-'"))
			}
		}
		user = a.Windows
	}
	for _, w := range mergeWindows(user) {
		// Report against the user's entry when there is one, else against the defaults.
		wp := p.Child("windows")
		if ui := slices.IndexFunc(user, func(u pledgev1.BurnRateWindow) bool { return u.Name == w.Name }); ui >= 0 {
			wp = wp.Index(ui)
		}
		if w.Disabled {
			continue // not rendered, so its windows need not fit the compliance window
		}
		userPair := slices.ContainsFunc(user, func(u pledgev1.BurnRateWindow) bool { return u.Name == w.Name })
		if !userPair {
			// A default pair whose long window exceeds a short compliance window is left out.
			if long, err := parsePromDuration(string(w.Long)); err == nil && long > out.Window {
				out.Warnings = append(out.Warnings, fmt.Sprintf("default window pair %q (%s/%s) is longer than the %s compliance window and is left out",
					w.Name, w.Long, w.Short, promDuration(out.Window)))
				continue
			}
		}
		rw, werrs := resolvePair(w, wp, out.Window, maxBudget(out.Objectives))
		errs = append(errs, werrs...)
		if len(werrs) > 0 {
			continue
		}
		if !out.AlertsDisabled && rw.Factor*maxBudget(out.Objectives) >= 1 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%s: window pair %q needs an error ratio of %s%% or more for the loosest objective and can never fire",
				wp.String(), w.Name, formatFloat(100*rw.Factor*maxBudget(out.Objectives))))
		}
		out.Windows = append(out.Windows, rw)
	}
	return errs
}

// alertTemplateDefs are the variables Prometheus defines for alert label and annotation templates.
const alertTemplateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

// checkTemplate reports whether s, which Prometheus expands as an alert template, parses as
// Prometheus parses it when it loads rules.
func checkTemplate(s string) error {
	if !strings.Contains(s, "{{") {
		return nil
	}
	te := template.NewTemplateExpander(context.Background(), alertTemplateDefs+s, "value", nil, 0, nil, nil, nil)
	if err := te.ParseTest(); err != nil {
		return fmt.Errorf("must be a valid Prometheus template: %s", strings.TrimPrefix(err.Error(), "template: value:1: "))
	}
	return nil
}

func maxBudget(objs []Objective) float64 {
	m := 0.0
	for _, o := range objs {
		m = max(m, o.Budget)
	}
	return m
}

// resolvePair resolves one window pair for a compliance window. Its factor is the budget share
// × window ÷ long; when that could never fire for the loosest objective (factor × budget ≥ 1:
// the fast page pair of a quarterly 95% objective needs 2% × 92d ÷ 1h = 44×, an error ratio of
// 220%) and the window is longer than 30d, the pair uses its factor over 30d instead (14.4×),
// so that long windows still page on a burn that would spend a month's budget.
func resolvePair(w pledgev1.BurnRateWindow, p *field.Path, window time.Duration, budget float64) (Window, field.ErrorList) {
	var errs field.ErrorList
	if w.Severity != pledgev1.SeverityPage && w.Severity != pledgev1.SeverityTicket {
		errs = append(errs, field.NotSupported(p.Child("severity"), w.Severity, []string{"page", "ticket"}))
	}
	long, lerr := parsePromDuration(string(w.Long))
	if lerr != nil {
		errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must be a positive duration such as 1h"))
	}
	short, serr := parsePromDuration(string(w.Short))
	if serr != nil {
		errs = append(errs, field.Invalid(p.Child("short"), w.Short, "must be a positive duration such as 5m"))
	}
	share, berr := parsePercent(string(w.BudgetPercent))
	if berr != nil {
		errs = append(errs, field.Invalid(p.Child("budgetPercent"), w.BudgetPercent, "must be a percentage strictly between 0 and 100"))
	}
	if lerr == nil && serr == nil {
		switch {
		case short < baseWindow || short%time.Minute != 0:
			errs = append(errs, field.Invalid(p.Child("short"), w.Short, "must be a whole number of minutes, at least 5m"))
		case long%time.Minute != 0:
			errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must be a whole number of minutes"))
		case long <= short:
			errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must be longer than the short window "+string(w.Short)))
		case long > window:
			errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must not be longer than the compliance window "+promDuration(window)))
		}
	}
	if len(errs) > 0 {
		return Window{}, errs
	}
	factor := burnFactor(share, window, long)
	if factor*budget >= 1 && window > clampWindow {
		factor = min(factor, burnFactor(share, clampWindow, long))
	}
	return Window{Name: w.Name, Severity: w.Severity, Long: long, Short: short, Factor: factor}, nil
}

func resolveEscalation(e *pledgev1.Escalation, policy *pledgev1.EscalationPolicy, p *field.Path, out *Standard) field.ErrorList {
	if e == nil {
		return nil
	}
	var errs field.ErrorList
	if (e.PolicyRef != nil) == (len(e.Tiers) > 0) {
		return append(errs, field.Invalid(p, "", "set either policyRef or tiers"))
	}
	if e.PolicyRef != nil {
		if len(e.Informed) > 0 || len(e.Tickets) > 0 || len(e.TimeIntervals) > 0 {
			errs = append(errs, field.Invalid(p, "", "informed, tickets and timeIntervals belong to the referenced policy when policyRef is set"))
		}
		rp := p.Child("policyRef", "name")
		if policy == nil || policy.Name != e.PolicyRef.Name {
			return append(errs, field.NotFound(rp, e.PolicyRef.Name))
		}
		if perrs := ValidatePolicy(policy); len(perrs) > 0 {
			return append(errs, field.Invalid(rp, e.PolicyRef.Name, "the referenced EscalationPolicy is invalid: "+perrs.ToAggregate().Error()))
		}
		out.Escalation = resolvedEscalation(policy.Spec.Tiers, policy.Spec.EscalationRouting)
		warnUTC(out, policy.Spec.EscalationRouting)
		return errs
	}
	errs = append(errs, validateEscalation(e.Tiers, e.EscalationRouting, p)...)
	if len(errs) == 0 {
		out.Escalation = resolvedEscalation(e.Tiers, e.EscalationRouting)
		warnUTC(out, e.EscalationRouting)
	}
	return errs
}

func warnUTC(out *Standard, r pledgev1.EscalationRouting) {
	for _, ti := range r.TimeIntervals {
		for _, t := range ti.TimeIntervals {
			if len(t.Times) > 0 {
				out.Warnings = append(out.Warnings, fmt.Sprintf("time interval %q: Alertmanager evaluates AlertmanagerConfig time intervals in UTC; write the times in UTC", ti.Name))
				return
			}
		}
	}
}

func resolvedEscalation(tiers []pledgev1.EscalationTier, r pledgev1.EscalationRouting) *Escalation {
	esc := &Escalation{EscalationRouting: r}
	for i, t := range tiers {
		after, _ := time.ParseDuration(string(t.After))
		esc.Tiers = append(esc.Tiers, Tier{Index: i + 1, EscalationTier: t, After: after})
	}
	return esc
}

// ValidatePolicy checks an EscalationPolicy as the CRD schema does, plus references between
// its fields.
func ValidatePolicy(policy *pledgev1.EscalationPolicy) field.ErrorList {
	var errs field.ErrorList
	if policy.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), "a policy needs a name"))
	}
	sp := field.NewPath("spec")
	if len(policy.Spec.Tiers) == 0 {
		return append(errs, field.Required(sp.Child("tiers"), "a policy needs at least one tier"))
	}
	return append(errs, validateEscalation(policy.Spec.Tiers, policy.Spec.EscalationRouting, sp)...)
}

func validateEscalation(tiers []pledgev1.EscalationTier, r pledgev1.EscalationRouting, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	intervals := map[string]bool{}
	for i, ti := range r.TimeIntervals {
		ip := p.Child("timeIntervals").Index(i).Child("name")
		switch {
		case ti.Name == "":
			errs = append(errs, field.Required(ip, "name the time interval"))
		case intervals[ti.Name]:
			errs = append(errs, field.Duplicate(ip, ti.Name))
		case !dnsLabelRE.MatchString(ti.Name):
			errs = append(errs, field.Invalid(ip, ti.Name, "must be lower-case alphanumerics and '-'"))
		}
		intervals[ti.Name] = true
	}
	if len(tiers) > 10 {
		errs = append(errs, field.TooMany(p.Child("tiers"), len(tiers), 10))
	}
	names := map[string]bool{}
	var prev time.Duration = -1
	for i, t := range tiers {
		tp := p.Child("tiers").Index(i)
		switch {
		case t.Name == "":
			errs = append(errs, field.Required(tp.Child("name"), "name the tier"))
		case names[t.Name]:
			errs = append(errs, field.Duplicate(tp.Child("name"), t.Name))
		case len(t.Name) > 40 || !dnsLabelRE.MatchString(t.Name):
			errs = append(errs, field.Invalid(tp.Child("name"), t.Name, "must be lower-case alphanumerics and '-', at most 40 characters"))
		case slices.Contains(reservedTierNames, t.Name):
			errs = append(errs, field.Invalid(tp.Child("name"), t.Name, "is reserved for generated receivers"))
		}
		names[t.Name] = true
		after, err := time.ParseDuration(string(t.After))
		switch {
		case t.After == "":
			errs = append(errs, field.Required(tp.Child("after"), "give the delay after the alert starts, e.g. 0m or 30m"))
		case err != nil || after < 0:
			errs = append(errs, field.Invalid(tp.Child("after"), t.After, "must be a duration such as 0m, 30m or 2h (days are written in hours)"))
		case after%time.Second != 0:
			errs = append(errs, field.Invalid(tp.Child("after"), t.After, "must be a whole number of seconds"))
		case after <= prev:
			errs = append(errs, field.Invalid(tp.Child("after"), t.After, "must be later than the previous tier's delay: delays increase strictly"))
		}
		if err == nil {
			prev = after
		}
		if t.RepeatInterval != "" {
			if d, err := time.ParseDuration(string(t.RepeatInterval)); err != nil || d < time.Second || d%time.Second != 0 {
				errs = append(errs, field.Invalid(tp.Child("repeatInterval"), t.RepeatInterval, "must be a positive whole number of seconds, such as 1h"))
			}
		}
		for j, n := range t.ActiveTimeIntervals {
			if !intervals[n] {
				errs = append(errs, field.NotFound(tp.Child("activeTimeIntervals").Index(j), n))
			}
		}
		if len(t.Receivers) == 0 {
			errs = append(errs, field.Required(tp.Child("receivers"), "a tier needs at least one receiver"))
		}
		errs = append(errs, validateReceivers(t.Receivers, tp.Child("receivers"))...)
	}
	errs = append(errs, validateReceivers(r.Informed, p.Child("informed"))...)
	errs = append(errs, validateReceivers(r.Tickets, p.Child("tickets"))...)
	return errs
}
