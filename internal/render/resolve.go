package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

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

// maxGroupBy is the most labels an objective may be grouped by.
const maxGroupBy = 3

// DefaultBudgetLeft are the default PledgeErrorBudgetLow thresholds: 25% (where compliance
// calls a met objective AtRisk by default) and 0% (exhausted).
var DefaultBudgetLeft = []string{"25", "0"}

var budgetLeftRE = regexp.MustCompile(`^[0-9]{1,2}(\.[0-9]{1,3})?$`)

// alertTemplateDefs are the variables Prometheus defines for alert label and annotation templates.
const alertTemplateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

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
