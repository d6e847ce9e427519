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
