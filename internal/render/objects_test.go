package render_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pledge-dev/pledge/internal/render"
)

const escalatingStandard = `apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  objectives:
    - name: availability
      target: "99.9"
      ratio: {errors: 'errors_total{job="x"}', total: 'requests_total{job="x"}'}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: "http://pager.example.com/hook"}]}]
    informed:
      - name: status
        webhookConfigs: [{url: "http://status.example.com/hook"}]
`

func TestValidateObjectLabels(t *testing.T) {
	cases := map[string]struct {
		labels map[string]string
		want   string // substring of the error, "" for none
	}{
		"none":                {nil, ""},
		"release":             {map[string]string{"release": "kube-prometheus-stack"}, ""},
		"prefixed key":        {map[string]string{"example.com/team": "platform", "empty": ""}, ""},
		"managed-by is ours":  {map[string]string{render.LabelManagedBy: "argo"}, "app.kubernetes.io/managed-by: set by Pledge"},
		"standard is ours":    {map[string]string{render.LabelObjectStandard: "x"}, "pledge.dev/service-standard: set by Pledge"},
		"bad key":             {map[string]string{"no spaces": "x"}, `key "no spaces"`},
		"bad value":           {map[string]string{"release": "a/b"}, `release: value "a/b"`},
		"value too long":      {map[string]string{"release": strings.Repeat("x", 64)}, "must be no more than 63"},
		"every error is said": {map[string]string{"a b": "x", "c": "d/e"}, `key "a b"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := render.ValidateObjectLabels(tc.labels)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want no error, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestAddLabelsKeepsPledgeLabels(t *testing.T) {
	s := resolve(t, escalatingStandard)
	rule := s.PrometheusRule()
	render.AddLabels(rule, map[string]string{"release": "kps", render.LabelManagedBy: "someone-else"})
	want := map[string]string{"release": "kps", render.LabelManagedBy: render.ManagedByValue, render.LabelObjectStandard: "checkout"}
	if got := rule.GetLabels(); !mapsEqual(got, want) {
		t.Fatalf("labels %v, want %v", got, want)
	}
	var none metav1.ObjectMeta
	render.AddLabels(&none, nil)
	if none.Labels != nil {
		t.Fatalf("no platform labels must leave the labels alone, got %v", none.Labels)
	}
}

func TestRunningReceiverNames(t *testing.T) {
	s := resolve(t, escalatingStandard)
	got := s.RunningReceiverNames()
	amc, err := s.AlertmanagerConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(amc.Spec.Receivers) {
		t.Fatalf("%d receivers, want one per AlertmanagerConfig receiver (%d)", len(got), len(amc.Spec.Receivers))
	}
	for i, r := range amc.Spec.Receivers {
		want := []string{"shop/pledge-checkout/" + r.Name, r.Name}
		if strings.Join(got[i], ",") != strings.Join(want, ",") {
			t.Errorf("receiver %d: names %v, want %v", i, got[i], want)
		}
	}
	tier := s.ReceiverName("on-call")
	if want := "shop/pledge-checkout/" + tier + "," + tier; strings.Join(got[len(got)-1], ",") != want {
		t.Errorf("the tier receiver: %v, want %s", got, want)
	}
	quiet := resolve(t, strings.Split(escalatingStandard, "  escalation:")[0])
	if n := quiet.RunningReceiverNames(); n != nil {
		t.Errorf("a standard without escalation runs no receivers, got %v", n)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
