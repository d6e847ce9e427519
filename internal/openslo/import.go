package openslo

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// Imported is what Import produced.
type Imported struct {
	// Standards are the ServiceStandards, one per SLO that maps, in input order.
	Standards []*pledgev1.ServiceStandard
	// Policies are the EscalationPolicies, one per standard whose alert policies name
	// notification targets that map; each is named after its standard.
	Policies []*pledgev1.EscalationPolicy
	// Findings are what did not map, and notes.
	Findings Findings
}

// Policy returns the EscalationPolicy a standard refers to, or nil.
func (r *Imported) Policy(std *pledgev1.ServiceStandard) *pledgev1.EscalationPolicy {
	if std.Spec.Escalation == nil || std.Spec.Escalation.PolicyRef == nil {
		return nil
	}
	for _, p := range r.Policies {
		if p.Name == std.Spec.Escalation.PolicyRef.Name && p.Namespace == std.Namespace {
			return p
		}
	}
	return nil
}

type importer struct {
	namespace   string
	fs          Findings
	services    map[string]ServiceSpec
	usedService map[string]bool
	slis        map[string]*InlineSLI
	dataSources map[string]DataSourceSpec
	policies    map[string]*AlertPolicySpec
	conditions  map[string]*AlertConditionSpec
	targets     map[string]*TargetSpec
	object      string // the SLO being imported, for findings
}

// Import turns OpenSLO documents into ServiceStandards (in namespace) and EscalationPolicies.
func Import(docs []Document, namespace string) *Imported {
	im := &importer{
		namespace: namespace, services: map[string]ServiceSpec{}, usedService: map[string]bool{},
		slis: map[string]*InlineSLI{}, dataSources: map[string]DataSourceSpec{},
		policies: map[string]*AlertPolicySpec{}, conditions: map[string]*AlertConditionSpec{}, targets: map[string]*TargetSpec{},
	}
	var slos []Document
	seen := map[string]bool{}
	for _, d := range docs {
		object := objectName(d.Kind, d.Metadata.Name)
		if seen[object] {
			im.fs.add(object, "metadata.name", "defined more than once; the first definition is used")
			continue
		}
		seen[object] = true
		if d.Metadata.DisplayName != "" && d.Kind != KindSLO && d.Kind != KindSLI {
			im.fs.note(object, "metadata.displayName", "not imported: Pledge objects have no display name")
		}
		switch d.Kind {
		case KindSLO:
			slos = append(slos, d)
		case KindService:
			var s ServiceSpec
			if decodeSpecOptional(d, &s, &im.fs) {
				im.services[d.Metadata.Name] = s
			}

		case KindSLI:
			var s SLISpec
			if decodeSpec(d, &s, &im.fs) {
				im.slis[d.Metadata.Name] = &InlineSLI{Metadata: d.Metadata, Spec: s}
			}
		case KindDataSource:
			var s DataSourceSpec
			if decodeSpec(d, &s, &im.fs) {
				im.dataSources[d.Metadata.Name] = s
				im.fs.note(object, "spec.connectionDetails", "not imported: Pledge queries the Prometheus its operator is configured with; the type is used to check the queries")
			}
		case KindAlertPolicy:
			var s AlertPolicySpec
			if decodeSpec(d, &s, &im.fs) {
				im.policies[d.Metadata.Name] = &s
			}
		case KindAlertCondition:
			var s AlertConditionSpec
			if decodeSpec(d, &s, &im.fs) {
				im.conditions[d.Metadata.Name] = &s
			}
		case KindAlertNotificationTarget:
			var s TargetSpec
			if decodeSpec(d, &s, &im.fs) {
				im.targets[d.Metadata.Name] = &s
			}
		default:
			im.fs.add(object, "kind", "not an OpenSLO v1 kind; document skipped")
		}
	}
	out := &Imported{}
	for _, d := range slos {
		var spec SLOSpec
		if !decodeSpec(d, &spec, &im.fs) {
			continue
		}
		std, policy := im.slo(d.Metadata, &spec)
		if std == nil {
			continue
		}
		out.Standards = append(out.Standards, std)
		if policy != nil {
			out.Policies = append(out.Policies, policy)
		}
	}
	for _, d := range docs {
		if d.Kind == KindService && !im.usedService[d.Metadata.Name] {
			im.fs.note(objectName(KindService, d.Metadata.Name), "", "no imported SLO belongs to this service; nothing imported from it")
		}
	}
	out.Findings = dedupe(im.fs)
	return out
}

// decodeSpecOptional decodes a spec that may be absent (a Service needs none).
func decodeSpecOptional(d Document, into any, fs *Findings) bool {
	if len(d.Spec) == 0 {
		return true
	}
	return decodeSpec(d, into, fs)
}

func dedupe(fs Findings) Findings {
	seen := map[Finding]bool{}
	var out Findings
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

var objectiveNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$`)

// slo turns one SLO into a standard and, when its alert policies' targets map, a policy.
func (im *importer) slo(meta Metadata, spec *SLOSpec) (*pledgev1.ServiceStandard, *pledgev1.EscalationPolicy) {
	im.object = objectName(KindSLO, meta.Name)
	if errs := validation.IsDNS1123Label(meta.Name); len(errs) > 0 {
		im.fs.add(im.object, "metadata.name", "not imported: a standard's name must be a DNS label: "+strings.Join(errs, "; "))
		return nil, nil
	}
	std := &pledgev1.ServiceStandard{
		TypeMeta:   metav1.TypeMeta{APIVersion: pledgev1.GroupVersion.String(), Kind: "ServiceStandard"},
		ObjectMeta: metav1.ObjectMeta{Name: meta.Name, Namespace: im.namespace},
	}
	im.metadata(meta, &std.ObjectMeta)
	s := &std.Spec
	s.Service = spec.Service
	if s.Service == "" {
		im.fs.add(im.object, "spec.service", "not set; the SLO's name is used as the service")
		s.Service = meta.Name
	}
	if len(s.Service) > 128 || strings.Contains(s.Service, "{{") {
		im.fs.add(im.object, "spec.service", "not imported: a standard's service is at most 128 characters without \"{{\" (it is copied into alert labels)")
		return nil, nil
	}
	svc, known := im.services[spec.Service]
	im.usedService[spec.Service] = true
	s.Description = spec.Description
	switch {
	case s.Description == "" && meta.DisplayName != "":
		s.Description = meta.DisplayName
	case meta.DisplayName != "":
		im.fs.note(im.object, "metadata.displayName", "not imported: the standard's description is spec.description")
	}
	if s.Description == "" && known && svc.Description != "" {
		s.Description = svc.Description
	}
	if len(s.Description) > 1024 {
		im.fs.add(im.object, "spec.description", "cut to 1024 characters, the most a standard's description holds")
		s.Description = s.Description[:1024]
	}
	im.window(spec, s)
	switch spec.BudgetingMethod {
	case BudgetingOccurrences:
	case "":
		im.fs.note(im.object, "spec.budgetingMethod", "not set; events are counted (Occurrences)")
	case BudgetingTimeslices, BudgetingRatioTimeslices:
		im.fs.add(im.object, "spec.budgetingMethod", spec.BudgetingMethod+" is not supported: Pledge counts good and bad events over the window (Occurrences); SLO not imported")
		for i, o := range spec.Objectives {
			im.timeslices(fmt.Sprintf("spec.objectives[%d]", i), o)
		}
		return nil, nil
	default:
		im.fs.add(im.object, "spec.budgetingMethod", fmt.Sprintf("%q is not an OpenSLO budgeting method; SLO not imported", spec.BudgetingMethod))
		return nil, nil
	}
	im.objectives(meta, spec, s)
	if len(s.Objectives) == 0 {
		im.fs.add(im.object, "spec.objectives", "no objective maps; SLO not imported")
		return nil, nil
	}
	policy := im.alerting(meta.Name, spec, std)
	return std, policy
}

// metadata copies labels and annotations that are valid Kubernetes ones.
func (im *importer) metadata(meta Metadata, om *metav1.ObjectMeta) {
	for k, raw := range meta.Labels {
		p := "metadata.labels." + k
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			im.fs.add(im.object, p, "a list of values is not supported: Kubernetes labels have one value; not imported")
			continue
		}
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			im.fs.add(im.object, p, "not a valid Kubernetes label; not imported: "+strings.Join(errs, "; "))
			continue
		}
		if om.Labels == nil {
			om.Labels = map[string]string{}
		}
		om.Labels[k] = v
	}
	for k, v := range meta.Annotations {
		if errs := validation.IsQualifiedName(strings.ToLower(k)); len(errs) > 0 {
			im.fs.add(im.object, "metadata.annotations."+k, "not a valid Kubernetes annotation key; not imported")
			continue
		}
		if om.Annotations == nil {
			om.Annotations = map[string]string{}
		}
		om.Annotations[k] = v
	}
}

// window maps the SLO's time window: rolling durations of minutes to weeks, calendar months
// and quarters starting at midnight on the first day.
func (im *importer) window(spec *SLOSpec, s *pledgev1.ServiceStandardSpec) {
	if len(spec.TimeWindow) == 0 {
		im.fs.note(im.object, "spec.timeWindow", "not set; Pledge's default rolling 30d window applies")
		return
	}
	for i := range spec.TimeWindow[1:] {
		im.fs.add(im.object, fmt.Sprintf("spec.timeWindow[%d]", i+1), "OpenSLO allows one time window; ignored")
	}
	tw := spec.TimeWindow[0]
	p := "spec.timeWindow[0]"
	rolling := tw.Calendar == nil
	if tw.IsRolling != nil {
		rolling = *tw.IsRolling
	}
	if rolling {
		if tw.Calendar != nil {
			im.fs.add(im.object, p+".calendar", "ignored: isRolling is true")
		}
		d, err := fixedDuration(tw.Duration)
		switch {
		case err != nil:
			im.fs.add(im.object, p+".duration", "rolling window not supported: "+err.Error()+"; Pledge's default 30d applies")
		case d < 24*time.Hour:
			im.fs.add(im.object, p+".duration", tw.Duration+" is not supported: Pledge windows are at least 1d; Pledge's default 30d applies")
		default:
			s.Window = pledgev1.PromDuration(tw.Duration)
		}
		return
	}
	cal := &pledgev1.CalendarWindow{}
	var startMonths []time.Month
	switch tw.Duration {
	case "1M":
		cal.Period = pledgev1.CalendarMonth
	case "1Q":
		cal.Period = pledgev1.CalendarQuarter
		startMonths = []time.Month{time.January, time.April, time.July, time.October}
	default:
		im.fs.add(im.object, p+".duration", fmt.Sprintf("calendar window %q is not supported: Pledge's calendar windows are 1M (month) and 1Q (quarter); Pledge's default rolling 30d applies", tw.Duration))
		return
	}
	if tw.Calendar != nil {
		if tz := tw.Calendar.TimeZone; tz != "" && tz != "UTC" {
			if _, err := time.LoadLocation(tz); err != nil {
				im.fs.add(im.object, p+".calendar.timeZone", fmt.Sprintf("unknown IANA time zone %q; UTC is used", tz))
			} else {
				cal.TimeZone = tz
			}
		}
		if st := tw.Calendar.StartTime; st != "" {
			t, err := time.Parse(time.DateTime, st)
			switch {
			case err != nil:
				im.fs.add(im.object, p+".calendar.startTime", fmt.Sprintf("%q is not a date and time such as 2024-01-01 00:00:00; ignored", st))
			case t.Day() != 1 || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || (startMonths != nil && !slices.Contains(startMonths, t.Month())):
				im.fs.add(im.object, p+".calendar.startTime", fmt.Sprintf("%s is not supported: Pledge's periods start at midnight on the first day of each %s", st, cal.Period))
			}
		}
	}
	s.Calendar = cal
}

// timeslices reports the time-slice fields of an objective.
func (im *importer) timeslices(p string, o Objective) {
	if o.TimeSliceTarget != nil {
		im.fs.add(im.object, p+".timeSliceTarget", "timeslices are not supported")
	}
	if o.TimeSliceWindow != "" {
		im.fs.add(im.object, p+".timeSliceWindow", "timeslices are not supported")
	}
}

// objectives maps each objective with its indicator (its own, or the SLO's).
func (im *importer) objectives(meta Metadata, spec *SLOSpec, s *pledgev1.ServiceStandardSpec) {
	var shared *indicator
	switch {
	case spec.Indicator != nil && spec.IndicatorRef != "":
		im.fs.add(im.object, "spec.indicatorRef", "set either indicator or indicatorRef; the inline indicator is used")
		fallthrough
	case spec.Indicator != nil:
		shared = &indicator{sli: spec.Indicator, object: im.object, path: "spec.indicator"}
	case spec.IndicatorRef != "":
		shared = im.ref(spec.IndicatorRef, "spec.indicatorRef")
	}
	names := map[string]bool{}
	for i, o := range spec.Objectives {
		p := fmt.Sprintf("spec.objectives[%d]", i)
		im.timeslices(p, o)
		in := shared
		switch {
		case o.Indicator != nil:
			if shared != nil {
				im.fs.add(im.object, p+".indicator", "the SLO has an indicator too; the objective's own is used")
			}
			in = &indicator{sli: o.Indicator, object: im.object, path: p + ".indicator"}
		case o.IndicatorRef != "":
			if shared != nil {
				im.fs.add(im.object, p+".indicatorRef", "the SLO has an indicator too; the objective's own is used")
			}
			in = im.ref(o.IndicatorRef, p+".indicatorRef")
		}
		if in == nil {
			im.fs.add(im.object, p, "no indicator (neither the SLO's nor the objective's); objective not imported")
			continue
		}
		obj := pledgev1.Objective{Weight: 1}
		target, err := im.target(o, p)
		if err != nil {
			im.fs.add(im.object, p, err.Error()+"; objective not imported")
			continue
		}
		obj.Target = pledgev1.Percent(target)
		m, ok := im.mapIndicator(*in, o, p)
		if !ok {
			im.fs.add(im.object, p, "the indicator does not map; objective not imported")
			continue
		}
		obj.Ratio, obj.Latency, obj.Bool = m.ratio, m.latency, m.boolean
		obj.Name = im.objectiveName(meta, o, in, i, len(spec.Objectives), names)
		names[obj.Name] = true
		obj.Description = in.sli.Spec.Description
		if obj.Description == "" && o.DisplayName != "" && o.DisplayName != obj.Name {
			obj.Description = o.DisplayName
		}
		if len(obj.Description) > 512 {
			im.fs.add(im.object, p, "the description is cut to 512 characters, the most an objective's holds")
			obj.Description = obj.Description[:512]
		}
		if o.CompositeWeight != nil {
			obj.Weight = im.weight(*o.CompositeWeight, p+".compositeWeight")
		}
		s.Objectives = append(s.Objectives, obj)
	}
}

// ref looks up an SLI document.
func (im *importer) ref(name, p string) *indicator {
	sli, ok := im.slis[name]
	if !ok {
		im.fs.add(im.object, p, fmt.Sprintf("SLI %q is not among the documents", name))
		return nil
	}
	return &indicator{sli: sli, object: objectName(KindSLI, name)}
}

func (im *importer) target(o Objective, p string) (string, error) {
	switch {
	case o.Target != nil && o.TargetPercent != nil:
		return "", fmt.Errorf("set either target or targetPercent")
	case o.Target != nil:
		t, err := percent(*o.Target, true)
		if err != nil {
			return "", fmt.Errorf("target: %w", err)
		}
		return t, nil
	case o.TargetPercent != nil:
		t, err := percent(*o.TargetPercent, false)
		if err != nil {
			return "", fmt.Errorf("targetPercent: %w", err)
		}
		return t, nil
	}
	return "", fmt.Errorf("needs target or targetPercent")
}

// objectiveName is the objective's displayName when it is a valid objective name, else a name
// made from it, else the indicator's name (the SLO's for its only objective), made unique.
func (im *importer) objectiveName(meta Metadata, o Objective, in *indicator, i, n int, taken map[string]bool) string {
	var candidates []string
	if o.DisplayName != "" {
		candidates = append(candidates, slug(o.DisplayName))
	}
	candidates = append(candidates, slug(in.sli.Metadata.Name))
	if n == 1 {
		candidates = append(candidates, meta.Name)
	}
	candidates = append(candidates, "objective-"+strconv.Itoa(i+1))
	for _, c := range candidates {
		if c != "" && !taken[c] {
			return c
		}
	}
	return fmt.Sprintf("objective-%d-%d", i+1, len(taken))
}

// slug makes a valid objective name: lower case; characters other than alphanumerics, '-',
// '_' and '.' become '-'; at most 63 characters.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	out := regexp.MustCompile(`-{2,}`).ReplaceAllString(b.String(), "-")
	if len(out) > 63 {
		out = out[:63]
	}
	out = strings.Trim(out, "-_.")
	if !objectiveNameRE.MatchString(out) {
		return ""
	}
	return out
}

// weight maps compositeWeight to a whole weight from 1 to 1000.
func (im *importer) weight(n json.Number, p string) int32 {
	r, ok := rat(n)
	if !ok || r.Sign() <= 0 {
		im.fs.add(im.object, p, fmt.Sprintf("%s is not a positive number; weight 1 is used", n))
		return 1
	}
	f, _ := r.Float64()
	w := int32(min(max(f+0.5, 1), 1000))
	if !r.IsInt() || f > 1000 {
		im.fs.add(im.object, p, fmt.Sprintf("%s is not supported: Pledge weights are whole numbers from 0 to 1000; %d is used", n, w))
	}
	return w
}
