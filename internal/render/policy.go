package render

// Escalation policies: the checks of tiers, receivers and routing that the CRD schema cannot
// express, shared by inline escalation and EscalationPolicies.

import (
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

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
				errs = append(errs, field.Invalid(tp.Child("activeTimeIntervals").Index(j), n, "no time interval of that name in "+p.Child("timeIntervals").String()))
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
