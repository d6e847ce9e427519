package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliSample = "../../config/samples/pledge_v1alpha1_checkout.yaml"

// cliRun runs the CLI as the binary would, with stdin as given.
func cliRun(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code = run(args, stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

// cliSampleDocs returns the sample's standard and policy documents.
func cliSampleDocs(t *testing.T) (std, policy string) {
	t.Helper()
	b, err := os.ReadFile(cliSample)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("sample has %d documents, want 2", len(docs))
	}
	return docs[0] + "\n", docs[1] + "\n"
}

// cliWrite writes files into a fresh directory and returns it.
func cliWrite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cliLines splits output into non-empty lines.
func cliLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestRenderSampleFormats(t *testing.T) {
	cases := map[string]struct {
		format string
		want   []string
	}{
		"prometheusrule": {format: "prometheusrule", want: []string{
			"apiVersion: monitoring.coreos.com/v1", "kind: PrometheusRule", "name: pledge-checkout", "namespace: shop",
			"record: pledge:objective_errors:rate5m", "alert: PledgeErrorBudgetBurn", "alert: PledgeEscalation",
			"objective: incident-resolution-p3", "runbook_url: https://runbooks.example.com/checkout",
		}},
		"rules": {format: "rules", want: []string{
			"groups:", "name: pledge/shop/checkout", "record: pledge:objective_events:rate5m", "escalation_tier:",
		}},
		"alertmanagerconfig": {format: "alertmanagerconfig", want: []string{
			"apiVersion: monitoring.coreos.com/v1alpha1", "kind: AlertmanagerConfig", "route:", "receivers:",
			"shop/checkout/on-call", "shop/checkout/informed", "http://pager.example.com/hook", "business-hours",
		}},
		"alertmanager": {format: "alertmanager", want: []string{
			"route:", "receivers:", "time_intervals:", "inhibit_rules:", "webhook_configs:", "email_configs:",
			"shop/checkout/head-of-department",
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := cliRun(t, nil, "render", "-f", cliSample, "--format", tc.format)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			if strings.TrimSpace(out) == "" {
				t.Fatal("no output")
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if strings.Contains(out, "creationTimestamp") {
				t.Error("output carries creationTimestamp")
			}
		})
	}
}

func TestRenderDefaultFormatIsPrometheusRule(t *testing.T) {
	code, out, errOut := cliRun(t, nil, "render", "-f", cliSample)
	if code != 0 || !strings.Contains(out, "kind: PrometheusRule") {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
}

func TestRenderOutputDir(t *testing.T) {
	cases := map[string]struct {
		format string
		file   string
		marker string
	}{
		"prometheusrule":     {"prometheusrule", "shop_checkout.prometheusrule.yaml", "kind: PrometheusRule"},
		"rules":              {"rules", "rules.yaml", "groups:"},
		"alertmanagerconfig": {"alertmanagerconfig", "shop_checkout.alertmanagerconfig.yaml", "kind: AlertmanagerConfig"},
		"alertmanager":       {"alertmanager", "alertmanager.yaml", "route:"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out", "nested")
			code, out, errOut := cliRun(t, nil, "render", "-f", cliSample, "--format", tc.format, "-o", dir)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			if out != "" {
				t.Errorf("stdout not empty with -o:\n%s", out)
			}
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatalf("file not written: %v", err)
			}
			if !strings.Contains(string(b), tc.marker) {
				t.Errorf("%s lacks %q", tc.file, tc.marker)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("%d files written, want 1", len(entries))
			}
		})
	}
}

// TestRenderOutputDirKeepsEveryStandard: a-b/c and a/b-c each get their own file (with '-'
// joining namespace and name, both were a-b-c and one was lost).
func TestRenderOutputDirKeepsEveryStandard(t *testing.T) {
	std, policy := cliSampleDocs(t)
	rename := func(doc, namespace, name string) string {
		doc = strings.Replace(doc, "namespace: shop", "namespace: "+namespace, 1)
		return strings.Replace(doc, "name: checkout", "name: "+name, 1)
	}
	in := cliWrite(t, map[string]string{"standards.yaml": strings.Join([]string{
		rename(std, "a-b", "c"), strings.Replace(policy, "namespace: shop", "namespace: a-b", 1),
		rename(std, "a", "b-c"), strings.Replace(policy, "namespace: shop", "namespace: a", 1),
	}, "---\n")})
	for _, format := range []string{"prometheusrule", "alertmanagerconfig"} {
		dir := t.TempDir()
		if code, _, errOut := cliRun(t, nil, "render", "-f", in, "--format", format, "-o", dir); code != 0 {
			t.Fatalf("%s: exit %d, stderr:\n%s", format, code, errOut)
		}
		for _, want := range []string{"a-b_c." + format + ".yaml", "a_b-c." + format + ".yaml"} {
			if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
				t.Errorf("%s: %v", format, err)
			}
		}
	}
}

func TestValidateSample(t *testing.T) {
	code, out, errOut := cliRun(t, nil, "validate", "-f", cliSample)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "1 standard(s) valid") {
		t.Errorf("stdout = %q", out)
	}
	// The sample's time interval has times: the UTC warning, and nothing else.
	for _, l := range cliLines(errOut) {
		if !strings.HasPrefix(l, "warning: ") {
			t.Errorf("unexpected stderr line %q", l)
		}
	}
}

const cliBrokenStandards = `# three broken standards and one good one
apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: first, namespace: shop}
spec:
  service: first
  objectives:
    - name: availability
      target: "0"
      ratio: {errors: 'errors_total', total: 'requests_total'}
---
---
apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: second}
spec:
  service: second
  window: 30d
  objectives:
    - name: latency
      target: "99"
      latency: {histogram: 'latency_seconds{job="x"}', threshold: 1s}
  escalation:
    tiers:
      - {name: a, after: 10m, receivers: [{name: r, webhookConfigs: [{url: "http://a"}]}]}
      - {name: b, after: 5m, receivers: [{name: r, webhookConfigs: [{url: "http://b"}]}]}
---
apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: third, namespace: shop}
spec:
  service: third
  objectives: [{name: up, target: "99", bool: {selector: up}}]
---
# passes the CRD, fails Pledge's deeper checks
apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: fourth, namespace: shop}
spec:
  service: fourth
  objectives:
    - name: latency
      target: "99"
      latency: {histogram: 'latency_seconds_bucket{job="x"}', threshold: 1s}
`

func TestValidateReportsOneLinePerProblem(t *testing.T) {
	dir := cliWrite(t, map[string]string{"broken.yaml": cliBrokenStandards})
	file := filepath.Join(dir, "broken.yaml")
	code, out, errOut := cliRun(t, nil, "validate", "-f", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	want := []struct{ resource, field string }{
		{"ServiceStandard shop/first", "spec.objectives[0].target"},
		{"ServiceStandard default/second", "spec.escalation"},
		{"ServiceStandard shop/fourth", "spec.objectives[0].latency.histogram"},
	}
	lines := cliLines(errOut)
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), errOut)
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, file+": "+w.resource+": "+w.field+": ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no line %q: %q: %q: reason; got:\n%s", file, w.resource, w.field, errOut)
		}
	}
	if strings.Contains(errOut, "third") {
		t.Errorf("the valid standard is reported:\n%s", errOut)
	}
	// render refuses the same input the same way.
	code, out, errOut2 := cliRun(t, nil, "render", "-f", file, "--format", "rules")
	if code != 1 || out != "" || errOut2 != errOut {
		t.Errorf("render: exit %d, stdout %q, stderr:\n%s", code, out, errOut2)
	}
}

func TestValidateUnknownField(t *testing.T) {
	std, policy := cliSampleDocs(t)
	broken := strings.Replace(std, `target: "99.9"`, `target: "99.9"`+"\n      tragte: \"99\"", 1)
	broken = strings.Replace(broken, "  alerting:\n", "  alerting:\n    labelz: {team: x}\n", 1)
	if broken == std {
		t.Fatal("sample changed: cannot inject the unknown field")
	}
	dir := cliWrite(t, map[string]string{"std.yaml": broken, "policy.yaml": policy})
	code, _, errOut := cliRun(t, nil, "validate", "-f", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	for _, f := range []string{"spec.objectives[0].tragte", "spec.alerting.labelz"} {
		want := filepath.Join(dir, "std.yaml") + ": ServiceStandard shop/checkout: " + f + ": unknown field"
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestUnknownKindsAreSkipped(t *testing.T) {
	std, policy := cliSampleDocs(t)
	input := `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {a: b}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: other}
spec: {groups: []}
---
apiVersion: pledge.dev/v1alpha1
kind: ServiceLevel
metadata: {name: future, namespace: shop}
---
` + std + "---\n" + policy
	dir := cliWrite(t, map[string]string{"mixed.yaml": input})
	for _, args := range [][]string{
		{"validate", "-f", filepath.Join(dir, "mixed.yaml")},
		{"render", "-f", filepath.Join(dir, "mixed.yaml"), "--format", "alertmanager"},
	} {
		code, out, errOut := cliRun(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr:\n%s", args, code, errOut)
		}
		if out == "" {
			t.Errorf("%v: no output", args)
		}
		for _, w := range []string{"ConfigMap shop/settings", "PrometheusRule default/other", "ServiceLevel shop/future"} {
			found := false
			for _, l := range cliLines(errOut) {
				if strings.HasPrefix(l, "warning: ") && strings.Contains(l, w) {
					found = true
				}
			}
			if !found {
				t.Errorf("%v: no warning line about %s:\n%s", args, w, errOut)
			}
		}
	}
}

func TestPolicyInAnotherFile(t *testing.T) {
	std, policy := cliSampleDocs(t)
	dir := cliWrite(t, map[string]string{"std.yaml": std, "policy.yaml": policy})
	code, out, errOut := cliRun(t, nil, "render", "-f", filepath.Join(dir, "std.yaml"), "-f", filepath.Join(dir, "policy.yaml"),
		"--format", "alertmanagerconfig")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, w := range []string{"kind: AlertmanagerConfig", "http://lead.example.com/hook", "head@example.com"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
}

func TestMissingPolicy(t *testing.T) {
	std, _ := cliSampleDocs(t)
	dir := cliWrite(t, map[string]string{"std.yaml": std})
	file := filepath.Join(dir, "std.yaml")
	for _, cmd := range []string{"validate", "render"} {
		code, out, errOut := cliRun(t, nil, cmd, "-f", file)
		if code != 1 {
			t.Fatalf("%s: exit %d, want 1; stderr:\n%s", cmd, code, errOut)
		}
		if out != "" {
			t.Errorf("%s: stdout not empty: %q", cmd, out)
		}
		want := file + ": ServiceStandard shop/checkout: spec.escalation.policyRef.name: "
		if !strings.Contains(errOut, want) || !strings.Contains(errOut, "payments") {
			t.Errorf("%s: stderr lacks %q naming payments:\n%s", cmd, want, errOut)
		}
	}
}

func TestPolicyInOtherNamespaceIsNotFound(t *testing.T) {
	std, policy := cliSampleDocs(t)
	policy = strings.Replace(policy, "namespace: shop", "namespace: billing", 1)
	dir := cliWrite(t, map[string]string{"all.yaml": std + "---\n" + policy})
	code, _, errOut := cliRun(t, nil, "validate", "-f", dir)
	if code != 1 || !strings.Contains(errOut, "spec.escalation.policyRef.name") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

func TestBadFormat(t *testing.T) {
	code, out, errOut := cliRun(t, nil, "render", "-f", cliSample, "--format", "yaml")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if out != "" || !strings.Contains(errOut, "--format") {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"no -f":           {"render", "--format", "rules"},
		"validate no -f":  {"validate"},
		"unknown flag":    {"render", "-f", cliSample, "--bogus"},
		"unknown command": {"frobnicate"},
		"extra argument":  {"validate", "-f", cliSample, "extra"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := cliRun(t, nil, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			if errOut == "" {
				t.Error("no message on stderr")
			}
		})
	}
}

func TestStdin(t *testing.T) {
	b, err := os.ReadFile(cliSample)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cliRun(t, bytes.NewReader(b), "render", "-f", "-", "--format", "rules")
	if code != 0 || !strings.Contains(out, "groups:") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	// Standard on stdin, policy from a file.
	std, policy := cliSampleDocs(t)
	dir := cliWrite(t, map[string]string{"policy.yaml": policy})
	code, out, errOut = cliRun(t, strings.NewReader(std), "validate", "-f", "-", "-f", filepath.Join(dir, "policy.yaml"))
	if code != 0 || !strings.Contains(out, "1 standard(s) valid") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	// Problems on stdin are reported against "-".
	code, _, errOut = cliRun(t, strings.NewReader(std), "validate", "-f", "-")
	if code != 1 || !strings.HasPrefix(errOut, "-: ServiceStandard shop/checkout: spec.escalation.policyRef.name") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

func TestDirectory(t *testing.T) {
	std, policy := cliSampleDocs(t)
	dir := cliWrite(t, map[string]string{
		"standards/checkout.yaml": std,
		"policies/payments.yml":   policy,
		"README.md":               "# not read\n: : :\n",
		"notes.txt":               "\x00\x01",
	})
	code, out, errOut := cliRun(t, nil, "render", "-f", dir, "--format", "alertmanager")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "shop/checkout/on-call") {
		t.Errorf("routing of the standard missing:\n%s", out)
	}
	code, out, _ = cliRun(t, nil, "validate", "-f", dir)
	if code != 0 || !strings.Contains(out, "1 standard(s) valid") {
		t.Errorf("validate: exit %d, stdout %q", code, out)
	}
}

func TestUnreadableInputs(t *testing.T) {
	dir := cliWrite(t, map[string]string{
		"binary.yaml":  "\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n\x00\x00",
		"colons.yaml":  ": : :",
		"list.yaml":    "- a\n- b\n",
		"scalar.yaml":  "just a string\n",
		"nokind.yaml":  "apiVersion: pledge.dev/v1alpha1\nmetadata: {name: x}\n",
		"badspec.yaml": "apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\nmetadata: {name: x}\nspec: [1, 2]\n",
		"badtype.yaml": "apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\nmetadata: {name: x}\nspec: {objectives: {a: 1}}\n",
		"tabs.yaml":    "apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\n\tmetadata: {}\n",
		"empty/.keep":  "",
	})
	cases := map[string]struct {
		args  []string
		stdin string
	}{
		"binary bytes":        {args: []string{"-f", filepath.Join(dir, "binary.yaml")}},
		"colons":              {args: []string{"-f", filepath.Join(dir, "colons.yaml")}},
		"colons on stdin":     {args: []string{"-f", "-"}, stdin: ": : :"},
		"binary on stdin":     {args: []string{"-f", "-"}, stdin: "\xff\xfe\x00garbage\x00"},
		"a list":              {args: []string{"-f", filepath.Join(dir, "list.yaml")}},
		"a scalar":            {args: []string{"-f", filepath.Join(dir, "scalar.yaml")}},
		"no kind":             {args: []string{"-f", filepath.Join(dir, "nokind.yaml")}},
		"spec is a list":      {args: []string{"-f", filepath.Join(dir, "badspec.yaml")}},
		"objectives a map":    {args: []string{"-f", filepath.Join(dir, "badtype.yaml")}},
		"tabs":                {args: []string{"-f", filepath.Join(dir, "tabs.yaml")}},
		"missing file":        {args: []string{"-f", filepath.Join(dir, "nope.yaml")}},
		"directory w/o yaml":  {args: []string{"-f", filepath.Join(dir, "empty")}},
		"whole dir of broken": {args: []string{"-f", dir}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, cmd := range [][]string{{"validate"}, {"render", "--format", "rules"}} {
				code, out, errOut := cliRun(t, strings.NewReader(tc.stdin), append(cmd, tc.args...)...)
				if code != 1 {
					t.Errorf("%s: exit %d, want 1; stdout %q; stderr:\n%s", cmd[0], code, out, errOut)
				}
				if strings.TrimSpace(errOut) == "" {
					t.Errorf("%s: no problem reported", cmd[0])
				}
			}
		})
	}
}

func TestInputWithoutStandardFails(t *testing.T) {
	_, policy := cliSampleDocs(t)
	dir := cliWrite(t, map[string]string{
		"empty.yaml":  "# nothing yet\n---\n\n---\n",
		"policy.yaml": policy,
		"other.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
	})
	for _, f := range []string{"empty.yaml", "policy.yaml", "other.yaml"} {
		for _, cmd := range [][]string{{"validate"}, {"render", "--format", "rules"}} {
			file := filepath.Join(dir, f)
			code, out, errOut := cliRun(t, nil, append(cmd, "-f", file)...)
			if code != 1 || out != "" || !strings.Contains(errOut, file+": the input holds no ServiceStandard") {
				t.Errorf("%s %s: exit %d, stdout %q, stderr:\n%s", cmd[0], f, code, out, errOut)
			}
		}
	}
}

func TestUnservedVersionFails(t *testing.T) {
	std, policy := cliSampleDocs(t)
	cases := map[string]struct{ input, resource string }{
		"standard": {strings.Replace(std, "pledge.dev/v1alpha1", "pledge.dev/v9", 1) + "---\n" + policy, "ServiceStandard shop/checkout"},
		"policy":   {std + "---\n" + strings.Replace(policy, "pledge.dev/v1alpha1", "pledge.dev/v2", 1), "EscalationPolicy shop/payments"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := cliWrite(t, map[string]string{"in.yaml": tc.input})
			file := filepath.Join(dir, "in.yaml")
			code, _, errOut := cliRun(t, nil, "validate", "-f", file)
			want := file + ": " + tc.resource + ": apiVersion: "
			if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "pledge.dev/v1alpha1") {
				t.Errorf("exit %d, want 1 and %q naming the served version; stderr:\n%s", code, want, errOut)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cliRun(t, nil, "version")
	if code != 0 || strings.TrimSpace(out) != version {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}

// TestRenderOutputDirStaleFiles: a standard's file left in -o DIR by an earlier run, for a
// standard the input no longer holds, is named in a warning (and kept), or removed with
// --prune; files that are not a standard's file of the format are never touched.
func TestRenderOutputDirStaleFiles(t *testing.T) {
	std, policy := cliSampleDocs(t)
	other := strings.Replace(std, "name: checkout\n", "name: basket\n", 1)
	both := cliWrite(t, map[string]string{"in.yaml": std + "---\n" + other + "---\n" + policy})
	one := cliWrite(t, map[string]string{"in.yaml": std + "---\n" + policy})
	for _, format := range []string{"prometheusrule", "alertmanagerconfig", "grafana"} {
		t.Run(format, func(t *testing.T) {
			ext := "." + format + ".yaml"
			if format == "grafana" {
				ext = ".grafana.json"
			}
			dir := cliWrite(t, map[string]string{
				"README.md": "mine", "notes" + ext: "mine", "shop_checkout.rules.yaml": "mine", "sub/shop_old" + ext: "mine",
			})
			if code, _, errOut := cliRun(t, nil, "render", "-f", both, "--format", format, "-o", dir); code != 0 || strings.Contains(errOut, "not written by this run") {
				t.Fatalf("first run: exit %d, stderr:\n%s", code, errOut)
			}
			stale := filepath.Join(dir, "shop_basket"+ext)
			code, _, errOut := cliRun(t, nil, "render", "-f", one, "--format", format, "-o", dir)
			want := "warning: " + stale + " was not written by this run"
			if code != 0 || !strings.Contains(errOut, want) || strings.Count(errOut, "not written by this run") != 1 {
				t.Fatalf("second run: exit %d, want 0 and one warning %q; stderr:\n%s", code, want, errOut)
			}
			if _, err := os.Stat(stale); err != nil {
				t.Fatalf("the stale file was removed without --prune: %v", err)
			}
			code, _, errOut = cliRun(t, nil, "render", "-f", one, "--format", format, "-o", dir, "--prune")
			if code != 0 || !strings.Contains(errOut, "removed "+stale) {
				t.Fatalf("--prune: exit %d, stderr:\n%s", code, errOut)
			}
			if _, err := os.Stat(stale); !os.IsNotExist(err) {
				t.Fatalf("--prune kept %s: %v", stale, err)
			}
			for _, keep := range []string{"README.md", "notes" + ext, "shop_checkout.rules.yaml", "sub/shop_old" + ext, "shop_checkout" + ext} {
				if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
					t.Errorf("%s: %v", keep, err)
				}
			}
		})
	}
	if code, _, errOut := cliRun(t, nil, "render", "-f", one, "--prune"); code != 2 || !strings.Contains(errOut, "--prune needs -o DIR") {
		t.Errorf("--prune without -o: exit %d, stderr:\n%s", code, errOut)
	}
}
