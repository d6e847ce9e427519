package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const opensloFixtures = "../../internal/openslo/testdata/import"

// TestOpenSLOCommands runs import and export end to end on the fixture directory: the imported
// files pass pledge validate and render, their export imports back to the same files, and
// pledge validate accepts the export of the canonical sample after import.
func TestOpenSLOCommands(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first")
	code, _, stderr := cliRun(t, nil, "import", "openslo", "-f", opensloFixtures, "-o", first, "-n", "shop")
	if code != 0 {
		t.Fatalf("import exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "note: DataSource prom: spec.connectionDetails: not imported") {
		t.Errorf("the DataSource is not reported:\n%s", stderr)
	}
	entries, err := os.ReadDir(first)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"shop_checkout.yaml", "shop_payments-availability.yaml", "shop_payments-latency.yaml"}; !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	if code, stdout, stderr := cliRun(t, nil, "validate", "-f", first); code != 0 || !strings.Contains(stdout, "3 standard(s) valid") {
		t.Fatalf("validate exit %d: %s%s", code, stdout, stderr)
	}
	for _, format := range []string{"rules", "alertmanager"} {
		if code, _, stderr := cliRun(t, nil, "render", "-f", first, "--format", format); code != 0 {
			t.Fatalf("render --format %s exit %d: %s", format, code, stderr)
		}
	}

	code, exported, stderr := cliRun(t, nil, "export", "openslo", "-f", first, "--strict")
	if code != 0 {
		t.Fatalf("export --strict of imported standards exit %d:\n%s", code, stderr)
	}
	for _, kind := range []string{"kind: Service\n", "kind: SLO\n", "kind: AlertPolicy\n"} {
		if !strings.Contains(exported, kind) {
			t.Errorf("export has no %s", strings.TrimSpace(kind))
		}
	}
	second := filepath.Join(dir, "second")
	code, _, stderr = cliRun(t, strings.NewReader(exported), "import", "openslo", "-f", "-", "-o", second, "-n", "shop", "--strict")
	if code != 0 {
		t.Fatalf("import --strict of the export exit %d:\n%s", code, stderr)
	}
	for _, name := range names {
		a, _ := os.ReadFile(filepath.Join(first, name))
		b, err := os.ReadFile(filepath.Join(second, name))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s changed in the round trip (%v):\n%s\n---\n%s", name, err, a, b)
		}
	}
}

// TestOpenSLOStrict: what does not map is reported on stderr; only --strict makes it fail.
func TestOpenSLOStrict(t *testing.T) {
	in := `apiVersion: openslo/v1
kind: SLO
metadata: {name: pay}
spec:
  service: pay
  timeWindow: [{duration: 1M, calendar: {startTime: "2024-01-15 00:00:00", timeZone: UTC}}]
  budgetingMethod: Occurrences
  indicator:
    metadata: {name: pay}
    spec:
      ratioMetric: {counter: true, good: {metricSource: {type: Prometheus, spec: {query: ok_total}}}, total: {metricSource: {type: Prometheus, spec: {query: all_total}}}}
  objectives: [{displayName: ok, target: 0.99}]
`
	dir := cliWrite(t, map[string]string{"pay.yaml": in})
	want := "SLO pay: spec.timeWindow[0].calendar.startTime: 2024-01-15 00:00:00 is not supported: Pledge's periods start at midnight on the first day of each month"
	code, stdout, stderr := cliRun(t, nil, "import", "openslo", "-f", dir)
	if code != 0 || !strings.Contains(stderr, want) || !strings.Contains(stdout, "kind: ServiceStandard") {
		t.Errorf("without --strict: exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	if code, _, stderr := cliRun(t, nil, "import", "openslo", "-f", dir, "--strict"); code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("with --strict: exit %d, stderr:\n%s", code, stderr)
	}
	// Nothing maps: exit 1 without --strict too.
	timeslices := strings.Replace(in, "Occurrences", "Timeslices", 1)
	if code, _, stderr := cliRun(t, strings.NewReader(timeslices), "import", "openslo", "-f", "-"); code != 1 || !strings.Contains(stderr, "no SLO maps to a ServiceStandard") {
		t.Errorf("timeslices only: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestOpenSLOExportSample exports the canonical sample: what OpenSLO cannot hold (later
// escalation tiers, informed receivers, time intervals, the runbook) is reported, --strict
// fails on it, and the export still imports into a valid standard.
func TestOpenSLOExportSample(t *testing.T) {
	code, stdout, stderr := cliRun(t, nil, "export", "openslo", "-f", cliSample)
	if code != 0 {
		t.Fatalf("export exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{
		"ServiceStandard shop/checkout: spec.escalation: tier team-lead (after 30m) not exported: OpenSLO has no escalation tiers",
		"ServiceStandard shop/checkout: spec.escalation: informed receivers not exported: OpenSLO has no copies that never page",
		"ServiceStandard shop/checkout: spec.alerting.runbookURL: not exported: OpenSLO alert policies have no such setting",
		"ServiceStandard shop/checkout: spec.owners: not exported: OpenSLO has no owners",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("missing %q in:\n%s", want, stderr)
		}
	}
	if code, _, _ := cliRun(t, nil, "export", "openslo", "-f", cliSample, "--strict"); code != 1 {
		t.Errorf("export --strict exit %d, want 1", code)
	}
	dir := t.TempDir()
	if code, _, stderr := cliRun(t, strings.NewReader(stdout), "import", "openslo", "-f", "-", "-o", dir, "-n", "shop"); code != 0 {
		t.Fatalf("import of the export exit %d:\n%s", code, stderr)
	}
	if code, stdout, stderr := cliRun(t, nil, "validate", "-f", dir); code != 0 {
		t.Fatalf("validate exit %d: %s%s", code, stdout, stderr)
	}
}
