// Package validate proves that `pledge validate` gives the API server's verdicts: a table of
// invalid standards and policies goes through the pledge binary (built from cmd/pledge) and
// through a real kube-apiserver (envtest) with the generated CRDs and kubectl's strict field
// validation; both must refuse each input and name the same field.
package validate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/pledge-dev/pledge/test/procs"
)

const sampleFile = "../../config/samples/pledge_v1alpha1_checkout.yaml"

// invalid is one input both must refuse: the sample standard (or, with policy, the sample
// policy) with from replaced by to (with until, everything from from up to until). field is
// the path both must name.
type invalid struct {
	policy          bool
	from, until, to string
	field           string
	// requestLevel: the API server refuses the request as a whole, before validating fields
	// (an unserved version, a body over its request size limit); pledge still names field.
	requestLevel bool
}

func invalidInputs() map[string]invalid {
	classes := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "c%d: 1h, ", i)
		}
		return "thresholds: {" + strings.TrimSuffix(b.String(), ", ") + "}"
	}
	objectives := func(n int) string {
		var b strings.Builder
		b.WriteString("  objectives:\n")
		for i := range n {
			fmt.Fprintf(&b, "    - {name: o%d, target: \"99\", bool: {selector: up}}\n", i)
		}
		return b.String()
	}
	list := func(n int, format string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(format, i)
		}
		return strings.Join(items, ", ")
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	const (
		target    = `target: "99.9"`
		threshold = "threshold: 300ms"
		graded    = "thresholds: {p1: 4h, p2: 24h, p3: 72h}"
		runbook   = "runbookURL: https://runbooks.example.com/checkout"
		policyRef = "policyRef: {name: payments}"
		window    = "window: 30d"
		owners    = "    accountable: payments-lead\n"
		ratioErr  = `errors: http_requests_total{job="checkout",code=~"5.."}`
		total     = `total: http_requests_total{job="checkout"}`
		name      = "  name: checkout\n"
	)
	return map[string]invalid{
		// Targets and objectives.
		"target 100":                      {from: target, to: `target: "100"`, field: "spec.objectives[0].target"},
		"target 0":                        {from: target, to: `target: "0"`, field: "spec.objectives[0].target"},
		"target not a number":             {from: target, to: `target: "high"`, field: "spec.objectives[0].target"},
		"target with 19 decimals":         {from: target, to: `target: "99.9999999999999999999"`, field: "spec.objectives[0].target"},
		"target as a number":              {from: target, to: `target: 99.9`, field: "spec.objectives[0].target"},
		"target missing":                  {from: "      " + target + "\n", to: "", field: "spec.objectives[0].target"},
		"objective name":                  {from: "- name: availability", to: "- name: Availability!", field: "spec.objectives[0].name"},
		"objective name too long":         {from: "- name: availability", to: "- name: a" + long(63), field: "spec.objectives[0].name"},
		"duplicate objective names":       {from: "- name: response-time", to: "- name: availability", field: "spec.objectives[1]"},
		"two indicators":                  {from: "      ratio:\n", to: "      bool: {selector: up}\n      ratio:\n", field: "spec.objectives[0]"},
		"no indicator":                    {from: "      ratio:\n        " + ratioErr + "\n        " + total + "\n", to: "", field: "spec.objectives[0]"},
		"ratio errors and good":           {from: "        " + total + "\n", to: "        " + total + "\n        good: x\n", field: "spec.objectives[0].ratio"},
		"ratio without total":             {from: "        " + total + "\n", to: "", field: "spec.objectives[0].ratio.total"},
		"selector empty":                  {from: total, to: `total: ""`, field: "spec.objectives[0].ratio.total"},
		"selector too long":               {from: ratioErr, to: "errors: x" + long(1024), field: "spec.objectives[0].ratio.errors"},
		"histogram missing":               {from: "        histogram: http_request_duration_seconds{job=\"checkout\"}   # classic histogram\n", to: "", field: "spec.objectives[1].latency.histogram"},
		"bool without selector":           {from: "      ratio:\n        " + ratioErr + "\n        " + total + "\n", to: "      bool: {}\n", field: "spec.objectives[0].bool.selector"},
		"weight negative":                 {from: "weight: 3", to: "weight: -1", field: "spec.objectives[0].weight"},
		"weight over 1000":                {from: "weight: 3", to: "weight: 1001", field: "spec.objectives[0].weight"},
		"weight as a string":              {from: "weight: 3", to: `weight: "3"`, field: "spec.objectives[0].weight"},
		"objective description long":      {from: "      weight: 3\n", to: "      weight: 3\n      description: " + long(513) + "\n", field: "spec.objectives[0].description"},
		"no objectives":                   {from: "  objectives:\n", until: "  alerting:\n", to: "  objectives: []\n", field: "spec.objectives"},
		"51 objectives":                   {from: "  objectives:\n", until: "  alerting:\n", to: objectives(51), field: "spec.objectives"},
		"threshold and graded":            {from: threshold, to: threshold + "\n        graded: {label: p, thresholds: {p1: 1h}}", field: "spec.objectives[1].latency"},
		"threshold not a duration":        {from: threshold, to: "threshold: fast", field: "spec.objectives[1].latency.threshold"},
		"threshold zero":                  {from: threshold, to: "threshold: 0s", field: "spec.objectives[1].latency.threshold"},
		"graded class upper case":         {from: graded, to: "thresholds: {P1: 4h}", field: "spec.objectives[2].latency.graded.thresholds"},
		"40 graded classes":               {from: graded, to: classes(40), field: "spec.objectives[2].latency.graded.thresholds"},
		"graded without classes":          {from: graded, to: "thresholds: {}", field: "spec.objectives[2].latency.graded.thresholds"},
		"graded threshold not a duration": {from: graded, to: "thresholds: {p1: soon}", field: "spec.objectives[2].latency.graded.thresholds.p1"},
		"graded label":                    {from: "label: priority", to: "label: prio-rity", field: "spec.objectives[2].latency.graded.label"},
		"graded target of no class":       {from: graded, to: graded + "\n          targets: {p4: \"99\"}", field: "spec.objectives[2].latency.graded.targets"},
		"graded target 100":               {from: graded, to: graded + "\n          targets: {p1: \"100\"}", field: "spec.objectives[2].latency.graded.targets[p1]"},
		"graded target not a number":      {from: graded, to: graded + "\n          targets: {p1: high}", field: "spec.objectives[2].latency.graded.targets.p1"},
		"11 graded targets":               {from: graded, to: graded + "\n          targets: {" + list(11, "c%d: \"99\"") + "}", field: "spec.objectives[2].latency.graded.targets"},

		// Window.
		"window not a duration":   {from: window, to: "window: thirty", field: "spec.window"},
		"window zero":             {from: window, to: "window: 0d", field: "spec.window"},
		"window and calendar":     {from: window, to: window + "\n  calendar: {period: month}", field: "spec"},
		"calendar period":         {from: window, to: "calendar: {period: week}", field: "spec.calendar.period"},
		"calendar without period": {from: window, to: "calendar: {timeZone: UTC}", field: "spec.calendar.period"},
		"time zone too long":      {from: window, to: "calendar: {period: month, timeZone: " + long(65) + "}", field: "spec.calendar.timeZone"},

		// Service, description, owners.
		"service empty":           {from: "  service: checkout\n", to: "  service: \"\"\n", field: "spec.service"},
		"service missing":         {from: "  service: checkout\n", to: "", field: "spec.service"},
		"service too long":        {from: "  service: checkout\n", to: "  service: " + long(129) + "\n", field: "spec.service"},
		"description too long":    {from: "  service: checkout\n", to: "  service: checkout\n  description: " + long(1025) + "\n", field: "spec.description"},
		"50 MB description":       {from: "  service: checkout\n", to: "  service: checkout\n  description: " + long(50<<20) + "\n", field: "spec.description", requestLevel: true},
		"21 consulted":            {from: owners, to: owners + "    consulted: [" + list(21, "c%d") + "]\n", field: "spec.owners.consulted"},
		"consulted twice":         {from: owners, to: owners + "    consulted: [a, a]\n", field: "spec.owners.consulted[1]"},
		"responsible too long":    {from: "responsible: payments-oncall", to: "responsible: " + long(254), field: "spec.owners.responsible"},
		"spec not an object":      {from: "spec:\n", until: "---", to: "spec: checkout\n", field: "spec"},
		"unknown spec field":      {from: "  service: checkout\n", to: "  service: checkout\n  servcie: x\n", field: "spec.servcie"},
		"unknown objective field": {from: target, to: target + "\n      tragte: \"99\"", field: "spec.objectives[0].tragte"},

		// Alerting.
		"runbook too long":           {from: runbook, to: "runbookURL: https://" + long(505), field: "spec.alerting.runbookURL"},
		"alert label value too long": {from: runbook, to: "labels: {team: " + long(129) + "}", field: "spec.alerting.labels"},
		"5 added window pairs":       {from: runbook, to: "windows: [" + list(5, "{name: w%d}") + "]", field: "spec.alerting.windows"},
		"too large for etcd":         {from: "  objectives:\n", until: "  alerting:\n", to: objectives(17), field: "spec"},
		"6 inline tiers":             {from: policyRef, to: "tiers: [" + list(6, "{name: t%d, after: %[1]dm, receivers: [{name: r}]}") + "]", field: "spec.escalation.tiers"},
		"runbook not http":           {from: runbook, to: "runbookURL: ftp://x", field: "spec.alerting.runbookURL"},
		"reserved alert label":       {from: runbook, to: "labels: {severity: low}", field: "spec.alerting.labels"},
		"21 alert labels":            {from: runbook, to: "labels: {" + list(21, "l%d: x") + "}", field: "spec.alerting.labels"},
		"unknown severity":           {from: runbook, to: "windows: [{name: x, severity: urgent}]", field: "spec.alerting.windows[0].severity"},
		"window pair name":           {from: runbook, to: "windows: [{name: Fast}]", field: "spec.alerting.windows[0].name"},
		"duplicate window pairs":     {from: runbook, to: "windows: [{name: a}, {name: a}]", field: "spec.alerting.windows[1]"},
		"window pair long":           {from: runbook, to: "windows: [{name: a, long: 1x}]", field: "spec.alerting.windows[0].long"},
		"budget percent over 100":    {from: runbook, to: "windows: [{name: a, budgetPercent: \"150\"}]", field: "spec.alerting.windows[0].budgetPercent"},
		"11 window pairs":            {from: runbook, to: "windows: [" + list(11, "{name: w%d}") + "]", field: "spec.alerting.windows"},
		"min events negative":        {from: runbook, to: "minEvents: -1", field: "spec.alerting.minEvents"},

		// Escalation in the standard.
		"policyRef and tiers":       {from: policyRef, to: policyRef + "\n    tiers: [{name: a, after: 0m, receivers: [{name: r}]}]", field: "spec.escalation"},
		"policyRef and informed":    {from: policyRef, to: policyRef + "\n    informed: [{name: r}]", field: "spec.escalation"},
		"policyRef name empty":      {from: policyRef, to: `policyRef: {name: ""}`, field: "spec.escalation.policyRef.name"},
		"inline tiers out of order": {from: policyRef, to: "tiers:\n      - {name: a, after: 1h, receivers: [{name: r}]}\n      - {name: b, after: 30m, receivers: [{name: s}]}", field: "spec.escalation"},
		"inline tiers empty":        {from: policyRef, to: "tiers: []", field: "spec.escalation.tiers"},

		// Metadata, kind and version.
		"name not a DNS subdomain": {from: name, to: "  name: Checkout_1\n", field: "metadata.name"},
		"name too long":            {from: name, to: "  name: " + long(254) + "\n", field: "metadata.name"},
		"name missing":             {from: name, to: "", field: "metadata.name"},
		"label key":                {from: name, to: name + "  labels: {\"a b\": x}\n", field: "metadata.labels"},
		"unknown metadata field":   {from: name, to: name + "  nmae: x\n", field: "metadata.nmae"},
		"label value":              {from: name, to: name + "  labels: {a: \"x y\"}\n", field: "metadata.labels"},
		"unknown version":          {from: "apiVersion: pledge.dev/v1alpha1", to: "apiVersion: pledge.dev/v9", field: "apiVersion", requestLevel: true},

		// EscalationPolicy.
		"policy delays not increasing":  {policy: true, from: "after: 30m", to: "after: 0m", field: "spec"},
		"policy delays decreasing":      {policy: true, from: "after: 2h", to: "after: 10m", field: "spec"},
		"policy delay in days":          {policy: true, from: "after: 30m", to: "after: 1d", field: "spec.tiers[1].after"},
		"policy tier without receivers": {policy: true, from: "      receivers:\n        - name: lead\n          webhookConfigs: [{url: \"http://lead.example.com/hook\"}]", to: "      receivers: []", field: "spec.tiers[1].receivers"},
		"policy duplicate receivers": {policy: true, from: "        - name: lead\n          webhookConfigs: [{url: \"http://lead.example.com/hook\"}]",
			to: "        - name: lead\n          webhookConfigs: [{url: \"http://lead.example.com/hook\"}]\n        - name: lead", field: "spec.tiers[1].receivers"},
		"policy tier name":           {policy: true, from: "- name: team-lead", to: "- name: Team Lead", field: "spec.tiers[1].name"},
		"policy 6 tiers":             {policy: true, from: "  tiers:\n", until: "  informed:\n", to: "  tiers: [" + list(6, "{name: t%d, after: %[1]dm, receivers: [{name: r}]}") + "]\n", field: "spec.tiers"},
		"policy no tiers":            {policy: true, from: "  tiers:\n", until: "  informed:\n", to: "  tiers: []\n", field: "spec.tiers"},
		"policy repeat interval":     {policy: true, from: "repeatInterval: 1h", to: "repeatInterval: often", field: "spec.tiers[1].repeatInterval"},
		"policy 11 active intervals": {policy: true, from: "activeTimeIntervals: [business-hours]", to: "activeTimeIntervals: [" + list(11, "i%d") + "]", field: "spec.tiers[2].activeTimeIntervals"},
		"policy duplicate intervals": {policy: true, from: "    - name: business-hours\n", to: "    - name: business-hours\n    - name: business-hours\n", field: "spec.timeIntervals[1]"},
		"policy unknown tier field":  {policy: true, from: "      after: 0m\n", to: "      after: 0m\n      delay: 5m\n", field: "spec.tiers[0].delay"},
		"policy name":                {policy: true, from: "  name: payments\n  namespace: shop\n", to: "  name: pay.ments.\n  namespace: shop\n", field: "metadata.name"},
		"policy unknown version":     {policy: true, from: "apiVersion: pledge.dev/v1alpha1", to: "apiVersion: pledge.dev/v2", field: "apiVersion", requestLevel: true},
	}
}

// sample returns the canonical sample's standard and policy.
func sample(t *testing.T) (standard, policy string) {
	t.Helper()
	raw, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(raw), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%s holds %d documents, want 2", sampleFile, len(docs))
	}
	return docs[0] + "\n", docs[1]
}

// input applies the case to the sample and gives the object a name of its own (unless the
// case is about the name): the invalid document, its kind and name, and the valid other one.
func (c invalid) input(t *testing.T, id int) (doc, kind, name, other string) {
	t.Helper()
	std, policy := sample(t)
	doc, other, kind, oldName := std, policy, "ServiceStandard", "checkout"
	if c.policy {
		doc, other, kind, oldName = policy, std, "EscalationPolicy", "payments"
	}
	i := strings.Index(doc, c.from)
	if i < 0 {
		t.Fatalf("the sample %s lacks %q", kind, c.from)
	}
	j := i + len(c.from)
	if c.until != "" {
		k := strings.Index(doc[i:], c.until)
		if k < 0 {
			k = len(doc) - i
		}
		j = i + k
	}
	doc = doc[:i] + c.to + doc[j:]
	name = fmt.Sprintf("case-%d", id)
	doc = strings.Replace(doc, "\n  name: "+oldName+"\n", "\n  name: "+name+"\n", 1)
	return doc, kind, name, other
}

var (
	buildOnce sync.Once
	pledgeBin string
	buildErr  error
)

// pledge builds cmd/pledge once and returns the binary.
func pledge(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pledge-validate-test")
		if err != nil {
			buildErr = err
			return
		}
		pledgeBin = filepath.Join(dir, "pledge")
		cmd := exec.Command("go", "build", "-o", pledgeBin, "./cmd/pledge")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/pledge: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return pledgeBin
}

// validate runs `pledge validate` on the case (beside the valid other document) and returns
// its exit code and the problem lines that name the case's object.
func validate(t *testing.T, c invalid, id int) (code int, file string, lines []string, stderr string) {
	t.Helper()
	doc, kind, _, other := c.input(t, id)
	dir := t.TempDir()
	file = filepath.Join(dir, "input.yaml")
	if err := os.WriteFile(file, []byte(doc+"\n---\n"+other), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pledge(t), "validate", "-f", file)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatal(err)
	}
	for _, l := range strings.Split(errOut.String(), "\n") {
		if strings.HasPrefix(l, file+": "+kind+" ") {
			lines = append(lines, l)
		}
	}
	return code, file, lines, errOut.String()
}

// names reports whether one of the problem lines is about field.
func names(lines []string, field string) bool {
	for _, l := range lines {
		if strings.Contains(l, ": "+field+": ") {
			return true
		}
	}
	return false
}

func TestInvalidInputsTableIsLargeEnough(t *testing.T) {
	if n := len(invalidInputs()); n < 60 {
		t.Fatalf("%d invalid inputs, want at least 60", n)
	}
}

// TestValidateRefusesInvalidInputs runs the table through pledge validate alone, so that it
// runs wherever Go does; TestValidateAgreesWithAPIServer adds the API server.
func TestValidateRefusesInvalidInputs(t *testing.T) {
	id := 0
	for name, c := range invalidInputs() {
		id++
		t.Run(name, func(t *testing.T) {
			code, _, lines, stderr := validate(t, c, id)
			if code != 1 || !names(lines, c.field) {
				t.Errorf("pledge validate: exit %d, want 1 with a problem on %s; stderr:\n%s", code, c.field, clip(stderr))
			}
		})
	}
}

// TestValidateAgreesWithAPIServer creates each invalid input in a real kube-apiserver, as
// kubectl apply does (strict field validation), and runs pledge validate on it: both refuse it,
// and both name the field.
func TestValidateAgreesWithAPIServer(t *testing.T) {
	cfg := procs.StartAPIServer(t, []string{filepath.Join("..", "..", "config", "crd", "bases")})
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c = client.WithFieldValidation(c, metav1.FieldValidationStrict)
	ctx := t.Context()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}); err != nil {
		t.Fatal(err)
	}
	// The control: the sample as written is accepted by both.
	std, policy := sample(t)
	for _, doc := range []string{policy, std} {
		if err := c.Create(ctx, object(t, doc)); err != nil {
			t.Fatalf("the API server refuses the sample: %v", err)
		}
	}
	if out, err := exec.Command(pledge(t), "validate", "-f", sampleFile).CombinedOutput(); err != nil {
		t.Fatalf("pledge validate refuses the sample: %v\n%s", err, out)
	}

	id := 0
	for name, tc := range invalidInputs() {
		id++
		t.Run(name, func(t *testing.T) {
			doc, _, _, _ := tc.input(t, id)
			apiErr := c.Create(ctx, object(t, doc))
			code, _, lines, stderr := validate(t, tc, id)
			switch {
			case apiErr == nil:
				t.Errorf("the API server accepts it")
			case tc.requestLevel:
				if apierrors.IsInvalid(apiErr) {
					t.Errorf("the API server refuses it by field, not as a request: %v", clip(apiErr.Error()))
				}
			case !strings.Contains(apiErr.Error(), tc.field):
				t.Errorf("the API server does not name %s: %v", tc.field, clip(apiErr.Error()))
			}
			if code != 1 || !names(lines, tc.field) {
				t.Errorf("pledge validate: exit %d, want 1 with a problem on %s; stderr:\n%s", code, tc.field, clip(stderr))
			}
			if t.Failed() && apiErr != nil {
				t.Logf("API server: %s", clip(apiErr.Error()))
			}
		})
	}
}

// object decodes a YAML document for the client.
func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// clip shortens output that may quote a 50 MB value.
func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}
