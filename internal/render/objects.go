package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels on every generated object.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue      = "pledge"
	LabelObjectStandard = "pledge.dev/service-standard"
)

// Unstructured is a generated object as a map, for a server-side apply and for YAML output:
// without the fields a typed object always carries but an applied or written object must not
// set (status, an empty creationTimestamp).
func Unstructured(obj any) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	return m, nil
}

// ObjectYAML is a generated object (Unstructured) as YAML, as sigs.k8s.io/yaml writes it
// (kubectl's layout: keys sorted, sequences not indented), without its JSON round trip: that
// library encodes JSON, parses it back with yaml.v2 and encodes that; the map goes to yaml.v2
// directly, which took a third off the prometheusrule format's time. The golden files and
// FuzzRender hold the two equal.
func ObjectYAML(obj any) ([]byte, error) {
	m, err := Unstructured(obj)
	if err != nil {
		return nil, err
	}
	return yamlv2.Marshal(m)
}

// ObjectName is the name of the PrometheusRule and AlertmanagerConfig generated for a standard.
func ObjectName(standard string) string { return "pledge-" + standard }

func (s *Standard) objectMeta() metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      ObjectName(s.Name),
		Namespace: s.Namespace,
		Labels:    map[string]string{LabelManagedBy: ManagedByValue, LabelObjectStandard: s.Name},
	}
}

// ValidateObjectLabels checks platform labels for generated objects: each key and value must
// be a valid Kubernetes label, and Pledge's own labels cannot be set.
func ValidateObjectLabels(labels map[string]string) error {
	var errs []string
	for _, k := range sortedKeys(labels) {
		if k == LabelManagedBy || k == LabelObjectStandard {
			errs = append(errs, fmt.Sprintf("%s: set by Pledge on every generated object, cannot be overridden", k))
			continue
		}
		for _, e := range validation.IsQualifiedName(k) {
			errs = append(errs, fmt.Sprintf("key %q: %s", k, e))
		}
		for _, e := range validation.IsValidLabelValue(labels[k]) {
			errs = append(errs, fmt.Sprintf("%s: value %q: %s", k, labels[k], e))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// AddLabels puts platform labels on a generated object, for example release=<name> so that
// kube-prometheus-stack's ruleSelector selects it. Pledge's own labels are kept as they are.
func AddLabels(obj metav1.Object, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	out := make(map[string]string, len(labels)+len(obj.GetLabels()))
	for k, v := range labels {
		out[k] = v
	}
	for k, v := range obj.GetLabels() {
		out[k] = v
	}
	obj.SetLabels(out)
}

// RunningReceiverNames lists, for each receiver of the standard's routing, the names it may
// carry in a running Alertmanager configuration: <namespace>/<AlertmanagerConfig name>/<receiver>
// as prometheus-operator writes the AlertmanagerConfig's receivers, and the receiver's own name
// as the plain format (AlertmanagerFile) writes it. Nil when the standard has no escalation.
func (s *Standard) RunningReceiverNames() [][]string {
	r := s.Routing()
	if r == nil {
		return nil
	}
	out := make([][]string, 0, len(r.Receivers))
	for _, rc := range r.Receivers {
		out = append(out, []string{s.Namespace + "/" + ObjectName(s.Name) + "/" + rc.Name, rc.Name})
	}
	return out
}

// PrometheusRule renders the standard's rules as a prometheus-operator PrometheusRule.
func (s *Standard) PrometheusRule() *monitoringv1.PrometheusRule {
	pr := &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: s.objectMeta(),
	}
	for _, g := range s.RuleGroups() {
		rg := monitoringv1.RuleGroup{Name: g.Name}
		if g.Interval > 0 {
			d := monitoringv1.Duration(promDuration(g.Interval))
			rg.Interval = &d
		}
		for _, r := range g.Rules {
			mr := monitoringv1.Rule{Record: r.Record, Alert: r.Alert, Expr: intstr.FromString(r.Expr), Labels: r.Labels, Annotations: r.Annotations}
			if r.For > 0 {
				d := monitoringv1.Duration(promDuration(r.For))
				mr.For = &d
			}
			if r.KeepFiringFor > 0 {
				d := monitoringv1.NonEmptyDuration(promDuration(r.KeepFiringFor))
				mr.KeepFiringFor = &d
			}
			rg.Rules = append(rg.Rules, mr)
		}
		pr.Spec.Groups = append(pr.Spec.Groups, rg)
	}
	return pr
}

// AlertmanagerConfig renders the standard's routing as a prometheus-operator
// AlertmanagerConfig, or nil when the standard has no escalation. The top route matches the
// namespace itself, as the plain format's does: under the Alertmanager's default matcher
// strategy (OnNamespace) prometheus-operator appends the same namespace="<namespace>" matcher
// (a repeat that changes nothing), and under strategy None nothing else would keep a standard
// of the same name in another namespace out.
func (s *Standard) AlertmanagerConfig() (*monitoringv1alpha1.AlertmanagerConfig, error) {
	r := s.Routing()
	if r == nil {
		return nil, nil
	}
	route, err := amcRoute(r.Route)
	if err != nil {
		return nil, err
	}
	route.GroupBy = r.GroupBy
	return &monitoringv1alpha1.AlertmanagerConfig{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1alpha1.SchemeGroupVersion.String(), Kind: monitoringv1alpha1.AlertmanagerConfigKind},
		ObjectMeta: s.objectMeta(),
		Spec: monitoringv1alpha1.AlertmanagerConfigSpec{
			Route:     route,
			Receivers: r.Receivers,
			InhibitRules: []monitoringv1alpha1.InhibitRule{{
				SourceMatch: amcMatchers(r.Inhibit.Source),
				TargetMatch: amcMatchers(r.Inhibit.Target),
				Equal:       r.Inhibit.Equal,
			}},
			MuteTimeIntervals: r.TimeIntervals,
		},
	}, nil
}

func amcMatchers(ms [][2]string) []monitoringv1alpha1.Matcher {
	out := make([]monitoringv1alpha1.Matcher, 0, len(ms))
	for _, m := range ms {
		out = append(out, monitoringv1alpha1.Matcher{Name: m[0], Value: m[1], MatchType: monitoringv1alpha1.MatchEqual})
	}
	return out
}

func amcRoute(r Route) (*monitoringv1alpha1.Route, error) {
	out := &monitoringv1alpha1.Route{
		Receiver: r.Receiver, Matchers: amcMatchers(r.Matchers), Continue: r.Continue,
		ActiveTimeIntervals: r.ActiveTimeIntervals,
	}
	if r.RepeatInterval > 0 {
		d := monitoringv1.NonEmptyDuration(promDuration(r.RepeatInterval))
		out.RepeatInterval = &d
	}
	for _, child := range r.Routes {
		c, err := amcRoute(child)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encoding route for %s: %w", child.Receiver, err)
		}
		out.Routes = append(out.Routes, apiextensionsv1.JSON{Raw: raw})
	}
	return out, nil
}

// matcherStrings writes equality matchers in Alertmanager's matcher syntax.
func matcherStrings(ms [][2]string) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m[0]+"="+strconv.Quote(m[1]))
	}
	return out
}
