package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pledge-dev/pledge/internal/render"
)

// budgetStandard has a 1% budget over 7d, and a second objective that stays clean.
const budgetStandard = `
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  window: 7d
  objectives:
    - name: availability
      target: "99"
      ratio:
        errors: http_requests_total{job="checkout",code="500"}
        total: http_requests_total{job="checkout"}
    - name: probe
      target: "99.5"
      bool:
        selector: probe_success{job="checkout"}
`

// TestBudgetLeftTicketsFireWhenTheBudgetSays evaluates the hourly group on the hour, as
// Prometheus does, over a day of clean traffic and then 2% errors (twice the budget).
func TestBudgetLeftTicketsFireWhenTheBudgetSays(t *testing.T) {
	std := resolve(t, budgetStandard)
	warm := 24 * time.Hour
	probe := series{labels: labels.FromStrings("__name__", "probe_success", "job", "checkout"),
		value: func(time.Duration) (float64, bool) { return 1, true }}
	cases := map[string]struct {
		share func(time.Duration) float64
		d     time.Duration
		check func(t *testing.T, tl *timeline)
	}{
		// The 7d window holds the day of clean traffic and τ at 2%: budget left is
		// 1 - 2τ/(24h+τ). It reaches 25% at τ = 14.4h (26.3% at 14h, 23.1% at 15h) and 0% at
		// τ = 24h (2.1% at 23h, -2.0% at 25h). The tickets fire on the first hour past that.
		"2% errors cross 25% and then 0%": {
			share: stepFn(0, 0.02, warm, 0), d: warm + 26*time.Hour,
			check: func(t *testing.T, tl *timeline) {
				within(t, "25%", tl.first(budgetKey("availability", "25")), warm+15*time.Hour, warm+15*time.Hour)
				within(t, "0%", tl.first(budgetKey("availability", "0")), warm+24*time.Hour, warm+25*time.Hour)
				if !tl.firingAt(budgetKey("availability", "25"), warm+26*time.Hour) {
					t.Errorf("the 25%% ticket must keep firing while the budget stays low")
				}
				a := tl.annot[budgetKey("availability", "0")]
				for _, want := range []string{"promises 99% good events over 1w", "% of its error budget is left, at or below the 0% threshold"} {
					if !strings.Contains(a["description"], want) {
						t.Errorf("description %q does not say %q", a["description"], want)
					}
				}
				if !strings.HasPrefix(a["summary"], "checkout availability: -") {
					t.Errorf("summary %q does not name the objective and the negative budget left", a["summary"])
				}
				never(t, tl, budgetKey("probe", "25"), budgetKey("probe", "0"))
				// The contract labels, the objective's from the hourly totals.
				v := tl.query(`ALERTS{alertname="PledgeErrorBudgetLow",alertstate="firing",namespace="shop",service_standard="checkout",`+
					`service="checkout",objective="availability",severity="ticket",budget_left_threshold="0"}`, warm+26*time.Hour)
				if len(v) != 1 {
					t.Errorf("firing 0%% ticket with the contract labels: %v", v)
				}
			},
		},
		// 0.7% errors leave 30% of the budget, whatever the window holds: above 25%, no ticket.
		"budget left above the threshold never fires": {
			share: constant(0.007), d: 48 * time.Hour,
			check: func(t *testing.T, tl *timeline) {
				never(t, tl, budgetKey("availability", "25"), budgetKey("availability", "0"))
				v := tl.query(`min(ALERTS{alertname="PledgeErrorBudgetLow"}) or vector(-1)`, 48*time.Hour)
				if len(v) != 1 || v[0].F != -1 {
					t.Errorf("ALERTS = %v, want none", v)
				}
			},
		},
		// Exactly 1% errors spend exactly the budget: 0% left is exhausted (BudgetExhausted is
		// True at or below zero), so both tickets fire from the first hourly totals on, and
		// stay firing despite floating-point noise around zero.
		"budget-neutral traffic is an exhausted budget": {
			share: constant(0.01), d: 12 * time.Hour,
			check: func(t *testing.T, tl *timeline) {
				for _, th := range []string{"25", "0"} {
					k := budgetKey("availability", th)
					for at := 2 * time.Hour; at <= 12*time.Hour; at += time.Hour {
						if !tl.firingAt(k, at) {
							t.Errorf("%s not firing at %v (first %v)", k, at, tl.first(k))
						}
					}
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tl := simulate(t, []*render.Standard{std}, append(ratioTraffic(tc.share), probe), tc.d, 5*time.Minute)
			tc.check(t, tl)
		})
	}
}
