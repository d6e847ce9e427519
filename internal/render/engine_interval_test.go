package render_test

// The same rendered rules must alert as the math says whether a series is scraped every 15s or
// every 5m. The recorded rates use a 5m range, and fall back to 20m where 5m holds fewer than
// two samples of a series (every 5m scrape): the bounds below allow for that wider range
// ("eff") and for the scrape interval itself (a change is seen one scrape late at worst).

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pledge-dev/pledge/internal/render"
)

var scrapeIntervals = []time.Duration{15 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// effRange is the range the recorded rates really cover for a series scraped every scrape:
// 5m while it holds two samples, else the 20m fallback.
func effRange(scrape time.Duration) time.Duration {
	if 2*scrape <= 5*time.Minute {
		return 5 * time.Minute
	}
	return 20 * time.Minute
}

func forEachInterval(t *testing.T, f func(t *testing.T, scrape time.Duration)) {
	for _, scrape := range scrapeIntervals {
		t.Run("scrape "+scrape.String(), func(t *testing.T) {
			t.Parallel()
			f(t, scrape)
		})
	}
}

func TestEveryScrapeIntervalPagesOnAnOutage(t *testing.T) {
	std := resolve(t, ratioStandard)
	forEachInterval(t, func(t *testing.T, scrape time.Duration) {
		warm := 6 * time.Hour
		// 100% errors: the first sample after the onset shows the burn (≤ one scrape); the 1h
		// ratio needs 52s of outage at 14.4×; with a 20m rate the short window sees a quarter
		// of the burn at once. Both bounds are met within two scrapes and five minutes.
		tl := simulateScraped(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 1, warm, 0)), warm+40*time.Minute, time.Minute, scrape)
		within(t, "page-fast", tl.first(key("availability", pageFast)), warm, warm+2*scrape+5*time.Minute)
		never(t, tl, "availability nodata")
	})
}

func TestEveryScrapeIntervalTicketsASlowBurnAndNeverPages(t *testing.T) {
	std := resolve(t, ratioStandard)
	forEachInterval(t, func(t *testing.T, scrape time.Duration) {
		warm := 24 * time.Hour
		// 0.25% errors burn 2.5×: pages need 6× or more. The 3d window holds the day of clean
		// history plus τ: 0.25%·τ/(24h+τ) passes 0.1% at τ = 16h; the 6h short window passed at once.
		tl := simulateScraped(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 0.0025, warm, 0)), warm+24*time.Hour, 5*time.Minute, scrape)
		never(t, tl, key("availability", pageFast), key("availability", pageSlow), "availability nodata")
		within(t, "ticket", tl.first(key("availability", ticket)), warm+16*time.Hour-10*time.Minute, warm+16*time.Hour+effRange(scrape)+10*time.Minute)
	})
}

func TestEveryScrapeIntervalStaysQuietOnBudgetNeutralTraffic(t *testing.T) {
	std := resolve(t, ratioStandard)
	forEachInterval(t, func(t *testing.T, scrape time.Duration) {
		// Exactly 0.1% errors spends the budget exactly over the window: burn 1, never above.
		// (The budget it leaves is 0%: the budget-left tickets rightly say so.)
		tl := simulateScraped(t, []*render.Standard{std}, ratioTraffic(constant(0.001)), 48*time.Hour, 5*time.Minute, scrape)
		if k := tl.burnKeys(); len(k) > 0 {
			t.Errorf("alerts fired on budget-neutral traffic: %v", k)
		}
	})
}

func TestEveryScrapeIntervalRecovers(t *testing.T) {
	std := resolve(t, ratioStandard)
	forEachInterval(t, func(t *testing.T, scrape time.Duration) {
		warm, stop := 6*time.Hour, 7*time.Hour
		// 2% errors page through the fast pair at about +43m; errors stop at +1h. The short
		// window empties one range (plus a scrape) later; the page keeps firing keepFiringFor.
		tl := simulateScraped(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 0.02, warm, stop)), stop+90*time.Minute, time.Minute, scrape)
		k := key("availability", pageFast)
		if !tl.firingAt(k, stop-time.Minute) {
			t.Fatalf("page-fast must fire before recovery (first at %v)", tl.first(k))
		}
		last := tl.lastFiring(k)
		if hi := stop + effRange(scrape) + scrape + time.Minute + render.DefaultKeepFiringFor; last > hi {
			t.Errorf("page-fast still fired at %v, want resolved by %v", last, hi)
		}
		if last < stop+render.DefaultKeepFiringFor {
			t.Errorf("page-fast resolved at %v, before keepFiringFor after recovery", last)
		}
	})
}

func TestEveryScrapeIntervalPagesEachGradedClassOnItsOwn(t *testing.T) {
	std := resolve(t, gradedStandard)
	forEachInterval(t, func(t *testing.T, scrape time.Duration) {
		// p1: from 1h on, every incident misses 4h against a 5% budget: burn 20, so the 1h
		// ratio passes 14.4 × 5% = 72% after 0.72h ≈ 43m. p2: always within 24h: nothing.
		in := append(
			histogram("incident_resolution_duration_seconds", "14400.0", 0.05, stepFn(0, 1, time.Hour, 0), "service", "checkout", "priority", "p1"),
			histogram("incident_resolution_duration_seconds", "86400", 0.05, constant(0), "service", "checkout", "priority", "p2")...)
		tl := simulateScraped(t, []*render.Standard{std}, in, 3*time.Hour, time.Minute, scrape)
		within(t, "p1 page-fast", tl.first(key("incident-resolution-p1", pageFast)), time.Hour+38*time.Minute, time.Hour+43*time.Minute+effRange(scrape)+scrape)
		never(t, tl, key("incident-resolution-p2", pageFast), key("incident-resolution-p2", pageSlow), key("incident-resolution-p2", ticket),
			"incident-resolution-p1 nodata", "incident-resolution-p2 nodata")
	})
}

func TestNoDataAlert(t *testing.T) {
	std := resolve(t, ratioStandard)
	forEachInterval(t, func(t *testing.T, scrape time.Duration) {
		gone := 2 * time.Hour
		present := series{labels: labels.FromStrings("__name__", "http_requests_total", "job", "checkout", "code", "200"), rate: constant(0)}
		vanishing := series{labels: labels.FromStrings("__name__", "http_requests_total", "job", "other", "code", "200"),
			value: func(at time.Duration) (float64, bool) { return 1, at < gone }}
		other := resolve(t, `
metadata: {name: other, namespace: shop}
spec:
  service: other
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="other",code="500"}
        total: http_requests_total{job="other"}
`)
		tl := simulateScraped(t, []*render.Standard{std, other}, []series{present, vanishing}, gone+40*time.Minute, time.Minute, scrape)
		// checkout's total series is present and idle: no alert at all, ever.
		firedFor := map[string]bool{}
		for i, f := range tl.firing {
			for k := range f {
				if time.Duration(i)*time.Minute < gone {
					firedFor[k] = true
				}
			}
		}
		if len(firedFor) > 0 {
			t.Errorf("alerts fired while every series was present: %v", firedFor)
		}
		// other's series stops at 2h (last sample at most one scrape earlier); Prometheus finds
		// it absent once the 5m lookback passes the last sample (at once for a series marked
		// stale), and the no-data ticket fires when it has been absent for 10m.
		within(t, "no-data", tl.first("availability nodata"), gone+15*time.Minute-scrape, gone+16*time.Minute)
		a := tl.annot["availability nodata"]
		if want := `http_requests_total{job="other"}`; a == nil || !strings.Contains(a["description"], want) {
			t.Errorf("no-data description must name the missing series %s: %q", want, a["description"])
		}
	})
}

// A burn that dips below the page threshold for a few evaluations must not send the tiers
// back to the start: tier 2 fires 30m after the first page, on schedule. The slow page pair is
// off here, so that the dip clears every page condition (its 30m short window would ride
// through the dip on its own).
func TestEscalationSurvivesADip(t *testing.T) {
	tiers := `
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: "http://pager.test/"}]}]
      - name: team-lead
        after: 30m
        receivers: [{name: lead, webhookConfigs: [{url: "http://lead.test/"}]}]
`
	warm := 6 * time.Hour
	dipFrom, dipTo := warm+15*time.Minute, warm+23*time.Minute
	share := func(at time.Duration) float64 {
		if at >= warm && (at < dipFrom || at >= dipTo) {
			return 1
		}
		return 0
	}
	for name, tc := range map[string]struct {
		keep   string
		onTime bool
	}{
		"default keepFiringFor holds the tiers": {keep: "", onTime: true},
		// Control: with a keepFiringFor shorter than the dip the tiers start over.
		"a short keepFiringFor lets the dip reset them": {keep: "1m", onTime: false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			alerting := "  alerting: {windows: [{name: page-slow, disabled: true}]}\n"
			if tc.keep != "" {
				alerting = "  alerting: {windows: [{name: page-slow, disabled: true}], keepFiringFor: " + tc.keep + "}\n"
			}
			doc := ratioStandard + alerting + tiers
			std := resolve(t, doc)
			tl := simulate(t, []*render.Standard{std}, ratioTraffic(share), warm+time.Hour, time.Minute)
			page := tl.first("availability tier1")
			within(t, "tier 1", page, warm, warm+5*time.Minute)
			// The dip really clears the page condition: the 5m short window reads no errors.
			sel := fmt.Sprintf(`{%s="checkout",%s="availability"}`, render.LabelStandard, render.LabelObjective)
			v := tl.query(render.SeriesErrors+sel, dipTo-time.Minute)
			if len(v) != 1 || v[0].F != 0 {
				t.Fatalf("the dip must empty the 5m error rate, got %v", v)
			}
			tier2 := tl.first("availability tier2")
			if tc.onTime {
				within(t, "tier 2", tier2, page+30*time.Minute-time.Minute, page+31*time.Minute)
			} else if tier2 >= 0 && tier2 <= page+31*time.Minute {
				t.Errorf("with keepFiringFor 1m the dip must reset tier 2, but it fired on schedule at %v", tier2)
			}
		})
	}
	// A burn that really ends lets the tiers resolve with the last page, keepFiringFor after
	// every page condition has cleared (page-slow's 30m short window clears last).
	t.Run("tiers resolve after the burn ends", func(t *testing.T) {
		t.Parallel()
		std := resolve(t, ratioStandard+tiers)
		stop := warm + 45*time.Minute
		tl := simulate(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 1, warm, stop)), stop+time.Hour, time.Minute)
		if !tl.firingAt("availability tier2", stop-time.Minute) {
			t.Fatalf("tier 2 must fire before the burn ends")
		}
		last := tl.lastFiring("availability tier2")
		if last < stop+render.DefaultKeepFiringFor || last > stop+32*time.Minute+render.DefaultKeepFiringFor {
			t.Errorf("tier 2 last fired at %v; want between %v and %v", last, stop+render.DefaultKeepFiringFor, stop+32*time.Minute+render.DefaultKeepFiringFor)
		}
		lastPage := max(tl.lastFiring(key("availability", pageFast)), tl.lastFiring(key("availability", pageSlow)))
		if last != lastPage {
			t.Errorf("tier 2 must resolve with the last page: tier 2 last fired at %v, the pages at %v", last, lastPage)
		}
	})
}

// Compliance reads the hourly totals: they must count the hour's events whatever the scrape
// interval, so that attainment is as true for a 5m-scraped series as for a 15s-scraped one.
func TestEveryScrapeIntervalCountsHourlyTotals(t *testing.T) {
	std := resolve(t, ratioStandard)
	forEachInterval(t, func(t *testing.T, scrape time.Duration) {
		tl := simulateScraped(t, []*render.Standard{std}, ratioTraffic(constant(0.02)), 3*time.Hour, time.Minute, scrape)
		sel := `{namespace="shop",service_standard="checkout",objective="availability"}`
		for series, want := range map[string]float64{render.SeriesEventsHourly: 36_000, render.SeriesErrorsHourly: 720} {
			v := tl.query(series+sel, 3*time.Hour)
			if len(v) != 1 || math.Abs(v[0].F-want) > want*1e-6 {
				t.Errorf("%s = %v, want %v (10 events/s for an hour)", series, v, want)
			}
		}
		v := tl.query(`sum_over_time(`+render.SeriesErrorsHourly+sel+`[2h]) / sum_over_time(`+render.SeriesEventsHourly+sel+`[2h])`, 3*time.Hour)
		if len(v) != 1 || math.Abs(v[0].F-0.02) > 1e-9 {
			t.Errorf("window error ratio from hourly totals = %v, want 0.02", v)
		}
	})
}
