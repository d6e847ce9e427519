package manifest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pledge-dev/pledge/internal/manifest"
)

const mtStandard = `apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata:
  name: checkout
  namespace: shop
spec:
  service: checkout
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{code=~"5.."}
        total: http_requests_total
  escalation:
    policyRef: {name: payments}
`

const mtPolicy = `apiVersion: pledge.dev/v1alpha1
kind: EscalationPolicy
metadata:
  name: payments
  namespace: shop
spec:
  tiers:
    - name: on-call
      after: 0m
      receivers: [{name: pager, webhookConfigs: [{url: "http://pager.example.com/hook"}]}]
`

// mtFile writes content into a fresh directory and returns the file's path.
func mtFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mtLoad(t *testing.T, content string) (*manifest.Set, string) {
	t.Helper()
	file := mtFile(t, "input.yaml", content)
	set, problems := manifest.Load([]string{file}, nil)
	if len(problems) > 0 {
		t.Fatalf("Load: %v", problems)
	}
	return set, file
}

func TestProblemString(t *testing.T) {
	cases := map[string]struct {
		p    manifest.Problem
		want string
	}{
		"full": {
			p:    manifest.Problem{File: "a.yaml", Resource: "ServiceStandard shop/checkout", Field: "spec.objectives[0].target", Reason: "must be strictly between 0 and 100"},
			want: "a.yaml: ServiceStandard shop/checkout: spec.objectives[0].target: must be strictly between 0 and 100",
		},
		"no field": {
			p:    manifest.Problem{File: "a.yaml", Resource: "EscalationPolicy shop/payments", Reason: "broken"},
			want: "a.yaml: EscalationPolicy shop/payments: broken",
		},
		"file only": {
			p:    manifest.Problem{File: "-", Reason: "document 2: not valid YAML"},
			want: "-: document 2: not valid YAML",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestLoadMultiDocWithCommentsAndEmptyDocs(t *testing.T) {
	input := "# Standards of the shop team.\n---\n# (intentionally empty)\n---\n" + mtStandard +
		"---\n\n---\n---\n# the policy\n" + mtPolicy + "---\n"
	set, file := mtLoad(t, input)
	if len(set.Standards) != 1 || len(set.Policies) != 1 {
		t.Fatalf("%d standards, %d policies; want 1 and 1", len(set.Standards), len(set.Policies))
	}
	if len(set.Warnings) != 0 {
		t.Errorf("warnings: %v", set.Warnings)
	}
	src := set.Source(set.Standards[0])
	if src.File != file || src.Index != 3 {
		t.Errorf("standard source = %+v, want %s document 3", src, file)
	}
	if psrc := set.Source(set.Policies[0]); psrc.File != file || psrc.Index <= src.Index {
		t.Errorf("policy source = %+v", psrc)
	}
	resolved, problems := set.Resolve()
	if len(problems) > 0 {
		t.Fatalf("Resolve: %v", problems)
	}
	if len(resolved) != 1 || resolved[0].Escalation == nil || len(resolved[0].Escalation.Tiers) != 1 {
		t.Fatalf("policyRef not resolved: %+v", resolved)
	}
}

func TestLoadJSONAndDirectories(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a/standard.json": `{"apiVersion":"pledge.dev/v1alpha1","kind":"ServiceStandard","metadata":{"name":"api","namespace":"shop"},` +
			`"spec":{"service":"api","objectives":[{"name":"up","target":"99","bool":{"selector":"up"}}]}}`,
		"b/policy.YML": mtPolicy,
		"b/ignored.md": "not yaml: [",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, problems := manifest.Load([]string{dir}, nil)
	if len(problems) > 0 {
		t.Fatalf("Load: %v", problems)
	}
	if len(set.Standards) != 1 || len(set.Policies) != 1 {
		t.Fatalf("%d standards, %d policies", len(set.Standards), len(set.Policies))
	}
	if got := set.Source(set.Standards[0]).File; got != filepath.Join(dir, "a", "standard.json") {
		t.Errorf("source = %s", got)
	}
}

// A stream of JSON objects, one after the other, is read object by object, as kubectl reads
// it (only the first was read); one that breaks off is a problem naming it.
func TestLoadJSONStream(t *testing.T) {
	standard := `{"apiVersion":"pledge.dev/v1alpha1","kind":"ServiceStandard","metadata":{"name":"api","namespace":"shop"},` +
		`"spec":{"service":"api","objectives":[{"name":"up","target":"99","bool":{"selector":"up"}}],"escalation":{"policyRef":{"name":"payments"}}}}`
	policy := `{"apiVersion":"pledge.dev/v1alpha1","kind":"EscalationPolicy","metadata":{"name":"payments","namespace":"shop"},` +
		`"spec":{"tiers":[{"name":"on-call","after":"0m","receivers":[{"name":"pager","webhookConfigs":[{"url":"http://pager.example.com/hook"}]}]}]}}`
	set, _ := mtLoad(t, "\n  "+standard+"\n"+policy+" "+strings.Replace(standard, `"api"`, `"web"`, 2))
	if len(set.Standards) != 2 || len(set.Policies) != 1 || set.Standards[1].Name != "web" {
		t.Fatalf("%d standards, %d policies", len(set.Standards), len(set.Policies))
	}
	if i := set.Source(set.Standards[1]).Index; i != 3 {
		t.Errorf("the third object is document %d", i)
	}
	if resolved, problems := set.Resolve(); len(problems) > 0 || len(resolved) != 2 {
		t.Fatalf("resolved %d, problems %v", len(resolved), problems)
	}
	file := mtFile(t, "in.json", standard+"\n"+policy[:40])
	set, problems := manifest.Load([]string{file}, nil)
	if len(set.Standards) != 1 || len(problems) != 1 || !strings.Contains(problems[0].Reason, "document 2: not valid JSON") {
		t.Fatalf("%d standards, problems %+v", len(set.Standards), problems)
	}
}

func TestLoadStdin(t *testing.T) {
	set, problems := manifest.Load([]string{"-"}, strings.NewReader(mtStandard+"---\n"+mtPolicy))
	if len(problems) > 0 {
		t.Fatalf("Load: %v", problems)
	}
	if len(set.Standards) != 1 || set.Source(set.Standards[0]).File != "-" {
		t.Fatalf("standards %d, source %+v", len(set.Standards), set.Source(set.Standards[0]))
	}
}

func TestNamespaceDefaultsToDefault(t *testing.T) {
	noNS := func(s string) string { return strings.Replace(s, "  namespace: shop\n", "", 1) }
	set, _ := mtLoad(t, noNS(mtStandard)+"---\n"+noNS(mtPolicy))
	if ns := set.Standards[0].Namespace; ns != "default" {
		t.Errorf("standard namespace = %q", ns)
	}
	if ns := set.Policies[0].Namespace; ns != "default" {
		t.Errorf("policy namespace = %q", ns)
	}
	resolved, problems := set.Resolve()
	if len(problems) > 0 {
		t.Fatalf("Resolve: %v", problems)
	}
	if resolved[0].Namespace != "default" || resolved[0].Escalation == nil {
		t.Errorf("resolved = %+v", resolved[0])
	}

	// A policy in another namespace is not found; problems name the defaulted namespace.
	set, file := mtLoad(t, noNS(mtStandard)+"---\n"+mtPolicy)
	_, problems = set.Resolve()
	want := manifest.Problem{File: file, Resource: "ServiceStandard default/checkout", Field: "spec.escalation.policyRef.name"}
	if len(problems) != 1 || problems[0].File != want.File || problems[0].Resource != want.Resource || problems[0].Field != want.Field {
		t.Fatalf("problems = %+v, want one like %+v", problems, want)
	}
	if !strings.Contains(problems[0].Reason, "EscalationPolicy default/payments is not in the input") {
		t.Errorf("reason does not say which policy is missing from the input: %q", problems[0].Reason)
	}
}

func TestDuplicateNames(t *testing.T) {
	other := strings.Replace(mtStandard, "namespace: shop", "namespace: web", 1)
	other = strings.Replace(other, "  escalation:\n    policyRef: {name: payments}\n", "", 1)
	set, file := mtLoad(t, mtStandard+"---\n"+mtPolicy+"---\n"+mtStandard+"---\n"+other+"---\n"+mtPolicy)
	resolved, problems := set.Resolve()
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		file + ": EscalationPolicy shop/payments: metadata.name: defined more than once",
		file + ": ServiceStandard shop/checkout: metadata.name: defined more than once",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// The first of the duplicates and the same name in another namespace still resolve.
	if len(resolved) != 2 || resolved[0].Namespace != "shop" || resolved[1].Namespace != "web" {
		t.Errorf("resolved %d standards", len(resolved))
	}
}

func TestStrictDecoding(t *testing.T) {
	input := strings.Replace(mtStandard, `      target: "99.9"`, "      target: \"99.9\"\n      tragte: \"99\"", 1)
	input = strings.Replace(input, "  service: checkout\n", "  service: checkout\n  servcie: x\n", 1)
	file := mtFile(t, "std.yaml", input+"---\n"+strings.Replace(mtPolicy, "    - name: on-call\n", "    - name: on-call\n      delay: 5m\n", 1))
	set, problems := manifest.Load([]string{file}, nil)
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	slices.Sort(got)
	want := []string{
		file + ": EscalationPolicy shop/payments: spec.tiers[0].delay: unknown field",
		file + ": ServiceStandard shop/checkout: spec.objectives[0].tragte: unknown field",
		file + ": ServiceStandard shop/checkout: spec.servcie: unknown field",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if len(set.Standards) != 0 || len(set.Policies) != 0 {
		t.Errorf("documents with unknown fields were kept")
	}
}

func TestDuplicateField(t *testing.T) {
	input := strings.Replace(mtStandard, "  service: checkout\n", "  service: checkout\n  service: other\n", 1)
	_, problems := manifest.Load([]string{mtFile(t, "dup.yaml", input)}, nil)
	if len(problems) != 1 || problems[0].Resource != "ServiceStandard shop/checkout" ||
		!strings.Contains(problems[0].Reason, "duplicate") || !strings.Contains(problems[0].Reason, `"service"`) {
		t.Fatalf("problems = %+v", problems)
	}
}

func TestUnknownKindsWarn(t *testing.T) {
	set, file := mtLoad(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\n"+
		"apiVersion: pledge.dev/v1alpha1\nkind: Pledge\nmetadata: {name: p, namespace: x}\n---\n"+mtStandard)
	if len(set.Standards) != 1 {
		t.Fatalf("%d standards", len(set.Standards))
	}
	if len(set.Warnings) != 2 {
		t.Fatalf("warnings = %v", set.Warnings)
	}
	for i, w := range []string{"ConfigMap default/cm", "Pledge x/p"} {
		if !strings.HasPrefix(set.Warnings[i], file+": skipping ") || !strings.Contains(set.Warnings[i], w) {
			t.Errorf("warning %d = %q, want it to name %s", i, set.Warnings[i], w)
		}
	}
}

func TestNotObjects(t *testing.T) {
	cases := map[string]string{
		"invalid YAML":     ": : :",
		"list":             "- a\n- b\n",
		"scalar":           "hello\n",
		"no kind":          "apiVersion: pledge.dev/v1alpha1\nmetadata: {name: x}\n",
		"binary":           "\x00\xff\xfe\x01",
		"wrong spec type":  "apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\nmetadata: {name: x}\nspec: 3\n",
		"wrong field type": "apiVersion: pledge.dev/v1alpha1\nkind: EscalationPolicy\nmetadata: {name: x}\nspec: {tiers: {a: b}}\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			file := mtFile(t, "x.yaml", content)
			set, problems := manifest.Load([]string{file}, nil)
			if len(problems) == 0 {
				t.Fatalf("no problem reported; standards %d", len(set.Standards))
			}
			for _, p := range problems {
				if p.File != file || p.Reason == "" {
					t.Errorf("problem = %+v", p)
				}
			}
		})
	}
}

func indentItem(doc string) string {
	lines := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "- " + l
		} else {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// Lists, as kubectl get -o yaml writes them, are read item by item, as kubectl apply does.
func TestListsAreReadItemByItem(t *testing.T) {
	t.Run("v1 List", func(t *testing.T) {
		other := strings.Replace(mtStandard, "name: checkout", "name: basket", 1)
		in := "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems:\n" + indentItem(mtStandard) + indentItem(mtPolicy) +
			indentItem("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n") + "---\n" + other
		set, file := mtLoad(t, in)
		if len(set.Standards) != 2 || set.Standards[0].Name != "checkout" || set.Standards[1].Name != "basket" || len(set.Policies) != 1 {
			t.Fatalf("read %d standards, %d policies", len(set.Standards), len(set.Policies))
		}
		if src := set.Source(set.Standards[1]); src.File != file || src.Index != 2 {
			t.Errorf("the standard after the list is at %+v, want document 2", src)
		}
		if src := set.Source(set.Policies[0]); src.Index != 1 {
			t.Errorf("the list's policy is at %+v, want document 1", src)
		}
		if len(set.Warnings) != 1 || !strings.Contains(set.Warnings[0], "skipping ConfigMap default/x") {
			t.Errorf("warnings = %q", set.Warnings)
		}
		resolved, problems := set.Resolve()
		if len(problems) > 0 || len(resolved) != 2 {
			t.Fatalf("resolved %d, problems %v", len(resolved), problems)
		}
	})
	t.Run("ServiceStandardList", func(t *testing.T) {
		item := strings.Replace(strings.Replace(mtStandard, "apiVersion: pledge.dev/v1alpha1\n", "", 1), "kind: ServiceStandard\n", "", 1)
		in := "apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandardList\nitems:\n" + indentItem(item) + "---\n" + mtPolicy
		set, _ := mtLoad(t, in)
		if len(set.Standards) != 1 || set.Standards[0].Name != "checkout" {
			t.Fatalf("the list's item without kind was not read as a ServiceStandard: %d standards", len(set.Standards))
		}
	})
	t.Run("problems name the item", func(t *testing.T) {
		bad := strings.Replace(mtStandard, `target: "99.9"`, `target: "100"`, 1)
		in := "apiVersion: v1\nkind: List\nitems:\n" + indentItem(mtPolicy) + "- 5\n" + indentItem(bad) +
			"- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: pledge.dev/v1alpha1}\n"
		file := mtFile(t, "in.yaml", in)
		_, problems := manifest.Load([]string{file}, nil)
		var got []string
		for _, p := range problems {
			got = append(got, p.Resource+"|"+p.Field+"|"+p.Reason)
		}
		for _, want := range []string{
			"||document 1, items[1]: not a Kubernetes object: it is not a YAML or JSON object",
			`ServiceStandard shop/checkout|spec.objectives[0].target|Invalid value: "100": must be strictly between 0 and 100`,
			"||document 1, items[3], items[0]: not a Kubernetes object (no kind)",
		} {
			if !slices.Contains(got, want) {
				t.Errorf("no problem %q in:\n  %s", want, strings.Join(got, "\n  "))
			}
		}
	})
	t.Run("nested too deep", func(t *testing.T) {
		in := "{kind: ServiceStandard, apiVersion: pledge.dev/v1alpha1, metadata: {name: x}}"
		for range 6 {
			in = "{apiVersion: v1, kind: List, items: [" + in + "]}"
		}
		file := mtFile(t, "in.yaml", "---\n"+in) // YAML: a stream that starts with '{' is JSON
		_, problems := manifest.Load([]string{file}, nil)
		if !slices.ContainsFunc(problems, func(p manifest.Problem) bool { return strings.Contains(p.Reason, "lists nested more than 4 deep") }) {
			t.Errorf("problems = %+v", problems)
		}
	})
}

func TestMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, problems := manifest.Load([]string{missing}, nil)
	if len(problems) != 1 || problems[0].File != missing {
		t.Fatalf("problems = %+v", problems)
	}
	_, problems = manifest.Load([]string{t.TempDir()}, nil)
	if len(problems) != 1 || !strings.Contains(problems[0].Reason, "no .yaml") {
		t.Fatalf("empty directory: problems = %+v", problems)
	}
}

func TestResolveProblemsSortedByField(t *testing.T) {
	// Each passes the CRD and fails Pledge's deeper checks.
	input := strings.Replace(mtStandard, `total: http_requests_total`, `total: http_requests_total{`, 1)
	input = strings.Replace(input, "  service: checkout\n", "  service: checkout\n  window: 12h\n", 1)
	set, file := mtLoad(t, input+"---\n"+strings.Replace(mtPolicy, "after: 0m", "after: 0m\n      activeTimeIntervals: [nope]", 1))
	resolved, problems := set.Resolve()
	if len(resolved) != 0 {
		t.Errorf("invalid standard resolved")
	}
	var fields []string
	for _, p := range problems {
		if p.File != file {
			t.Errorf("problem on file %q", p.File)
		}
		fields = append(fields, p.Resource+" "+p.Field)
	}
	want := []string{
		"EscalationPolicy shop/payments spec.tiers[0].activeTimeIntervals[0]",
		"ServiceStandard shop/checkout spec.escalation.policyRef.name",
		"ServiceStandard shop/checkout spec.objectives[0].ratio.total",
		"ServiceStandard shop/checkout spec.window",
	}
	if !slices.Equal(fields, want) {
		t.Errorf("problems on\n  %s\nwant\n  %s", strings.Join(fields, "\n  "), strings.Join(want, "\n  "))
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Reason, "Invalid value: Invalid value") || strings.Contains(p.Reason, p.Field) {
			t.Errorf("reason repeats itself: %q", p.Reason)
		}
	}
}

func TestResolveWarnings(t *testing.T) {
	policy := mtPolicy + `  timeIntervals:
    - name: business-hours
      timeIntervals:
        - times: [{startTime: "09:00", endTime: "17:00"}]
`
	policy = strings.Replace(policy, "      after: 0m\n", "      after: 0m\n      activeTimeIntervals: [business-hours]\n", 1)
	set, file := mtLoad(t, mtStandard+"---\n"+policy)
	if _, problems := set.Resolve(); len(problems) > 0 {
		t.Fatalf("Resolve: %v", problems)
	}
	if !slices.ContainsFunc(set.Warnings, func(w string) bool {
		return strings.HasPrefix(w, file+": ServiceStandard shop/checkout: ") && strings.Contains(w, "UTC")
	}) {
		t.Errorf("no UTC warning naming file and standard: %v", set.Warnings)
	}
}

func TestCheckedAsTheAPIServerDoes(t *testing.T) {
	cases := map[string]struct {
		input, field, reason string
	}{
		"schema":          {strings.Replace(mtStandard, `target: "99.9"`, `target: 99.9`, 1), "spec.objectives[0].target", "must be of type string"},
		"CEL rule":        {strings.Replace(mtStandard, `target: "99.9"`, `target: "100"`, 1), "spec.objectives[0].target", "strictly between 0 and 100"},
		"metadata name":   {strings.Replace(mtStandard, "name: checkout", "name: Check_out", 1), "metadata.name", "RFC 1123 subdomain"},
		"unknown field":   {strings.Replace(mtStandard, "  service: checkout\n", "  service: checkout\n  servcie: x\n", 1), "spec.servcie", "unknown field"},
		"unknown version": {strings.Replace(mtStandard, "pledge.dev/v1alpha1", "pledge.dev/v9", 1), "apiVersion", "served: pledge.dev/v1alpha1"},
		// No metadata made validate panic; a header of the wrong type says which field.
		"no metadata":     {"apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\n", "metadata.name", "name or generateName is required"},
		"null metadata":   {"apiVersion: pledge.dev/v1alpha1\nkind: EscalationPolicy\nmetadata: null\n", "metadata.name", "name or generateName is required"},
		"metadata number": {"apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\nmetadata: 5\n", "", "document 1: not a Kubernetes object: metadata must be an object, not a number"},
		"kind list":       {"apiVersion: pledge.dev/v1alpha1\nkind: [a]\n", "", "document 1: not a Kubernetes object: kind must be a string, not an array"},
		"name object":     {"apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\nmetadata: {name: {a: 1}}\n", "", "document 1: not a Kubernetes object: metadata.name must be a string, not an object"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			file := mtFile(t, "in.yaml", tc.input+"---\n"+mtPolicy)
			set, problems := manifest.Load([]string{file}, nil)
			if len(set.Standards) != 0 {
				t.Errorf("the invalid standard was kept")
			}
			if !slices.ContainsFunc(problems, func(p manifest.Problem) bool {
				return p.File == file && p.Field == tc.field && strings.Contains(p.Reason, tc.reason)
			}) {
				t.Errorf("no problem on %s saying %q: %v", tc.field, tc.reason, problems)
			}
		})
	}
}

// A standard the API server refuses still gets Pledge's own checks: one run names every problem,
// and a field both name is named once, in the API server's words.
func TestOneRunNamesEveryProblem(t *testing.T) {
	std := strings.Replace(mtStandard, `target: "99.9"`, `target: "100"`, 1)
	std = strings.Replace(std, `total: http_requests_total`, `total: rate(http_requests_total[5m]`, 1)
	std = strings.Replace(std, `policyRef: {name: payments}`, `policyRef: {name: billing}`, 1)
	policy := strings.Replace(mtPolicy, "after: 0m", "after: soon", 1)
	policy = strings.Replace(policy, "      receivers:", "      activeTimeIntervals: [nights]\n      receivers:", 1)
	file := mtFile(t, "in.yaml", std+"---\n"+policy)
	set, problems := manifest.Load([]string{file}, nil)
	if len(set.Standards) != 0 || len(set.Policies) != 0 {
		t.Fatalf("refused objects were kept: %d standards, %d policies", len(set.Standards), len(set.Policies))
	}
	resolved, more := set.Resolve()
	if len(resolved) != 0 {
		t.Fatalf("a refused standard was resolved")
	}
	var got []string
	for _, p := range append(problems, more...) {
		got = append(got, p.Resource+" "+p.Field+": "+p.Reason)
	}
	want := []string{
		// The API server's verdict, from Load.
		`ServiceStandard shop/checkout spec.objectives[0].target: Invalid value: "100": must be strictly between 0 and 100`,
		`EscalationPolicy shop/payments spec: Invalid value: "object": type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule: tiers[].after must be distinct`,
		`EscalationPolicy shop/payments spec.tiers[0].after: Invalid value: "soon": spec.tiers[0].after in body should match '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$'`,
		// Pledge's, from Resolve, in input order, on the other fields (Pledge's own check of
		// spec.tiers[0].after is not repeated).
		`ServiceStandard shop/checkout spec.escalation.policyRef.name: EscalationPolicy shop/billing is not in the input: policyRef is resolved among the files given with -f`,
		`ServiceStandard shop/checkout spec.objectives[0].ratio.total: Invalid value: "rate(http_requests_total[5m]": invalid PromQL: 1:29: parse error: unclosed left parenthesis`,
		`EscalationPolicy shop/payments spec.tiers[0].activeTimeIntervals[0]: Invalid value: "nights": no time interval of that name in spec.timeIntervals`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestDefaultsAppliedAsTheAPIServerDoes(t *testing.T) {
	set, _ := mtLoad(t, mtStandard+"---\n"+mtPolicy)
	if w := set.Standards[0].Spec.Objectives[0].Weight; w != 1 {
		t.Errorf("weight = %d, want the CRD's default 1", w)
	}
}

func TestNoStandardIsAProblem(t *testing.T) {
	file := mtFile(t, "policy.yaml", mtPolicy)
	_, problems := manifest.Load([]string{file}, nil)
	if len(problems) != 1 || problems[0].File != file || !strings.Contains(problems[0].Reason, "no ServiceStandard") {
		t.Fatalf("problems = %+v", problems)
	}
}

func TestStandardOfAnInvalidPolicy(t *testing.T) {
	file := mtFile(t, "in.yaml", mtStandard+"---\n"+strings.Replace(mtPolicy, "after: 0m", "after: soon", 1))
	set, problems := manifest.Load([]string{file}, nil)
	if !slices.ContainsFunc(problems, func(p manifest.Problem) bool { return p.Field == "spec.tiers[0].after" }) {
		t.Fatalf("Load problems = %+v", problems)
	}
	_, problems = set.Resolve()
	if len(problems) != 1 || problems[0].Field != "spec.escalation.policyRef.name" || !strings.Contains(problems[0].Reason, "is invalid") {
		t.Fatalf("Resolve problems = %+v", problems)
	}
}

// A wrongly typed receiver gets the same verdict as from the operator: the API server's where
// the CRD types the field, Resolve's (the Go type's) below that, each with the field path.
func TestWronglyTypedReceivers(t *testing.T) {
	receivers := `receivers: [{name: pager, webhookConfigs: [{url: "http://pager.example.com/hook"}]}]`
	cases := map[string]struct {
		receiver, field, reason string
		resolve                 bool // found by Resolve, not by the CRD schema
	}{
		"secret reference as a string": {`receivers: [{name: pager, slackConfigs: [{apiURL: "https://hooks.slack.example/T0/secret"}]}]`,
			"spec.tiers[0].receivers[0].slackConfigs[0].apiURL", "must be of type object", false},
		"below what the CRD types": {`receivers: [{name: pager, webhookConfigs: [{url: "http://x", httpConfig: {authorization: {credentials: "s3cr3t"}}}]}]`,
			"spec.tiers[0].receivers[0].webhookConfigs[0].httpConfig.authorization.credentials", "must be an object", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			file := mtFile(t, "in.yaml", mtStandard+"---\n"+strings.Replace(mtPolicy, receivers, tc.receiver, 1))
			set, problems := manifest.Load([]string{file}, nil)
			if tc.resolve {
				if len(problems) > 0 {
					t.Fatalf("Load: %v", problems)
				}
				_, problems = set.Resolve()
			}
			if !slices.ContainsFunc(problems, func(p manifest.Problem) bool {
				return p.Resource == "EscalationPolicy shop/payments" && p.Field == tc.field && strings.Contains(p.Reason, tc.reason) && !strings.Contains(p.Reason, "s3cr3t")
			}) {
				t.Errorf("no problem on %s saying %q: %v", tc.field, tc.reason, problems)
			}
		})
	}
}

// TestTooLargeIsAProblem: a policy the CRD accepts, with receivers large enough that the
// AlertmanagerConfig generated from it would not fit in etcd, is reported on the standard.
func TestTooLargeIsAProblem(t *testing.T) {
	var b strings.Builder
	b.WriteString(strings.SplitN(mtPolicy, "  tiers:\n", 2)[0] + "  tiers:\n")
	url := "http://pager.example.com/" + strings.Repeat("x", 2000)
	for tier := range 5 {
		fmt.Fprintf(&b, "    - name: t%d\n      after: %dm\n      receivers:\n", tier, tier*10)
		for r := range 10 {
			fmt.Fprintf(&b, "        - name: r%d\n          webhookConfigs:\n", r)
			for range 14 {
				fmt.Fprintf(&b, "            - url: %q\n", url)
			}
		}
	}
	file := mtFile(t, "in.yaml", mtStandard+"---\n"+b.String())
	set, problems := manifest.Load([]string{file}, nil)
	if len(problems) > 0 {
		t.Fatalf("the CRD refuses the policy: %v", problems[0])
	}
	_, problems = set.Resolve()
	if len(problems) != 1 || problems[0].Resource != "ServiceStandard shop/checkout" || problems[0].Field != "spec" ||
		!strings.Contains(problems[0].Reason, "AlertmanagerConfig pledge-checkout would be") {
		t.Fatalf("problems = %v", problems)
	}
}
