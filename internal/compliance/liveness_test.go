package compliance_test

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

const liveStandard = `apiVersion: pledge.dev/v1alpha1
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
`

func resolved(t *testing.T, doc string) *render.Standard {
	t.Helper()
	var std pledgev1.ServiceStandard
	if err := yaml.UnmarshalStrict([]byte(doc), &std); err != nil {
		t.Fatal(err)
	}
	s, errs := render.Resolve(&std, nil)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return s
}

func TestRulesLoaded(t *testing.T) {
	s := resolved(t, liveStandard)
	want := compliance.WantLive(s)
	if len(want.Groups) != len(s.RuleGroups()) || len(want.Groups) != 3 {
		t.Fatalf("groups %v: want every rendered group (main, 5m tiles, hourly)", want.Groups)
	}
	main, tiles, hourly := want.Groups[0], want.Groups[1], want.Groups[2]
	all := map[string]bool{main: true, tiles: true, hourly: true, "other/group": true}
	// Receivers as prometheus-operator names them, and as the plain format does.
	operator, plain := map[string]bool{}, map[string]bool{}
	for _, names := range want.Receivers {
		operator[names[0]] = true
		plain[names[len(names)-1]] = true
	}
	tier := s.ReceiverName("on-call")
	const grace = 3 * time.Minute
	cases := map[string]struct {
		running    compliance.Running
		missingFor time.Duration
		status     metav1.ConditionStatus
		reason     string
		msg        []string // substrings of the message
	}{
		"all loaded, Alertmanager not checked": {compliance.Running{Groups: all}, 0,
			metav1.ConditionTrue, pledgev1.ReasonLoaded, []string{"Prometheus loaded " + main + ", " + tiles + ", " + hourly, "Alertmanager not checked"}},
		"all loaded, receivers as prometheus-operator names them": {compliance.Running{Groups: all, Receivers: operator}, 0,
			metav1.ConditionTrue, pledgev1.ReasonLoaded, []string{"Alertmanager runs the standard's"}},
		"all loaded, receivers as the plain format names them": {compliance.Running{Groups: all, Receivers: plain}, 0,
			metav1.ConditionTrue, pledgev1.ReasonLoaded, nil},
		"a group missing within the grace period": {compliance.Running{Groups: map[string]bool{main: true, tiles: true}}, time.Minute,
			metav1.ConditionUnknown, pledgev1.ReasonLoadPending, []string{"Waiting up to 3m0s", "no Prometheus loaded group " + hourly}},
		"no group after the grace period": {compliance.Running{Groups: map[string]bool{"other/group": true}}, grace,
			metav1.ConditionFalse, pledgev1.ReasonNotLoaded, []string{"no Prometheus loaded group " + main + ", " + tiles + ", " + hourly, "ruleSelector / ruleNamespaceSelector", "release=<release name>"}},
		"nothing loaded at all": {compliance.Running{}, time.Hour,
			metav1.ConditionFalse, pledgev1.ReasonNotLoaded, []string{"no Prometheus loaded group " + main}},
		"receivers missing": {compliance.Running{Groups: all, Receivers: map[string]bool{"shop/pledge-checkout/someone-else": true}}, grace,
			metav1.ConditionFalse, pledgev1.ReasonNotLoaded, []string{"lacks receiver ", ", " + tier + " (as written", "alertmanagerConfigSelector / alertmanagerConfigNamespaceSelector"}},
		"groups and receivers missing": {compliance.Running{Groups: map[string]bool{}, Receivers: map[string]bool{}}, grace,
			metav1.ConditionFalse, pledgev1.ReasonNotLoaded, []string{"no Prometheus loaded group", "lacks receiver"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, reason, msg := tc.running.RulesLoaded(want, tc.missingFor, grace)
			if status != tc.status || reason != tc.reason {
				t.Fatalf("got %s/%s (%s), want %s/%s", status, reason, msg, tc.status, tc.reason)
			}
			for _, m := range tc.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("message %q lacks %q", msg, m)
				}
			}
		})
	}
}

func TestWantLiveWithoutEscalation(t *testing.T) {
	s := resolved(t, strings.Split(liveStandard, "  escalation:")[0])
	want := compliance.WantLive(s)
	if want.Receivers != nil {
		t.Fatalf("receivers %v: a standard without escalation has none", want.Receivers)
	}
	running := compliance.Running{Groups: map[string]bool{}, Receivers: map[string]bool{}}
	for _, g := range want.Groups {
		running.Groups[g] = true
	}
	if status, _, msg := running.RulesLoaded(want, 0, time.Minute); status != metav1.ConditionTrue {
		t.Fatalf("got %s (%s): an empty Alertmanager is enough for a standard that routes nothing", status, msg)
	}
}
