package render_test

import (
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

func TestResolveBudgetLeft(t *testing.T) {
	cases := map[string]struct {
		window     string // the spec's window line
		budgetLeft string // the alerting.budgetLeft value, "" for none
		want       []string
		errField   string // the field path of the expected error, "" for none
		warning    string
	}{
		"defaults":                {"window: 30d", "", []string{"25", "0"}, "", ""},
		"highest first":           {"window: 30d", `{thresholds: ["0", "50", "12.5"]}`, []string{"50", "12.5", "0"}, "", ""},
		"disabled":                {"window: 30d", `{disabled: true}`, nil, "", ""},
		"same value twice":        {"window: 30d", `{thresholds: ["25", "25.0"]}`, nil, "spec.alerting.budgetLeft.thresholds[1]", ""},
		"100 is no threshold":     {"window: 30d", `{thresholds: ["25", "100"]}`, nil, "spec.alerting.budgetLeft.thresholds[1]", ""},
		"not a decimal":           {"window: 30d", `{thresholds: ["1e1"]}`, nil, "spec.alerting.budgetLeft.thresholds[0]", ""},
		"calendar: none":          {"calendar: {period: month}", "", nil, "", ""},
		"calendar: said if asked": {"calendar: {period: month}", `{thresholds: ["50"]}`, nil, "", "spec.alerting.budgetLeft.thresholds: no budget-left alerts for a calendar window"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			doc := "metadata: {name: api, namespace: shop}\nspec:\n  service: api\n  " + tc.window + "\n" +
				"  objectives: [{name: availability, target: \"99.9\", bool: {selector: 'probe_success{job=\"api\"}'}}]\n"
			if tc.budgetLeft != "" {
				doc += "  alerting: {budgetLeft: " + tc.budgetLeft + "}\n"
			}
			var std pledgev1.ServiceStandard
			if err := yaml.UnmarshalStrict([]byte(doc), &std); err != nil {
				t.Fatal(err)
			}
			s, errs := render.Resolve(&std, nil)
			if tc.errField != "" {
				if len(errs) != 1 || errs[0].Field != tc.errField {
					t.Fatalf("errors %v, want one on %s", errs, tc.errField)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("resolve: %v", errs.ToAggregate())
			}
			if !slices.Equal(s.BudgetLeft, tc.want) {
				t.Errorf("thresholds %v, want %v", s.BudgetLeft, tc.want)
			}
			var alerts []string
			for _, g := range s.RuleGroups() {
				for _, r := range g.Rules {
					if r.Alert == render.AlertBudgetLow {
						alerts = append(alerts, g.Name+" "+r.Labels[render.LabelBudgetLeft])
					}
				}
			}
			if len(alerts) != len(tc.want) || (len(alerts) > 0 && !strings.HasSuffix(alerts[0], "/hourly "+tc.want[0])) {
				t.Errorf("budget-left rules %v, want one per threshold %v in the hourly group", alerts, tc.want)
			}
			if tc.warning != "" && !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.HasPrefix(w, tc.warning) }) {
				t.Errorf("warnings %v, want one starting %q", s.Warnings, tc.warning)
			}
		})
	}
}
