package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cmdInputs writes one 99.9%, 30-day ratio objective per service svcI (I = 0..N-1), with each
// tool's default alerting, as:
//
//	DIR/pledge/standards.yaml  N ServiceStandards of one objective each
//	DIR/sloth/svcI.yaml        N prometheus/v1 specs of one SLO each (one per file: from a
//	                           multi-document input sloth writes a multi-document rule file,
//	                           of which Prometheus loads only the first document)
//	DIR/pyrra/svcI.yaml        N ServiceLevelObjectives (pyrra generate reads one per file)
func cmdInputs(args []string) error {
	fs := flag.NewFlagSet("inputs", flag.ExitOnError)
	n := fs.Int("n", 200, "number of objectives (one per service)")
	out := fs.String("out", "", "output directory")
	_ = fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	for _, d := range []string{"pledge", "sloth", "pyrra"} {
		if err := os.MkdirAll(filepath.Join(*out, d), 0o755); err != nil {
			return err
		}
	}
	var pledge strings.Builder
	for i := range *n {
		svc := fmt.Sprintf("svc%d", i)
		errs := fmt.Sprintf(`http_requests_total{job="%s",code=~"5.."}`, svc)
		total := fmt.Sprintf(`http_requests_total{job="%s"}`, svc)
		fmt.Fprintf(&pledge, `---
apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: %[1]s, namespace: bench}
spec:
  service: %[1]s
  window: 30d
  owners: {responsible: team, accountable: lead}
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: '%[2]s'
        total: '%[3]s'
`, svc, errs, total)
		sloth := fmt.Sprintf(`version: prometheus/v1
service: %[1]s
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: 'sum(rate(%[2]s[{{.window}}]))'
        total_query: 'sum(rate(%[3]s[{{.window}}]))'
    alerting:
      name: HighErrorRate
`, svc, errs, total)
		if err := os.WriteFile(filepath.Join(*out, "sloth", svc+".yaml"), []byte(sloth), 0o644); err != nil {
			return err
		}
		pyrra := fmt.Sprintf(`apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: %[1]s-availability, namespace: bench}
spec:
  target: "99.9"
  window: 30d
  indicator:
    ratio:
      errors: {metric: '%[2]s'}
      total: {metric: '%[3]s'}
`, svc, errs, total)
		if err := os.WriteFile(filepath.Join(*out, "pyrra", svc+".yaml"), []byte(pyrra), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(*out, "pledge", "standards.yaml"), []byte(pledge.String()), 0o644)
}
