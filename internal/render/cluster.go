package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// ClusterLabel is the label that tells one cluster's generated series and alerts from
// another's when several clusters share one Thanos or Mimir. The zero value adds nothing.
type ClusterLabel struct{ Name, Value string }

// ParseClusterLabel reads name=value: a Prometheus label name that Pledge does not set itself
// (nor alertname, alertstate or a reserved __ name) and a non-empty value without "{{".
func ParseClusterLabel(s string) (ClusterLabel, error) {
	name, value, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return ClusterLabel{}, fmt.Errorf("%q: want name=value, e.g. cluster=eu-1", s)
	case !labelNameRE.MatchString(name) || strings.HasPrefix(name, "__"):
		return ClusterLabel{}, fmt.Errorf("%q: %q is not a Prometheus label name (letters, digits and _, not starting with a digit or __)", s, name)
	case slices.Contains(reserved, name) || name == "alertstate":
		return ClusterLabel{}, fmt.Errorf("%q: %q is a label Pledge or Prometheus sets itself; choose another name, e.g. cluster", s, name)
	case value == "":
		return ClusterLabel{}, fmt.Errorf("%q: the value must not be empty", s)
	case strings.Contains(value, "{{"):
		return ClusterLabel{}, fmt.Errorf("%q: the value must not contain \"{{\": Prometheus expands alert label values as templates", s)
	}
	return ClusterLabel{Name: name, Value: value}, nil
}

// matcher is the selector matcher ",name=\"value\"" that follows Pledge's own matchers, or ""
// without a cluster label.
func (c ClusterLabel) matcher() string {
	if c.Name == "" {
		return ""
	}
	return "," + c.Name + "=" + strconv.Quote(c.Value)
}

// Matcher is the cluster's selector matcher, name="value", or "" without a cluster label.
func (c ClusterLabel) Matcher() string { return strings.TrimPrefix(c.matcher(), ",") }

// CheckClusterLabel refuses an objective grouped by the cluster label's name
// (spec.objectives[i].groupBy[j]): the cluster label replaces that label on every recorded
// series, so the values would collide into one series and the rules would fail at every
// evaluation.
func CheckClusterLabel(spec *pledgev1.ServiceStandardSpec, c ClusterLabel) field.ErrorList {
	if c.Name == "" {
		return nil
	}
	var errs field.ErrorList
	for i, o := range spec.Objectives {
		for j, l := range o.GroupBy {
			if l == c.Name {
				errs = append(errs, field.Invalid(field.NewPath("spec", "objectives").Index(i).Child("groupBy").Index(j), l,
					"is the name of the manager's --cluster-label, which replaces it on every generated series: group by another label"))
			}
		}
	}
	return errs
}
