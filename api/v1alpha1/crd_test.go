package v1alpha1_test

// The generated CRDs are checked with the API server's own code: the CRD validation that
// kube-apiserver runs on create (structural schema, CEL compilation and cost estimation), and
// the admission checks of a custom resource (OpenAPI schema, list-map keys, CEL rules), so the
// messages users see from kubectl apply are asserted here. The controller suites repeat the
// admission cases against a real API server.

import (
	"context"
	"os"
	"strings"
	"testing"

	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/pledge-dev/pledge/internal/schema"
)

type admission struct{ kind *schema.Kind }

// loadCRD takes a generated CRD as embedded in the pledge binary, checks it as kube-apiserver
// does on create, and prepares the admission checks of its custom resources.
func loadCRD(t *testing.T, kind string) *admission {
	t.Helper()
	kinds, err := schema.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	k := kinds[kind]
	if k == nil {
		t.Fatalf("no CRD for %s", kind)
	}
	if errs := apiextensionsvalidation.ValidateCustomResourceDefinition(context.Background(), k.CRD); len(errs) > 0 {
		t.Fatalf("the API server would refuse the %s CRD:\n%v", kind, errs.ToAggregate())
	}
	return &admission{kind: k}
}

// admit runs the admission checks on a YAML object and returns the errors.
func (a *admission) admit(t *testing.T, doc string) field.ErrorList {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	unknown, errs := a.kind.Admit(context.Background(), "v1alpha1", obj)
	for _, f := range unknown {
		errs = append(errs, field.Invalid(field.NewPath(f), nil, "unknown field"))
	}
	return errs
}

// mutation replaces one line of a sample; the error must name field and contain message.
type mutation struct{ from, to, field, message string }

// rejects checks that every mutation of sample is refused with the expected field and message.
func (a *admission) rejects(t *testing.T, sample string, cases map[string]mutation) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(sample, tc.from) {
				t.Fatalf("sample lacks %q", tc.from)
			}
			errs := a.admit(t, strings.Replace(sample, tc.from, tc.to, 1))
			for _, e := range errs {
				if e.Field == tc.field && strings.Contains(e.Error(), tc.message) {
					return
				}
			}
			t.Errorf("want an error on %s containing %q, got: %v", tc.field, tc.message, errs)
		})
	}
}

func samples(t *testing.T) (standard, policy string) {
	raw, err := os.ReadFile("../../config/samples/pledge_v1alpha1_checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(raw), "\n---\n")
	return docs[0], docs[1]
}

func TestServiceStandardAdmission(t *testing.T) {
	a := loadCRD(t, "ServiceStandard")
	sample, _ := samples(t)
	if errs := a.admit(t, sample); len(errs) > 0 {
		t.Fatalf("the canonical sample must be accepted as written: %v", errs.ToAggregate())
	}
	grouped := strings.Replace(sample, "- name: availability", "- name: availability\n      groupBy: [route, method, _zone]", 1)
	if errs := a.admit(t, grouped); len(errs) > 0 {
		t.Fatalf("an objective grouped by three labels must be accepted: %v", errs.ToAggregate())
	}
	// Each case replaces one line of the sample; the error must name the field and say why.
	cases := map[string]mutation{
		"target 100":                       {`target: "99.9"`, `target: "100"`, "spec.objectives[0].target", "strictly between 0 and 100"},
		"target 0":                         {`target: "99.9"`, `target: "0"`, "spec.objectives[0].target", "strictly between 0 and 100"},
		"target not a number":              {`target: "99.9"`, `target: "high"`, "spec.objectives[0].target", "should match"},
		"objective name not a label value": {`- name: availability`, `- name: Availability!`, "spec.objectives[0].name", "should match"},
		"duplicate objective names":        {`- name: response-time`, `- name: availability`, "spec.objectives[1]", "Duplicate value"},
		"two indicators":                   {"      ratio:\n", "      bool: {selector: up}\n      ratio:\n", "spec.objectives[0]", "set exactly one indicator"},
		"ratio with errors and good":       {"        total: http_requests_total{job=\"checkout\"}\n", "        total: http_requests_total{job=\"checkout\"}\n        good: x\n", "spec.objectives[0].ratio", "exactly one of errors or good"},
		"window not a duration":            {"window: 30d", "window: thirty", "spec.window", "should match"},
		"window zero":                      {"window: 30d", "window: 0d", "spec.window", "positive duration"},
		"window and calendar":              {"window: 30d", "window: 30d\n  calendar: {period: month}", "spec", "either window or calendar"},
		"calendar period":                  {"window: 30d", "calendar: {period: week}", "spec.calendar.period", "Unsupported value"},
		"threshold and graded":             {"threshold: 300ms", "threshold: 300ms\n        graded: {label: p, thresholds: {p1: 1h}}", "spec.objectives[1].latency", "exactly one of threshold or graded"},
		"graded class name":                {"thresholds: {p1: 4h, p2: 24h, p3: 72h}", "thresholds: {P1: 4h}", "spec.objectives[2].latency.graded.thresholds", "classes must be lower-case"},
		"graded target of no class":        {"thresholds: {p1: 4h, p2: 24h, p3: 72h}", "thresholds: {p1: 4h, p2: 24h, p3: 72h}\n          targets: {p1: \"99\", p4: \"90\"}", "spec.objectives[2].latency.graded.targets", "every class in targets needs a threshold"},
		"graded target 100":                {"thresholds: {p1: 4h, p2: 24h, p3: 72h}", "thresholds: {p1: 4h, p2: 24h, p3: 72h}\n          targets: {p1: \"100\"}", "spec.objectives[2].latency.graded.targets[p1]", "strictly between 0 and 100"},
		"graded target not a number":       {"thresholds: {p1: 4h, p2: 24h, p3: 72h}", "thresholds: {p1: 4h, p2: 24h, p3: 72h}\n          targets: {p1: high}", "spec.objectives[2].latency.graded.targets.p1", "should match"},
		"runbook not http":                 {"runbookURL: https://runbooks.example.com/checkout", "runbookURL: ftp://x", "spec.alerting.runbookURL", "should match"},
		"reserved alert label":             {"runbookURL: https://runbooks.example.com/checkout", "labels: {severity: low}", "spec.alerting.labels", "must not override"},
		"templated alert label value":      {"runbookURL: https://runbooks.example.com/checkout", "labels: {burn: '{{ $value }}'}", "spec.alerting.labels", "must not hold template braces"},
		"template query in a label value":  {"runbookURL: https://runbooks.example.com/checkout", `labels: {team: '{{ with query "up" }}x{{ end }}'}`, "spec.alerting.labels", "must not hold template braces"},
		"policyRef and tiers":              {"policyRef: {name: payments}", "policyRef: {name: payments}\n    tiers: [{name: a, after: 0m, receivers: [{name: r}]}]", "spec.escalation", "either policyRef or tiers"},
		"inline tiers out of order": {"policyRef: {name: payments}",
			"tiers:\n      - {name: a, after: 1h, receivers: [{name: r}]}\n      - {name: b, after: 30m, receivers: [{name: s}]}",
			"spec.escalation", "increase strictly"},
		"budget threshold of 100": {"runbookURL: https://runbooks.example.com/checkout", `budgetLeft: {thresholds: ["100"]}`, "spec.alerting.budgetLeft.thresholds[0]", "should match"},
		"budget threshold twice":  {"runbookURL: https://runbooks.example.com/checkout", `budgetLeft: {thresholds: ["25", "25"]}`, "spec.alerting.budgetLeft.thresholds[1]", "Duplicate value"},
		"budget label reserved":   {"runbookURL: https://runbooks.example.com/checkout", "labels: {budget_left_threshold: x}", "spec.alerting.labels", "must not override"},
		"unknown severity":        {"runbookURL: https://runbooks.example.com/checkout", "windows: [{name: x, severity: urgent}]", "spec.alerting.windows[0].severity", "Unsupported value"},
		"groupBy le":              {"- name: availability", "- name: availability\n      groupBy: [route, le]", "spec.objectives[0].groupBy", "must not name le"},
		"groupBy reserved label":  {"- name: availability", "- name: availability\n      groupBy: [objective]", "spec.objectives[0].groupBy", "a label Pledge sets itself"},
		"groupBy __ label":        {"- name: availability", "- name: availability\n      groupBy: [__name__]", "spec.objectives[0].groupBy", "a __ label"},
		"groupBy four labels":     {"- name: availability", "- name: availability\n      groupBy: [a, b, c, d]", "spec.objectives[0].groupBy", "at most 3 items"},
		"groupBy not a label":     {"- name: availability", "- name: availability\n      groupBy: [route-name]", "spec.objectives[0].groupBy[0]", "should match"},
		"groupBy twice":           {"- name: availability", "- name: availability\n      groupBy: [route, route]", "spec.objectives[0].groupBy[1]", "Duplicate value"},
	}
	a.rejects(t, sample, cases)
}

// maxCRDBytes is what `kubectl apply` without --server-side can store: it keeps the whole object
// in the kubectl.kubernetes.io/last-applied-configuration annotation, and all annotations of
// an object together are limited to 256 KiB. The API server's own limit (about 1.5 MB) is
// further away.
const maxCRDBytes = 256 << 10

func TestCRDsFitClientSideApply(t *testing.T) {
	for _, file := range []string{"pledge.dev_servicestandards.yaml", "pledge.dev_escalationpolicies.yaml"} {
		raw, err := os.ReadFile("../../config/crd/bases/" + file)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes of JSON", file, len(js))
		// Half the limit: the CRDs grow with the API, and the annotation holds the JSON.
		if len(js) > maxCRDBytes/2 {
			t.Errorf("%s is %d bytes of JSON, above %d: kubectl apply (client-side) would come close to failing on it", file, len(js), maxCRDBytes/2)
		}
	}
}

func TestEscalationPolicyAdmission(t *testing.T) {
	a := loadCRD(t, "EscalationPolicy")
	_, sample := samples(t)
	if errs := a.admit(t, sample); len(errs) > 0 {
		t.Fatalf("the canonical policy must be accepted as written: %v", errs.ToAggregate())
	}
	cases := map[string]mutation{
		"delays not increasing": {"after: 30m", "after: 0m", "spec", "must be distinct"},
		"delays decreasing":     {"after: 2h", "after: 10m", "spec", "increase strictly"},
		"delay not a duration":  {"after: 30m", "after: 1d", "spec.tiers[1].after", "should match"},
		"tier without receivers": {"      receivers:\n        - name: lead\n          webhookConfigs: [{url: \"http://lead.example.com/hook\"}]",
			"      receivers: []", "spec.tiers[1].receivers", "should have at least 1 items"},
		"receiver without name": {"        - name: lead\n", "        - webhookConfigs: []\n", "spec.tiers[1].receivers[0].name", "Required value"},
		"duplicate receiver names": {"        - name: lead\n          webhookConfigs: [{url: \"http://lead.example.com/hook\"}]",
			"        - name: lead\n          webhookConfigs: [{url: \"http://lead.example.com/hook\"}]\n        - name: lead", "spec.tiers[1].receivers", "unique within the tier"},
		"tier name": {"- name: team-lead", "- name: Team Lead", "spec.tiers[1].name", "should match"},
		// Receivers are typed from prometheus-operator's Go type two objects deep.
		"slack URL where a secret reference belongs": {`webhookConfigs: [{url: "http://lead.example.com/hook"}]`,
			`slackConfigs: [{apiURL: "https://hooks.slack.example/T0/B0/x"}]`, "spec.tiers[1].receivers[0].slackConfigs[0].apiURL", "must be of type object"},
		"receiver flag not a boolean": {`webhookConfigs: [{url: "http://status.example.com/hook"}]`,
			`webhookConfigs: [{url: "http://status.example.com/hook", sendResolved: "yes"}]`, "spec.informed[0].webhookConfigs[0].sendResolved", "must be of type boolean"},
	}
	a.rejects(t, sample, cases)
}
