package openslo

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/util/validation"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// Exportable is a standard to export: its spec as written, and as render.Resolve resolved it
// (the window pairs merged with the defaults, the escalation with its policy looked up).
type Exportable struct {
	Standard *pledgev1.ServiceStandard
	Resolved *render.Standard
}

// Export writes OpenSLO v1 documents for standards: one Service per service, one SLO per
// standard (its objectives with inline SLIs) and one AlertPolicy per window pair, whose
// notification targets are the receivers of the first tier (page) or the tickets (ticket).
func Export(in []Exportable) ([]Document, Findings) {
	var docs []Document
	var fs Findings
	services := map[string]bool{}
	names := map[string]string{}
	for _, e := range in {
		std := e.Standard
		object := fmt.Sprintf("ServiceStandard %s/%s", std.Namespace, std.Name)
		if prev, dup := names[std.Name]; dup {
			fs.add(object, "metadata.name", fmt.Sprintf("not exported: OpenSLO has no namespaces and %s has the same name", prev))
			continue
		}
		names[std.Name] = object
		if !services[std.Spec.Service] {
			services[std.Spec.Service] = true
			if errs := validation.IsDNS1123Label(std.Spec.Service); len(errs) > 0 {
				fs.add(object, "spec.service", "not an OpenSLO object name (RFC 1123 label); the Service document is written as it is: "+strings.Join(errs, "; "))
			}
			docs = append(docs, doc(KindService, Metadata{Name: std.Spec.Service}, ServiceSpec{}))
		}
		ex := &exporter{object: object, fs: &fs}
		slo, policies := ex.standard(std, e.Resolved)
		docs = append(docs, slo)
		docs = append(docs, policies...)
	}
	return docs, fs
}

type exporter struct {
	object string
	fs     *Findings
}

func doc(kind string, meta Metadata, spec any) Document {
	b, _ := json.Marshal(spec)
	return Document{APIVersion: APIVersion, Kind: kind, Metadata: meta, Spec: b}
}

// entry is one exported objective (a graded objective gives one per class).
type entry struct {
	name        string
	description string
	target      string
	weight      *big.Rat
	sli         SLISpec
	op          string
	value       *json.Number
}

func (ex *exporter) standard(std *pledgev1.ServiceStandard, r *render.Standard) (Document, []Document) {
	meta := Metadata{Name: std.Name}
	for k, v := range std.Labels {
		if meta.Labels == nil {
			meta.Labels = map[string]json.RawMessage{}
		}
		meta.Labels[k], _ = json.Marshal(v)
	}
	for k, v := range std.Annotations {
		if k == "kubectl.kubernetes.io/last-applied-configuration" {
			continue
		}
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		meta.Annotations[k] = v
	}
	s := std.Spec
	spec := SLOSpec{Description: s.Description, Service: s.Service, BudgetingMethod: BudgetingOccurrences}
	if s.Window != "" || s.Calendar != nil {
		// OpenSLO's timeWindow is optional; without one, Pledge's import applies its default.
		spec.TimeWindow = []TimeWindow{ex.window(s)}
	}
	if s.Owners != nil {
		ex.fs.add(ex.object, "spec.owners", "not exported: OpenSLO has no owners")
	}
	var entries []entry
	for i, o := range s.Objectives {
		entries = append(entries, ex.objective(o, fmt.Sprintf("spec.objectives[%d]", i))...)
	}
	if len(entries) == 1 {
		e := entries[0]
		spec.Indicator = &InlineSLI{Metadata: Metadata{Name: sliName(e.name)}, Spec: e.sli}
		spec.Objectives = []Objective{{DisplayName: e.name, TargetPercent: number(e.target), Op: e.op, Value: e.value}}
	} else {
		// A graded objective's classes share its weight; scaling every weight by the
		// smallest factor that makes the shares whole keeps the score's proportions.
		scale := big.NewInt(1)
		for _, e := range entries {
			d := e.weight.Denom()
			scale.Mul(scale, new(big.Int).Quo(d, new(big.Int).GCD(nil, nil, scale, d)))
		}
		if scale.Cmp(big.NewInt(1)) != 0 {
			ex.fs.note(ex.object, "spec.objectives", fmt.Sprintf("weights are multiplied by %s so that the classes of graded objectives share theirs in whole numbers; the score's proportions are kept", scale))
		}
		for _, e := range entries {
			w, _ := decimal(new(big.Rat).Mul(e.weight, new(big.Rat).SetInt(scale)))
			o := Objective{DisplayName: e.name, TargetPercent: number(e.target), Op: e.op, Value: e.value,
				Indicator: &InlineSLI{Metadata: Metadata{Name: sliName(e.name)}, Spec: e.sli}}
			if e.weight.Sign() > 0 {
				o.CompositeWeight = number(w)
			} else {
				ex.fs.add(ex.object, "spec.objectives", fmt.Sprintf("objective %s: weight 0 is not supported: OpenSLO's compositeWeight is positive; left out (1)", e.name))
			}
			spec.Objectives = append(spec.Objectives, o)
		}
	}
	policies := ex.alerting(std, r)
	for _, p := range policies {
		spec.AlertPolicies = append(spec.AlertPolicies, AlertPolicyUse{AlertPolicyRef: p.Metadata.Name})
	}
	return doc(KindSLO, meta, spec), policies
}

func (ex *exporter) window(s pledgev1.ServiceStandardSpec) TimeWindow {
	if c := s.Calendar; c != nil {
		tw := TimeWindow{Duration: "1M", IsRolling: ptr(false), Calendar: &Calendar{StartTime: "2024-01-01 00:00:00", TimeZone: c.TimeZone}}
		if c.Period == pledgev1.CalendarQuarter {
			tw.Duration = "1Q"
		}
		if tw.Calendar.TimeZone == "" {
			tw.Calendar.TimeZone = "UTC"
		}
		return tw
	}
	d, _ := parsePromDuration(string(s.Window))
	if _, unit, ok := shorthand(string(s.Window)); ok && strings.Contains("mhdw", unit) {
		return TimeWindow{Duration: string(s.Window), IsRolling: ptr(true)}
	}
	sh, ok := toShorthand(d)
	if !ok {
		ex.fs.add(ex.object, "spec.window", fmt.Sprintf("%s is not a whole number of minutes; written as %s", s.Window, promDuration(d.Truncate(time.Minute))))
		sh, _ = toShorthand(d.Truncate(time.Minute))
	}
	if s.Window != "" && sh != string(s.Window) {
		ex.fs.note(ex.object, "spec.window", fmt.Sprintf("%s is written as %s", s.Window, sh))
	}
	return TimeWindow{Duration: sh, IsRolling: ptr(true)}
}

func ptr[T any](v T) *T { return &v }

// objective exports one objective; a graded one gives one entry per class.
func (ex *exporter) objective(o pledgev1.Objective, p string) []entry {
	if o.SampleInterval != "" {
		ex.fs.add(ex.object, p+".sampleInterval", "not exported: OpenSLO has no sample interval")
	}
	if len(o.GroupBy) > 0 {
		ex.fs.add(ex.object, p+".groupBy", "not exported: an OpenSLO SLO has no objectives per label value; the export measures all values together")
	}
	e := entry{name: o.Name, description: o.Description, target: string(o.Target), weight: big.NewRat(int64(o.Weight), 1)}
	e.sli.Description = o.Description
	switch {
	case o.Ratio != nil:
		rm := &RatioMetric{Counter: ptr(true), Total: promMetric(string(o.Ratio.Total))}
		if o.Ratio.Good != "" {
			rm.Good = promMetric(string(o.Ratio.Good))
		} else {
			rm.Bad = promMetric(string(o.Ratio.Errors))
		}
		e.sli.RatioMetric = rm
		return []entry{e}
	case o.Bool != nil:
		e.sli.RatioMetric = &RatioMetric{RawType: "success", Raw: promMetric(string(o.Bool.Selector))}
		return []entry{e}
	case o.Latency != nil:
		return ex.latency(o, e, p)
	}
	return nil
}

func (ex *exporter) latency(o pledgev1.Objective, e entry, p string) []entry {
	l := o.Latency
	expr, err := promParser.ParseExpr(string(l.Histogram))
	vs, ok := expr.(*parser.VectorSelector)
	if err != nil || !ok {
		ex.fs.add(ex.object, p+".latency.histogram", "not a selector; objective not exported")
		return nil
	}
	bucket := render.MetricName(vs) + "_bucket"
	e.op = "lte"
	if l.Graded == nil {
		d, _ := parsePromDuration(string(l.Threshold))
		e.value = ptr(seconds(d))
		e.sli.ThresholdMetric = promMetric(render.WithName(vs, bucket))
		return []entry{e}
	}
	classes := make([]string, 0, len(l.Graded.Thresholds))
	for k := range l.Graded.Thresholds {
		classes = append(classes, k)
	}
	slices.Sort(classes)
	ex.fs.note(ex.object, p+".latency.graded", fmt.Sprintf("exported as one objective per class (%s), sharing the weight", strings.Join(classes, ", ")))
	var out []entry
	for _, c := range classes {
		ce := e
		ce.name = o.Name + "-" + c
		if t, ok := l.Graded.Targets[c]; ok {
			ce.target = string(t)
		}
		ce.weight = new(big.Rat).Quo(e.weight, big.NewRat(int64(len(classes)), 1))
		d, _ := parsePromDuration(string(l.Graded.Thresholds[c]))
		ce.value = ptr(seconds(d))
		ce.sli.ThresholdMetric = promMetric(render.WithName(vs, bucket, labels.MustNewMatcher(labels.MatchEqual, l.Graded.Label, c)))
		out = append(out, ce)
	}
	return out
}

func promMetric(query string) *Metric {
	return &Metric{MetricSource: MetricSource{Type: "Prometheus", Spec: map[string]any{"query": query}}}
}

// sliName is an objective name as an OpenSLO object name (an RFC 1123 label).
func sliName(s string) string {
	return strings.Trim(strings.NewReplacer("_", "-", ".", "-").Replace(s), "-")
}

// alerting exports one AlertPolicy per window pair.
func (ex *exporter) alerting(std *pledgev1.ServiceStandard, r *render.Standard) []Document {
	if a := std.Spec.Alerting; a != nil {
		for _, f := range []struct {
			set  bool
			name string
		}{
			{a.RunbookURL != "", "runbookURL"}, {len(a.Labels) > 0, "labels"}, {a.MinEvents != 0, "minEvents"},
			{a.KeepFiringFor != "", "keepFiringFor"}, {a.BudgetLeft != nil, "budgetLeft"}, {a.NoData != nil && a.NoData.After != "", "noData.after"},
		} {
			if f.set {
				ex.fs.add(ex.object, "spec.alerting."+f.name, "not exported: OpenSLO alert policies have no such setting")
			}
		}
	}
	if r.AlertsDisabled {
		ex.fs.note(ex.object, "spec.alerting.disabled", "alerts are disabled; no alert policy is exported")
		return nil
	}
	var pageTargets, ticketTargets []TargetUse
	var pageResolved, ticketResolved *bool
	if esc := r.Escalation; esc != nil {
		tier := esc.Tiers[0]
		pageTargets, pageResolved = ex.targets(tier.Receivers, "spec.escalation (tier "+tier.Name+")")
		ticketTargets, ticketResolved = pageTargets, pageResolved
		if len(esc.Tickets) > 0 {
			ticketTargets, ticketResolved = ex.targets(esc.Tickets, "spec.escalation (tickets)")
		}
		for _, t := range esc.Tiers[1:] {
			ex.fs.add(ex.object, "spec.escalation", fmt.Sprintf("tier %s (after %s) not exported: OpenSLO has no escalation tiers", t.Name, t.EscalationTier.After))
		}
		if tier.RepeatInterval != "" || len(tier.ActiveTimeIntervals) > 0 {
			ex.fs.add(ex.object, "spec.escalation", fmt.Sprintf("tier %s: repeatInterval and activeTimeIntervals not exported: OpenSLO has no such settings", tier.Name))
		}
		if len(esc.Informed) > 0 {
			ex.fs.add(ex.object, "spec.escalation", "informed receivers not exported: OpenSLO has no copies that never page")
		}
		if len(esc.TimeIntervals) > 0 {
			ex.fs.add(ex.object, "spec.escalation", "timeIntervals not exported: OpenSLO has no time intervals")
		}
	}
	var out []Document
	for _, w := range r.Windows {
		name := std.Name + "-" + w.Name
		if len(validation.IsDNS1123Label(name)) > 0 {
			ex.fs.add(ex.object, "spec.alerting.windows", fmt.Sprintf("window pair %s: %s is not an OpenSLO object name; not exported", w.Name, name))
			continue
		}
		long, ok := toShorthand(w.Long)
		if !ok {
			ex.fs.add(ex.object, "spec.alerting.windows", fmt.Sprintf("window pair %s: long window %s is not whole minutes; not exported", w.Name, promDuration(w.Long)))
			continue
		}
		if short := max(5*time.Minute, (w.Long / 12).Truncate(time.Minute)); w.Short != short {
			ex.fs.add(ex.object, "spec.alerting.windows", fmt.Sprintf("window pair %s: short window %s not exported: an OpenSLO condition has one lookback window (Pledge's import confirms with %s)", w.Name, promDuration(w.Short), promDuration(short)))
		}
		spec := AlertPolicySpec{
			AlertWhenBreaching: ptr(true),
			AlertWhenNoData:    ptr(r.NoDataAfter > 0),
			Conditions: []ConditionUse{{Kind: KindAlertCondition, Metadata: &Metadata{Name: w.Name}, Spec: &AlertConditionSpec{
				Severity: string(w.Severity),
				Condition: BurnRateRule{Kind: "burnrate", Op: "gt", LookbackWindow: long, AlertAfter: "0m",
					Threshold: number(threshold(w.Factor, w.Long, r.Window))},
			}}},
		}
		if w.Severity == pledgev1.SeverityPage {
			spec.NotificationTargets, spec.AlertWhenResolved = pageTargets, pageResolved
		} else {
			spec.NotificationTargets, spec.AlertWhenResolved = ticketTargets, ticketResolved
		}
		out = append(out, doc(KindAlertPolicy, Metadata{Name: name}, spec))
	}
	return out
}

// targets exports receivers that are one webhook URL or one e-mail address; resolved is their
// common sendResolved setting, if they share one.
func (ex *exporter) targets(rs []pledgev1.Receiver, where string) ([]TargetUse, *bool) {
	var out []TargetUse
	var resolved []*bool
	for _, r := range rs {
		target, sr, ok := targetOf(r)
		if !ok {
			ex.fs.add(ex.object, where, fmt.Sprintf("receiver %s not exported: OpenSLO targets carry one webhook URL or e-mail address, not this receiver's configuration", r.Name))
			continue
		}
		resolved = append(resolved, sr)
		out = append(out, TargetUse{Kind: KindAlertNotificationTarget, Metadata: &Metadata{Name: r.Name}, Spec: &TargetSpec{Target: target}})
	}
	if len(resolved) == 0 || resolved[0] == nil {
		return out, nil
	}
	for _, sr := range resolved[1:] {
		if sr == nil || *sr != *resolved[0] {
			ex.fs.note(ex.object, where, "the receivers differ in sendResolved; alertWhenResolved is left out")
			return out, nil
		}
	}
	return out, resolved[0]
}

func targetOf(r pledgev1.Receiver) (string, *bool, bool) {
	if r.DecodeError() != nil {
		return "", nil, false
	}
	bare := r.Receiver
	bare.Name = ""
	switch {
	case len(bare.WebhookConfigs) == 1 && bare.WebhookConfigs[0].URL != nil:
		w := bare.WebhookConfigs[0]
		bare.WebhookConfigs = nil
		rest := w
		rest.URL, rest.SendResolved = nil, nil
		if same(bare, monitoringv1alpha1.Receiver{}) && same(rest, monitoringv1alpha1.WebhookConfig{}) {
			return *w.URL, w.SendResolved, true
		}
	case len(bare.EmailConfigs) == 1 && bare.EmailConfigs[0].To != nil:
		e := bare.EmailConfigs[0]
		bare.EmailConfigs = nil
		rest := e
		rest.To, rest.SendResolved = nil, nil
		if same(bare, monitoringv1alpha1.Receiver{}) && same(rest, monitoringv1alpha1.EmailConfig{}) {
			return *e.To, e.SendResolved, true
		}
	}
	return "", nil, false
}

// same reports whether a and b marshal to the same JSON: a receiver or config that holds
// nothing beyond what was taken out of it.
func same(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// threshold writes a burn-rate factor with the fewest digits that import back to the same
// budget share (nine decimals of a percent), so a factor computed from a rounded share is
// written as the rate it was imported from.
func threshold(factor float64, long, window time.Duration) string {
	share := func(s string) string {
		r, _ := new(big.Rat).SetString(s)
		bp, _ := decimal(budgetShare(r, long, window))
		return bp
	}
	full := strconv.FormatFloat(factor, 'g', -1, 64)
	want := share(full)
	for digits := 1; digits < 17; digits++ {
		if s := strconv.FormatFloat(factor, 'g', digits, 64); !strings.ContainsAny(s, "e") && share(s) == want {
			return s
		}
	}
	return full
}
