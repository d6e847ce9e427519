package render_test

import (
	"testing"
	"time"

	"github.com/pledge-dev/pledge/internal/render"
)

// quarterlyStandard promises 95% over the calendar quarter: a 5% budget. Over a 92-day
// quarter the fast page pair's own factor is 2% × 2208h ÷ 1h = 44.16, an error ratio of 220.8%
// that no traffic reaches; it is clamped to its factor over 30 days, 14.4 (72% errors).
const quarterlyStandard = `
metadata: {name: tickets, namespace: support}
spec:
  service: helpdesk
  calendar: {period: quarter, timeZone: America/New_York}
  objectives:
    - name: resolution
      target: "95"
      ratio:
        errors: http_requests_total{job="checkout",code="500"}
        total: http_requests_total{job="checkout"}
`

// TestQuarterlyObjectivePages: a quarterly 95% objective, rendered for the third quarter of
// 2026 (92 days), pages on a real burn in Prometheus's own engine. 80% errors burn 16× the
// 5% budget: the 1h ratio passes the clamped 14.4 × 5% = 72% after 0.9h = 54m, the 5m window
// at once. The 1h ratio sums 5m rates over 55m, whose first window already holds minutes of
// the burn, so page-fast fires a few minutes either side of 54m (as the 30d standard's 2%
// burn fires at 40 to 47 minutes for its 43.2m).
// page-slow (18.4×, 92% errors: not clamped, it can fire) stays silent at 80%.
func TestQuarterlyObjectivePages(t *testing.T) {
	std := resolveAt(t, quarterlyStandard, time.Date(2026, 8, 15, 12, 0, 0, 0, time.UTC))
	factors := map[string]float64{}
	for _, w := range std.Windows {
		factors[w.Name] = w.Factor
	}
	if factors["page-fast"] != 14.4 || factors["page-slow"] != 18.4 {
		t.Fatalf("factors %v, want page-fast clamped to 14.4 and page-slow 5%% × 2208h ÷ 6h = 18.4", factors)
	}
	warm := 6 * time.Hour
	tl := simulate(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 0.8, warm, 0)), warm+90*time.Minute, time.Minute)
	within(t, "page-fast", tl.first(key("resolution", pageFast)), warm+49*time.Minute, warm+58*time.Minute)
	never(t, tl, key("resolution", pageSlow))
}
