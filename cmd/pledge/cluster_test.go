package main

import (
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// pledgeSelectorRE finds every selector of Pledge's own series and of ALERTS in a rule.
var pledgeSelectorRE = regexp.MustCompile(`(pledge:[a-z_:0-9]+|ALERTS)\{[^}]*\}`)

// pledge render --cluster-label labels every rule and matches the cluster in every selector
// of Pledge's own series and alerts, as the manager generates them.
func TestRenderClusterLabel(t *testing.T) {
	std, policy := cliSampleDocs(t)
	dir := cliWrite(t, map[string]string{"s.yaml": std + "---\n" + policy})
	code, out, stderr := cliRun(t, nil, "render", "-f", dir, "--format", "rules", "--cluster-label", "cluster=eu-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Record, Alert, Expr string
				Labels              map[string]string
			}
		}
	}
	if err := yaml.Unmarshal([]byte(out), &f); err != nil {
		t.Fatal(err)
	}
	rules, selectors := 0, 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			rules++
			if r.Labels["cluster"] != "eu-1" {
				t.Errorf("%s%s: labels %v lack cluster=eu-1", r.Record, r.Alert, r.Labels)
			}
			for _, sel := range pledgeSelectorRE.FindAllString(r.Expr, -1) {
				selectors++
				if !strings.Contains(sel, `cluster="eu-1"`) {
					t.Errorf("%s%s: selector %s does not match the cluster", r.Record, r.Alert, sel)
				}
			}
		}
	}
	if rules == 0 || selectors == 0 {
		t.Fatalf("no rules (%d) or selectors of Pledge's series (%d) in %s", rules, selectors, out)
	}

	code, _, stderr = cliRun(t, nil, "render", "-f", dir, "--cluster-label", "cluster")
	if code == 0 || !strings.Contains(stderr, `--cluster-label "cluster": want name=value`) {
		t.Errorf("render --cluster-label cluster: exit %d, stderr %q", code, stderr)
	}
}

// An objective grouped by the cluster label's name is refused, naming the field: the cluster
// label would replace the grouped label on every series.
func TestRenderClusterLabelGroupBy(t *testing.T) {
	dir := cliWrite(t, map[string]string{"s.yaml": `apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: api, namespace: shop}
spec:
  service: api
  objectives:
    - name: availability
      target: "99.9"
      groupBy: [route, region]
      ratio: {errors: 'http_requests_total{code="500"}', total: http_requests_total}
`})
	code, _, stderr := cliRun(t, nil, "render", "-f", dir, "--format", "rules", "--cluster-label", "region=eu-1")
	if code != 1 || !strings.Contains(stderr, "spec.objectives[0].groupBy[1]") || !strings.Contains(stderr, "--cluster-label") {
		t.Errorf("groupBy the cluster label: exit %d, stderr %q; want 1 naming spec.objectives[0].groupBy[1]", code, stderr)
	}
	if code, _, stderr := cliRun(t, nil, "render", "-f", dir, "--format", "rules", "--cluster-label", "cluster=eu-1"); code != 0 {
		t.Errorf("another cluster label: exit %d: %s", code, stderr)
	}
}
