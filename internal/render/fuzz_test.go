package render_test

// Fuzzing: whatever a user writes, Resolve must not panic, and whatever Resolve accepts must
// render without panicking into rules that Prometheus itself accepts.

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

var fzParser = parser.NewParser(parser.Options{})

// fzCheckRendered renders a resolved standard in every form and fails when a rendered rule
// does not parse, or when Prometheus's rule-file loader (what promtool check rules runs)
// rejects the rule file.
func fzCheckRendered(t testing.TB, s *render.Standard) {
	t.Helper()
	fzRenderAll(t, s)
	fzLoadRules(t, s)
}

// fzCheckRenderedQuick is fzCheckRendered at a cost fit for fuzzing: every expression is
// parsed, but Prometheus's rule loader, which parses every annotation template and costs most,
// sees only the first objective and tier. The user's free text (service, runbook URL, alert
// labels) is in every alert; objective and tier names are validated to plain names.
func fzCheckRenderedQuick(t testing.TB, s *render.Standard) {
	t.Helper()
	fzRenderAll(t, s)
	small := *s
	small.Objectives = s.Objectives[:min(1, len(s.Objectives))]
	if s.Escalation != nil {
		esc := *s.Escalation
		esc.Tiers = esc.Tiers[:min(1, len(esc.Tiers))]
		small.Escalation = &esc
	}
	fzLoadRules(t, &small)
}

// fzLoadRules fails when Prometheus's rule-file loader rejects the standard's rule file.
func fzLoadRules(t testing.TB, s *render.Standard) {
	t.Helper()
	rules, err := render.RulesFile([]*render.Standard{s})
	if err != nil {
		t.Fatalf("RulesFile: %v", err)
	}
	if _, errs := rulefmt.Parse(rules, false, model.UTF8Validation, fzParser, promslog.NewNopLogger()); len(errs) > 0 {
		t.Fatalf("Prometheus rejects the rendered rule file: %v\n%s", errs, rules)
	}
}

// fzRenderAll renders every output and parses every rendered expression.
func fzRenderAll(t testing.TB, s *render.Standard) {
	t.Helper()
	groups := s.RuleGroups()
	for _, g := range groups {
		for _, r := range g.Rules {
			if _, err := fzParser.ParseExpr(r.Expr); err != nil {
				t.Fatalf("rendered rule %s%s of group %s does not parse: %v\n%s", r.Record, r.Alert, g.Name, err, r.Expr)
			}
		}
	}
	pr := s.PrometheusRule()
	if pr == nil {
		t.Fatal("PrometheusRule returned nil")
	}
	fzSameYAML(t, pr)
	if b, err := json.Marshal(pr); err != nil {
		t.Fatal(err)
	} else if bound := render.PrometheusRuleBound(s); bound < len(b) {
		t.Fatalf("the PrometheusRule's size bound %d is below its %d bytes", bound, len(b))
	}
	amc, err := s.AlertmanagerConfig()
	if err != nil {
		t.Fatalf("AlertmanagerConfig: %v", err)
	}
	if amc != nil {
		fzSameYAML(t, amc)
	}
	if _, err := render.RulesFile([]*render.Standard{s}); err != nil {
		t.Fatalf("RulesFile: %v", err)
	}
	// The plain format may refuse receivers it cannot express; that is an error, not a panic.
	_, _ = render.AlertmanagerFile([]*render.Standard{s}, render.SMTP{})
}

// fzSameYAML fails when render.ObjectYAML writes a generated object other than
// sigs.k8s.io/yaml writes its map (what kubectl and the CLI wrote before).
func fzSameYAML(t testing.TB, obj any) {
	t.Helper()
	got, err := render.ObjectYAML(obj)
	if err != nil {
		t.Fatalf("ObjectYAML: %v", err)
	}
	m, err := render.Unstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	want, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("ObjectYAML differs from sigs.k8s.io/yaml\n--- ObjectYAML:\n%s\n--- sigs.k8s.io/yaml:\n%s", got, want)
	}
}

// FuzzRender decodes, resolves and renders (the heavy target: Prometheus's rule loader runs
// on what is accepted).
func FuzzRender(f *testing.F) {
	fzSeeds(f)
	f.Fuzz(func(t *testing.T, stdDoc, policyDoc string) {
		for _, s := range fzResolve(t, stdDoc, policyDoc) {
			fzCheckRenderedQuick(t, s)
		}
	})
}

// FuzzDecodeValidate decodes and resolves only, and parses the recorded expressions of what is
// accepted: thousands of executions per second, so that it explores what users can write.
func FuzzDecodeValidate(f *testing.F) {
	fzSeeds(f)
	f.Fuzz(func(t *testing.T, stdDoc, policyDoc string) {
		for _, s := range fzResolve(t, stdDoc, policyDoc) {
			for _, o := range s.Objectives {
				for _, e := range []string{o.ErrorsExpr, o.EventsExpr, o.Presence} {
					if _, err := fzParser.ParseExpr(e); err != nil {
						t.Fatalf("objective %s: expression does not parse: %v\n%s", o.Name, err, e)
					}
				}
			}
		}
	})
}

// fzResolve decodes a standard and a policy as the API server's JSON would arrive, resolves
// the standard with and without the policy, checks that every error names its field, and
// returns what was accepted.
func fzResolve(t *testing.T, stdDoc, policyDoc string) []*render.Standard {
	var std pledgev1.ServiceStandard
	if err := yaml.Unmarshal([]byte(stdDoc), &std); err != nil {
		return nil
	}
	var policy *pledgev1.EscalationPolicy
	if policyDoc != "" {
		var p pledgev1.EscalationPolicy
		if err := yaml.Unmarshal([]byte(policyDoc), &p); err == nil {
			policy = &p
			_ = render.ValidatePolicy(policy.DeepCopy())
		}
	}
	var out []*render.Standard
	policies := []*pledgev1.EscalationPolicy{nil}
	if policy != nil {
		policies = append(policies, policy)
	}
	for _, p := range policies {
		var pc *pledgev1.EscalationPolicy
		if p != nil {
			pc = p.DeepCopy()
		}
		in := std.DeepCopy()
		s, errs := render.Resolve(in, render.Policies(pc))
		// The manager resolves the informer cache's own objects (its pollers do not copy them).
		if !equality.Semantic.DeepEqual(in, &std) || (p != nil && !equality.Semantic.DeepEqual(pc, p)) {
			t.Fatal("Resolve changed the standard or the policy it was given")
		}
		for _, e := range errs {
			if e.Field == "" {
				t.Errorf("error without a field path: %v", e)
			}
		}
		if len(errs) == 0 {
			out = append(out, s)
		}
	}
	return out
}

// fzSeeds adds the seed corpus shared by FuzzRender and FuzzDecodeValidate.
func fzSeeds(f *testing.F) {
	b, err := os.ReadFile("../../config/samples/pledge_v1alpha1_checkout.yaml")
	if err != nil {
		f.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	sampleStd, samplePolicy := docs[0], docs[len(docs)-1]

	f.Add(sampleStd, samplePolicy)
	f.Add(sampleStd, "")
	f.Add(vtBaseStandard, "")
	f.Add(vtBaseStandard, vtBasePolicy)
	grouped, err := os.ReadFile(groupedFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(grouped), "")
	f.Add(`
metadata: {name: probe}
spec:
  service: web
  calendar: {period: quarter, timeZone: Europe/Berlin}
  objectives:
    - {name: up, target: "99.5", bool: {selector: 'probe_success{job="web"}'}}
    - name: good
      target: "99.99"
      ratio: {good: 'http_requests_total{code!~"5.."}', total: http_requests_total}
  alerting:
    minEvents: 10
    labels: {team: web}
    windows:
      - {name: ticket, disabled: true}
      - {name: page-medium, severity: page, long: 3h, short: 15m, budgetPercent: "3.5"}
`, "")
	f.Add(`
metadata: {name: lat, namespace: ops}
spec:
  service: "ops {{ $value }}"
  window: 7d
  objectives:
    - name: lat
      target: "90"
      latency:
        histogram: '{__name__="job_duration_seconds",queue=~"a|b"}'
        graded: {label: prio, thresholds: {p1: 1.5s, p2: 1m30s, p3: 1w}}
  escalation:
    policyRef: {name: ops}
`, `
metadata: {name: ops, namespace: ops}
spec:
  tiers:
    - {name: first, after: 0s, receivers: [{name: a, slackConfigs: [{apiURL: {name: s, key: k}}]}]}
    - {name: second, after: 90m, repeatInterval: 4h, receivers: [{name: b, pagerdutyConfigs: [{routingKey: {name: pd, key: k}}]}]}
  tickets: [{name: jira, webhookConfigs: [{url: "http://jira"}]}]
`)
	// Broken ones.
	f.Add(`spec: {objectives: [{name: x, target: "100", ratio: {errors: "rate(x[5m])", total: x}}]}`, "")
	f.Add(`metadata: {name: x}
spec: {service: s, window: 1d, objectives: [{name: x, target: "1e2", latency: {histogram: "h_bucket{le=\"1\"}", threshold: 0s}}]}`, "")
	f.Add(`metadata: {name: x}
spec: {service: s, window: 2d, objectives: [{name: x, target: "99", bool: {selector: up}}], alerting: {windows: [{name: w, long: 5m, short: 5m}]}}`, "")
	f.Add(`metadata: {name: x}
spec: {service: s, objectives: [{name: x, target: "99", bool: {selector: up}}], escalation: {tiers: [{name: informed, after: 1d, receivers: [{name: r}]}], timeIntervals: [{name: ""}]}}`, "")
	f.Add(`metadata: {name: x}
spec: {service: s, calendar: {period: year, timeZone: "../../etc"}, objectives: [{name: x, target: "99", bool: {selector: "up offset 1m"}}]}`, "")
	f.Add(`metadata: {name: x}
spec: {service: s, objectives: [{name: x, target: "99", latency: {histogram: '{"my.metric", job="x"}', threshold: 1s}}]}`, "")
	f.Add(`metadata: {name: x, namespace: "a\"b{{"}
spec: {service: "s {{", objectives: [{name: x, target: "99", bool: {selector: up}}], alerting: {runbookURL: "https://x/{{", labels: {team: "{{ .X"}}}`, "")
	f.Add(`metadata: {name: x}
spec: {service: s, window: 100y, objectives: [{name: x, target: "99.999999999", latency: {histogram: 'h{a="\n\"\\{{",b=~".*"}', graded: {label: a, thresholds: {p1: 1y, p2: 1ms}}}}], alerting: {minEvents: 9223372036854775807}}`, "")
	f.Add(": : :", "\x00\xff")
	f.Add(`metadata: {name: x}
spec: {service: s, objectives: [{name: x, target: "99", sampleInterval: 10m, bool: {selector: up}}, {name: y, target: "99", sampleInterval: 16m, ratio: {errors: e, total: t}}], alerting: {keepFiringFor: 0s, noData: {after: 1m}}}`, "")
}

// FuzzStandardFields fuzzes the free-form fields of an otherwise valid standard, so that most
// inputs get past Resolve and exercise the renderers: selectors, durations, percentages,
// classes and the text Prometheus expands as templates.
func FuzzStandardFields(f *testing.F) {
	f.Add(`http_requests_total{code=~"5.."}`, `http_request_duration_seconds{job="x"}`, "300ms", "priority", "p1", "99.9", "30d", "2h", "10m", "3", "30m", "checkout", "https://runbooks.example.com/{{ $labels.objective }}")
	f.Add(`{"my.errors",job="x"}`, `{"my.metric"}`, "1y", "class_x", "a-b", "0.000000001", "1d", "1d", "5m", "99.999", "1.5h", "s", "http://x")
	f.Add(`x{a="\"\\\n"}`, `{__name__="h",le_x="1"}`, "1ms", "_", "0", "50", "1w", "23h55m", "6h", "0.1", "90s", "{{", "http://x/{{ if }}")
	f.Fuzz(func(t *testing.T, errors, histogram, threshold, label, class, target, window, long, short, budget, after, service, runbook string) {
		// Standards arrive as JSON or YAML, whose strings are valid UTF-8.
		for _, s := range []string{errors, histogram, threshold, label, class, target, window, long, short, budget, after, service, runbook} {
			if !utf8.ValidString(s) {
				return
			}
		}
		std := &pledgev1.ServiceStandard{}
		std.Name, std.Namespace = "fuzz", "ns"
		std.Spec = pledgev1.ServiceStandardSpec{
			Service: service,
			Window:  pledgev1.PromDuration(window),
			Objectives: []pledgev1.Objective{
				{Name: "ratio", Target: pledgev1.Percent(target), Ratio: &pledgev1.RatioIndicator{
					Errors: pledgev1.PromQLSelector(errors), Total: "requests_total"}},
				{Name: "good", Target: "99", Ratio: &pledgev1.RatioIndicator{
					Good: pledgev1.PromQLSelector(errors), Total: pledgev1.PromQLSelector(errors)}},
				{Name: "bool", Target: "99", Bool: &pledgev1.BoolIndicator{Selector: pledgev1.PromQLSelector(errors)}},
				{Name: "latency", Target: "99", Latency: &pledgev1.LatencyIndicator{
					Histogram: pledgev1.PromQLSelector(histogram), Threshold: pledgev1.PromDuration(threshold)}},
				{Name: "graded", Target: "95", Latency: &pledgev1.LatencyIndicator{
					Histogram: pledgev1.PromQLSelector(histogram),
					Graded: &pledgev1.GradedThresholds{Label: label, Thresholds: map[string]pledgev1.PromDuration{
						class: pledgev1.PromDuration(threshold), "zz": "1h"}}}},
			},
			Alerting: &pledgev1.Alerting{
				RunbookURL: runbook,
				Labels:     map[string]string{"team": runbook},
				MinEvents:  10,
				Windows: []pledgev1.BurnRateWindow{{Name: "extra", Severity: pledgev1.SeverityPage,
					Long: pledgev1.PromDuration(long), Short: pledgev1.PromDuration(short), BudgetPercent: pledgev1.Percent(budget)}},
			},
			Escalation: &pledgev1.Escalation{Tiers: []pledgev1.EscalationTier{
				{Name: "first", After: "0s", Receivers: []pledgev1.Receiver{{Receiver: monitoringv1alpha1.Receiver{Name: "a",
					WebhookConfigs: []monitoringv1alpha1.WebhookConfig{{URL: fzPtr("http://a")}}}}}},
				{Name: "second", After: pledgev1.GoDuration(after), RepeatInterval: pledgev1.GoDuration(after),
					Receivers: []pledgev1.Receiver{{Receiver: monitoringv1alpha1.Receiver{Name: "b",
						WebhookConfigs: []monitoringv1alpha1.WebhookConfig{{URL: fzPtr("http://b")}}}}}},
			}},
		}
		// Each part on its own as well, so that one bad field does not hide the others.
		for _, mut := range []func(*pledgev1.ServiceStandard){
			func(*pledgev1.ServiceStandard) {},
			func(s *pledgev1.ServiceStandard) { s.Spec.Objectives = s.Spec.Objectives[:1] },
			func(s *pledgev1.ServiceStandard) { s.Spec.Objectives = s.Spec.Objectives[3:] },
			func(s *pledgev1.ServiceStandard) {
				s.Spec.Objectives = s.Spec.Objectives[2:3]
				s.Spec.Window, s.Spec.Alerting.Windows = "", nil
			},
			func(s *pledgev1.ServiceStandard) {
				s.Spec.Objectives = s.Spec.Objectives[2:3]
				s.Spec.Service, s.Spec.Alerting.RunbookURL, s.Spec.Alerting.Labels = "s", "", nil
			},
		} {
			s := std.DeepCopy()
			mut(s)
			r, errs := render.Resolve(s, nil)
			if len(errs) > 0 {
				continue
			}
			fzCheckRenderedQuick(t, r)
		}
	})
}

func fzPtr[T any](v T) *T { return &v }
