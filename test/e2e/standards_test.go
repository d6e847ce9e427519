package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/internal/render"
)

// The escalation delays of the test standards: short, so that the whole path runs in a minute.
const (
	checkoutTier2 = 20 * time.Second // team-lead
	checkoutTier3 = 40 * time.Second // director, only inside "never-now"
	paymentsTier2 = 25 * time.Second // team-lead of the silenced standard
)

// standardsYAML is two ServiceStandards in namespace shop with inline escalation. Every
// receiver is a webhook to hook(path) with a distinct path:
//
//   - checkout: one ratio objective (99.9%) on job="checkout"; tier 1 on-call at once (/tier1),
//     tier 2 team-lead after 20s (/tier2), tier 3 director after 40s (/tier3) but only inside the
//     time interval never-now, which excludes the UTC weekday of now and of the next day;
//     informed (/informed) and tickets (/tickets).
//   - payments: one ratio objective on job="payments"; tier 1 (/payments/tier1), tier 2 after 25s
//     (/payments/tier2); tickets default to tier 1.
//
// Both keep their pages firing for 5s after the burn ends (alerting.keepFiringFor), so that
// recovery is seen within the test's timeouts.
func standardsYAML(hook func(path string) string, now time.Time) string {
	receiver := func(name, path string) string {
		return fmt.Sprintf("{name: %s, webhookConfigs: [{url: %q, sendResolved: true}]}", name, hook(path))
	}
	return fmt.Sprintf(`apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
  # The ticket pair over 1h/10m, evaluated with the pages: the default 3d/6h one is evaluated
  # every 5m (docs/alerting.md), too seldom for a test of seconds.
  alerting:
    keepFiringFor: 5s
    windows: [{name: ticket, severity: ticket, long: 1h, short: 10m, budgetPercent: "1"}]
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [%s]
      - name: team-lead
        after: %s
        receivers: [%s]
      - name: director
        after: %s
        activeTimeIntervals: [never-now]
        receivers: [%s]
    informed: [%s]
    tickets: [%s]
    timeIntervals:
      - name: never-now
        timeIntervals:
          - weekdays: [%s]
---
apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: payments, namespace: shop}
spec:
  service: payments
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="payments",code=~"5.."}
        total: http_requests_total{job="payments"}
  alerting: {keepFiringFor: 5s}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [%s]
      - name: team-lead
        after: %s
        receivers: [%s]
`,
		receiver("pager", "/tier1"),
		checkoutTier2, receiver("lead", "/tier2"),
		checkoutTier3, receiver("director", "/tier3"),
		receiver("status", "/informed"),
		receiver("jira", "/tickets"),
		strings.Join(weekdaysExcluding(now), ", "),
		receiver("pager", "/payments/tier1"),
		paymentsTier2, receiver("lead", "/payments/tier2"),
	)
}

// weekdaysExcluding lists the weekdays other than now's and the next day's in UTC (the zone
// Alertmanager evaluates them in), so that an interval of them is inactive for the whole test
// even across midnight.
func weekdaysExcluding(now time.Time) []string {
	today, tomorrow := now.UTC().Weekday(), now.UTC().Add(24*time.Hour).Weekday()
	var days []string
	for d := time.Sunday; d <= time.Saturday; d++ {
		if d != today && d != tomorrow {
			days = append(days, strings.ToLower(d.String()))
		}
	}
	return days
}

// renderStandards loads the standards with internal/manifest, as pledge render does, and returns the
// plain rule file and Alertmanager configuration.
func renderStandards(t *testing.T, standards string) (rules, alertmanager []byte) {
	t.Helper()
	resolved := resolveStandards(t, standards)
	rules, err := render.RulesFile(resolved)
	if err != nil {
		t.Fatal(err)
	}
	alertmanager, err = render.AlertmanagerFile(resolved, render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	return rules, alertmanager
}

// resolveStandards loads and resolves the standards with internal/manifest, as pledge render does.
func resolveStandards(t *testing.T, standards string) []*render.Standard {
	t.Helper()
	path := filepath.Join(t.TempDir(), "standards.yaml")
	if err := os.WriteFile(path, []byte(standards), 0o644); err != nil {
		t.Fatal(err)
	}
	set, problems := manifest.Load([]string{path}, nil)
	if len(problems) > 0 {
		t.Fatalf("load: %v", problems)
	}
	resolved, problems := set.Resolve()
	if len(problems) > 0 {
		t.Fatalf("resolve: %v", problems)
	}
	if len(resolved) == 0 {
		t.Fatal("no standards resolved")
	}
	return resolved
}

// fastRoot sets the timers of the rendered configuration's root route — which the routing
// documentation leaves to the operator to merge — to test speed: a new group is notified after
// 1s, changes to it after 1s, and nothing is repeated within the test. Pledge's subtrees inherit
// them.
func fastRoot(t *testing.T, alertmanager []byte) string {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal(alertmanager, &cfg); err != nil {
		t.Fatal(err)
	}
	route, ok := cfg["route"].(map[string]any)
	if !ok {
		t.Fatalf("rendered configuration has no root route:\n%s", alertmanager)
	}
	route["group_wait"] = "1s"
	route["group_interval"] = "1s"
	route["repeat_interval"] = "1h"
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
