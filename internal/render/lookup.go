package render

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// PolicyLookup returns the EscalationPolicy name in namespace, or nil (and no error) when there
// is none. A nil PolicyLookup knows no policy. internal/policies builds one from a client.
type PolicyLookup func(namespace, name string) (*pledgev1.EscalationPolicy, error)

// Policies looks policies up in a fixed set (standards read from files, tests): by name, in the
// standard's namespace or in none.
func Policies(ps ...*pledgev1.EscalationPolicy) PolicyLookup {
	return func(namespace, name string) (*pledgev1.EscalationPolicy, error) {
		for _, p := range ps {
			if p != nil && p.Name == name && (p.Namespace == "" || p.Namespace == namespace) {
				return p, nil
			}
		}
		return nil, nil
	}
}

// policyRefPath is the field of every problem with the referenced policy.
var policyRefPath = field.NewPath("spec", "escalation", "policyRef", "name")

// lookupPolicy finds the policy the standard references; a failed lookup is an internal error
// on spec.escalation.policyRef.name.
func lookupPolicy(std *pledgev1.ServiceStandard, namespace string, policies PolicyLookup) (*pledgev1.EscalationPolicy, field.ErrorList) {
	e := std.Spec.Escalation
	if e == nil || e.PolicyRef == nil || policies == nil {
		return nil, nil
	}
	p, err := policies(namespace, e.PolicyRef.Name)
	if err != nil {
		return nil, field.ErrorList{field.InternalError(policyRefPath, err)}
	}
	return p, nil
}

// OnlyPolicyProblems reports whether every problem of a resolution is about the referenced
// policy (missing, invalid or not read): the standard is then measured as it is, without its
// escalation.
func OnlyPolicyProblems(errs field.ErrorList) bool {
	for _, e := range errs {
		if e.Field != policyRefPath.String() {
			return false
		}
	}
	return true
}
