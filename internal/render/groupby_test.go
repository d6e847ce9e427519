package render_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// groupedFile is the golden standard with grouped objectives. It is kept apart from
// testdata/standards, whose standards the dashboard package's golden files are built from.
const groupedFile = "testdata/grouped/grouped.yaml"

// TestGroupByGolden compares every format of the grouped standard with testdata/golden
// (refresh with -update, as TestGolden), and has the real promtool and amtool check them.
func TestGroupByGolden(t *testing.T) {
	out := renderAll(t, loadStandards(t, groupedFile))
	for format, got := range out {
		t.Run(format, func(t *testing.T) {
			golden := filepath.Join("testdata", "golden", "grouped."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the renderer's output; if the change is intended run with -update.\n%s", golden, firstDiff(string(want), string(got)))
			}
		})
	}
	t.Run("promtool", func(t *testing.T) {
		promtool := tool(t, "PROMTOOL")
		path := filepath.Join(t.TempDir(), "rules.yaml")
		if err := os.WriteFile(path, out["rules"], 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
			t.Fatalf("promtool check rules: %v\n%s", err, b)
		}
	})
	t.Run("amtool", func(t *testing.T) {
		amtool := tool(t, "AMTOOL")
		path := filepath.Join(t.TempDir(), "alertmanager.yml")
		if err := os.WriteFile(path, out["alertmanager"], 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(amtool, "check-config", path).CombinedOutput(); err != nil {
			t.Fatalf("amtool check-config: %v\n%s", err, b)
		}
	})
}

// TestGroupByValidate: each case groups an objective of the canonical sample in a way the
// renderer refuses, on the groupBy entry a user would have to edit.
func TestGroupByValidate(t *testing.T) {
	cases := map[string]struct {
		edits map[string]string
		field string
		msg   string
	}{
		"four labels":        {edits: map[string]string{"spec.objectives.0.groupBy": `[a, b, c, d]`}, field: "spec.objectives[0].groupBy", msg: "must have at most 3 items"},
		"a label twice":      {edits: map[string]string{"spec.objectives.0.groupBy": `[route, route]`}, field: "spec.objectives[0].groupBy[1]", msg: "Duplicate value"},
		"not a label name":   {edits: map[string]string{"spec.objectives.0.groupBy": `[route-name]`}, field: "spec.objectives[0].groupBy[0]", msg: "must be a label name"},
		"a __ label":         {edits: map[string]string{"spec.objectives.0.groupBy": `[__name__]`}, field: "spec.objectives[0].groupBy[0]", msg: "must be a label name"},
		"le":                 {edits: map[string]string{"spec.objectives.1.groupBy": `[route, le]`}, field: "spec.objectives[1].groupBy[1]", msg: "sets itself"},
		"a contract label":   {edits: map[string]string{"spec.objectives.0.groupBy": `[service]`}, field: "spec.objectives[0].groupBy[0]", msg: "sets itself"},
		"an alert label":     {edits: map[string]string{"spec.objectives.0.groupBy": `[severity]`}, field: "spec.objectives[0].groupBy[0]", msg: "sets itself"},
		"alertstate":         {edits: map[string]string{"spec.objectives.0.groupBy": `[alertstate]`}, field: "spec.objectives[0].groupBy[0]", msg: "sets itself"},
		"the graded label":   {edits: map[string]string{"spec.objectives.2.groupBy": `[priority]`}, field: "spec.objectives[2].groupBy[0]", msg: "graded label"},
		"set by alert label": {edits: map[string]string{"spec.objectives.0.groupBy": `[team]`, "spec.alerting.labels": `{team: payments}`}, field: "spec.objectives[0].groupBy[0]", msg: "spec.alerting.labels"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var std pledgev1.ServiceStandard
			vtPatch(t, vtBaseStandard, tc.edits, &std)
			_, errs := render.Resolve(&std, nil)
			if !slices.ContainsFunc(errs, func(e *field.Error) bool {
				return e.Field == tc.field && strings.Contains(e.Error(), tc.msg)
			}) {
				t.Errorf("want an error on %s saying %q; got:%s", tc.field, tc.msg, vtErrors(errs))
			}
		})
	}
}

// TestGroupByKeepsTheLabels: every indicator's recorded rates aggregate by the groupBy labels,
// and an objective without groupBy renders as before (its expressions hold no "by").
func TestGroupByKeepsTheLabels(t *testing.T) {
	for _, s := range loadStandards(t, groupedFile) {
		grouped := 0
		for _, o := range s.Objectives {
			by := "by (" + strings.Join(o.GroupBy, ", ") + ")"
			for what, expr := range map[string]string{"errors": o.ErrorsExpr, "events": o.EventsExpr} {
				sums := strings.Count(expr, "sum(") + strings.Count(expr, "sum by (")
				if len(o.GroupBy) == 0 {
					if strings.Contains(expr, " by (") {
						t.Errorf("%s %s: ungrouped objective aggregates by a label: %s", o.Name, what, expr)
					}
					continue
				}
				if sums == 0 || strings.Count(expr, "sum "+by) != sums {
					t.Errorf("%s %s: every sum must keep %v: %s", o.Name, what, o.GroupBy, expr)
				}
			}
			if len(o.GroupBy) > 0 {
				grouped++
			}
		}
		if grouped == 0 {
			t.Errorf("%s: no grouped objective in the grouped golden standard", s.Name)
		}
		for _, g := range s.RuleGroups() {
			for _, r := range g.Rules {
				if r.Alert == render.AlertEscalation && r.Labels[render.LabelObjective] == "availability" &&
					!strings.Contains(r.Expr, "and on (route)\ncount by (route) (ALERTS{") {
					t.Errorf("tier of a grouped objective must match its pages by route: %s", r.Expr)
				}
			}
		}
	}
}
