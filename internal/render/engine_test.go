package render_test

// Behaviour tests: the rendered rule file is loaded into Prometheus's own rule manager and
// evaluated minute by minute over synthetic series, so alerts are seen to fire when, and only
// when, the burn-rate math says. The expected times are derived in comments next to each case.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/promslog"
	promhistogram "github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/util/teststorage"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// series is one synthetic input. For a counter, rate gives its increase per second at each
// moment; for a gauge, value gives the sample value. A nil result means "no sample".
type series struct {
	labels labels.Labels
	rate   func(at time.Duration) float64
	value  func(at time.Duration) (float64, bool)
	// native, when set, makes the series a native histogram of durations: rate observations
	// per second, of which the share native(at) are slow (nativeSlow seconds), the rest fast
	// (nativeFast seconds).
	native func(at time.Duration) float64
}

// Observed durations of a native histogram series: in schema 0's buckets (0.0625, 0.125] and
// (2, 4].
const nativeFast, nativeSlow = 0.1, 3.0

// nativeHistogram is a cumulative native histogram (schema 0) of fast and slow observations.
func nativeHistogram(fast, slow float64) *promhistogram.FloatHistogram {
	return &promhistogram.FloatHistogram{
		CounterResetHint: promhistogram.NotCounterReset,
		Schema:           0,
		Count:            fast + slow,
		Sum:              fast*nativeFast + slow*nativeSlow,
		PositiveSpans:    []promhistogram.Span{{Offset: -3, Length: 1}, {Offset: 4, Length: 1}},
		PositiveBuckets:  []float64{fast, slow},
	}
}

// timeline records, for every evaluation, which alerts were firing.
type timeline struct {
	step   time.Duration
	firing []map[string]bool
	annot  map[string]map[string]string // last annotations seen per alert key
	errors []string
	// query evaluates a PromQL expression at a moment of the simulation.
	query func(expr string, at time.Duration) promql.Vector
}

// alertKey names an alert by what distinguishes its rules: objective and window pair, or tier;
// prefixed by the value of its cluster label, when it has one, and followed by the value of
// its route label (a groupBy label), when it has one.
func alertKey(l labels.Labels) string {
	if c := l.Get(clusterLabel); c != "" {
		return c + " " + alertKey(labels.NewBuilder(l).Del(clusterLabel).Labels())
	}
	if r := l.Get(routeLabel); r != "" {
		return routeKey(alertKey(labels.NewBuilder(l).Del(routeLabel).Labels()), r)
	}
	if l.Get(labels.AlertName) == render.AlertNoData {
		return l.Get(render.LabelObjective) + " nodata"
	}
	if l.Get(labels.AlertName) == render.AlertBudgetLow {
		return budgetKey(l.Get(render.LabelObjective), l.Get(render.LabelBudgetLeft))
	}
	if tier := l.Get(render.LabelTier); tier != "" {
		return fmt.Sprintf("%s tier%s", l.Get(render.LabelObjective), tier)
	}
	return fmt.Sprintf("%s %s %s/%s", l.Get(render.LabelObjective), l.Get(render.LabelSeverity), l.Get(render.LabelLong), l.Get(render.LabelShort))
}

const (
	pageFast = "/page 1h/5m"
	pageSlow = "/page 6h/30m"
	ticket   = "/ticket 3d/6h"
)

func key(objective, pair string) string { return objective + " " + strings.TrimPrefix(pair, "/") }

func budgetKey(objective, threshold string) string { return objective + " budget<=" + threshold }

// first returns when key first fired, or -1.
func (tl *timeline) first(key string) time.Duration {
	for i, f := range tl.firing {
		if f[key] {
			return time.Duration(i) * tl.step
		}
	}
	return -1
}

// lastFiring returns the last time key was firing, or -1.
func (tl *timeline) lastFiring(key string) time.Duration {
	for i := len(tl.firing) - 1; i >= 0; i-- {
		if tl.firing[i][key] {
			return time.Duration(i) * tl.step
		}
	}
	return -1
}

// firingAt reports whether key fired at the evaluation at (or just before) at.
func (tl *timeline) firingAt(key string, at time.Duration) bool {
	i := int(at / tl.step)
	return i < len(tl.firing) && tl.firing[i][key]
}

// keys lists every alert key that ever fired.
func (tl *timeline) keys() []string {
	set := map[string]bool{}
	for _, f := range tl.firing {
		for k := range f {
			set[k] = true
		}
	}
	return sortedSet(set)
}

// burnKeys lists every burn-rate, no-data and tier alert key that ever fired: all but the
// budget-left tickets, which fire on the budget spent, not on the rate it is spent at.
func (tl *timeline) burnKeys() []string {
	set := map[string]bool{}
	for _, f := range tl.firing {
		for k := range f {
			if !strings.Contains(k, " budget<=") {
				set[k] = true
			}
		}
	}
	return sortedSet(set)
}

func sortedSet(set map[string]bool) []string {
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// simulate renders standards into a rule file, loads it into Prometheus's rule manager and
// evaluates it every step for d, scraping the synthetic series every minute.
func simulate(t *testing.T, standards []*render.Standard, in []series, d, step time.Duration) *timeline {
	t.Helper()
	return simulateScraped(t, standards, in, d, step, time.Minute)
}

// simulateScraped is simulate with the synthetic series scraped every scrape.
func simulateScraped(t *testing.T, standards []*render.Standard, in []series, d, step, scrape time.Duration) *timeline {
	t.Helper()
	// One rule file per standard, as each cluster's Prometheus (or a ruler) loads its own:
	// standards of two clusters may share a namespace and name, so their groups' names.
	var paths []string
	for i, s := range standards {
		ruleFile, err := render.RulesFile([]*render.Standard{s})
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		path := filepath.Join(t.TempDir(), fmt.Sprintf("rules-%d.yaml", i))
		if err := os.WriteFile(path, ruleFile, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	db := teststorage.New(t)
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 50_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	ctx := context.Background()
	mgr := rules.NewManager(&rules.ManagerOptions{
		QueryFunc:    rules.EngineQueryFunc(engine, db),
		AppendableV2: db,
		Queryable:    db,
		Context:      ctx,
		Logger:       promslog.NewNopLogger(),
		NotifyFunc:   func(context.Context, string, ...*rules.Alert) {},
	})
	groups, errs := mgr.LoadGroups(step, labels.EmptyLabels(), "http://pledge.test", nil, false, paths...)
	if len(errs) > 0 {
		t.Fatalf("Prometheus refused the rendered rules: %v", errs)
	}
	var gs []*rules.Group
	for _, g := range groups {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Name() < gs[j].Name() })

	start := time.Unix(1_700_000_000, 0).UTC().Truncate(time.Hour)
	tl := &timeline{step: step, annot: map[string]map[string]string{}}
	tl.query = func(expr string, at time.Duration) promql.Vector {
		q, err := engine.NewInstantQuery(ctx, db, nil, expr, start.Add(at))
		if err != nil {
			t.Fatalf("query %s: %v", expr, err)
		}
		res := q.Exec(ctx)
		if res.Err != nil {
			t.Fatalf("query %s: %v", expr, res.Err)
		}
		v, err := res.Vector()
		if err != nil {
			t.Fatalf("query %s: %v", expr, err)
		}
		return v
	}
	counters, slowCounts := make([]float64, len(in)), make([]float64, len(in))
	var scraped time.Duration = -scrape
	for at := time.Duration(0); at <= d; at += step {
		app := db.Appender(ctx)
		for ; scraped+scrape <= at; scraped += scrape {
			ts := start.Add(scraped + scrape).UnixMilli()
			for i, s := range in {
				if s.value != nil {
					if v, ok := s.value(scraped + scrape); ok {
						if _, err := app.Append(0, s.labels, ts, v); err != nil {
							t.Fatal(err)
						}
					}
					continue
				}
				if scraped >= 0 {
					counters[i] += s.rate(scraped) * scrape.Seconds()
				}
				if s.native != nil {
					if scraped >= 0 {
						slowCounts[i] += s.rate(scraped) * s.native(scraped) * scrape.Seconds()
					}
					fast := counters[i] - slowCounts[i]
					if _, err := app.AppendHistogram(0, s.labels, ts, nil, nativeHistogram(fast, slowCounts[i])); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if _, err := app.Append(0, s.labels, ts, counters[i]); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		now := map[string]bool{}
		for _, g := range gs {
			// Each group at its own interval, as Prometheus does: the hourly group on the hour.
			if at%g.Interval() == 0 {
				g.Eval(ctx, start.Add(at))
			}
			if at == step {
				// As Prometheus does after a group's second evaluation: from then on its
				// alerting rules write the ALERTS series, which the escalation tiers read.
				g.RestoreForState(start.Add(at))
			}
			for _, r := range g.Rules() {
				if err := r.LastError(); err != nil {
					tl.errors = append(tl.errors, fmt.Sprintf("%s at %s: %v", r.Name(), at, err))
				}
				ar, ok := r.(*rules.AlertingRule)
				if !ok {
					continue
				}
				for _, a := range ar.ActiveAlerts() {
					if a.State == rules.StateFiring {
						k := alertKey(a.Labels)
						now[k] = true
						tl.annot[k] = a.Annotations.Map()
					}
				}
			}
		}
		tl.firing = append(tl.firing, now)
	}
	if len(tl.errors) > 0 {
		t.Fatalf("rule evaluation errors: %s", strings.Join(tl.errors[:min(5, len(tl.errors))], "; "))
	}
	return tl
}

// resolve decodes a standard written in YAML and resolves it.
func resolve(t *testing.T, doc string) *render.Standard {
	t.Helper()
	var std pledgev1.ServiceStandard
	if err := yaml.UnmarshalStrict([]byte(doc), &std); err != nil {
		t.Fatalf("decode: %v", err)
	}
	s, errs := render.Resolve(&std, nil)
	if len(errs) > 0 {
		t.Fatalf("resolve: %v", errs.ToAggregate())
	}
	return s
}

// stepFn returns before until at, then after until recover (if > 0), then before again.
func stepFn(before, after float64, at, recover time.Duration) func(time.Duration) float64 {
	return func(now time.Duration) float64 {
		if now >= at && (recover <= 0 || now < recover) {
			return after
		}
		return before
	}
}

func constant(v float64) func(time.Duration) float64 { return func(time.Duration) float64 { return v } }

const ratioStandard = `
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="checkout",code="500"}
        total: http_requests_total{job="checkout"}
`

// ratioTraffic is 10 requests/s, of which errShare(at) fail. The total counter is the sum of
// the per-code counters, as a real exporter's would be.
func ratioTraffic(errShare func(time.Duration) float64) []series {
	const rps = 10.0
	return []series{
		{labels: labels.FromStrings("__name__", "http_requests_total", "job", "checkout", "code", "200"),
			rate: func(at time.Duration) float64 { return rps * (1 - errShare(at)) }},
		{labels: labels.FromStrings("__name__", "http_requests_total", "job", "checkout", "code", "500"),
			rate: func(at time.Duration) float64 { return rps * errShare(at) }},
	}
}

func within(t *testing.T, what string, got, lo, hi time.Duration) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s: first fired at %v, want between %v and %v (never fired = -1ns)", what, got, lo, hi)
	}
}

func never(t *testing.T, tl *timeline, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if at := tl.first(k); at >= 0 {
			t.Errorf("%s fired at %v; it must never fire in this scenario", k, at)
		}
	}
}

func TestBurnRateAlertsFireWhenTheMathSays(t *testing.T) {
	std := resolve(t, ratioStandard)
	warm := 6 * time.Hour // clean history before the incident starts
	cases := map[string]struct {
		share func(time.Duration) float64
		d     time.Duration
		check func(t *testing.T, tl *timeline)
	}{
		// 100% errors: the 1h ratio passes 14.4 × 0.1% = 1.44% after 0.0144h ≈ 52s, the 5m
		// window at once; with 1m scrapes and 5m rates the page must be out within 5 minutes.
		"total outage pages within five minutes": {
			share: stepFn(0, 1, warm, 0), d: warm + 20*time.Minute,
			check: func(t *testing.T, tl *timeline) {
				within(t, "page-fast", tl.first(key("availability", pageFast)), warm, warm+5*time.Minute)
			},
		},
		// 2% errors burn 20×: page-fast fires once the 1h ratio passes 1.44%, 0.72h = 43.2m in;
		// page-slow once the 6h ratio passes 0.6%, 0.3 × 6h = 108m in.
		"2% errors page through the fast pair": {
			share: stepFn(0, 0.02, warm, 0), d: warm + 2*time.Hour + 30*time.Minute,
			check: func(t *testing.T, tl *timeline) {
				within(t, "page-fast", tl.first(key("availability", pageFast)), warm+40*time.Minute, warm+47*time.Minute)
				within(t, "page-slow", tl.first(key("availability", pageSlow)), warm+104*time.Minute, warm+112*time.Minute)
			},
		},
		// 0.8% errors burn 8×: never 14.4× (no page-fast); the 6h ratio passes 0.6% after
		// 0.75 × 6h = 4.5h (page-slow). The 3d window holds only the 6h of clean history plus τ,
		// so its ratio 0.8%·τ/(6h+τ) passes 0.1% at τ = 6h/7 ≈ 51m, as does the 6h short window
		// (ticket): a window longer than the data is the ratio over the data there is.
		"0.8% errors page through the slow pair only": {
			share: stepFn(0, 0.008, warm, 0), d: warm + 5*time.Hour,
			check: func(t *testing.T, tl *timeline) {
				never(t, tl, key("availability", pageFast))
				within(t, "page-slow", tl.first(key("availability", pageSlow)), warm+4*time.Hour+20*time.Minute, warm+4*time.Hour+40*time.Minute)
				within(t, "ticket", tl.first(key("availability", ticket)), warm+48*time.Minute, warm+56*time.Minute)
			},
		},
		// After a page at 2%, errors stop at +1h: the 5m short window clears within 5m (plus a
		// scrape), so the condition clears by +1h7m although the 1h window still shows the burn;
		// the page keeps firing for keepFiringFor (10m) after that, and no longer.
		"paging stops within the short window and keepFiringFor after recovery": {
			share: stepFn(0, 0.02, warm, warm+time.Hour), d: warm + 2*time.Hour,
			check: func(t *testing.T, tl *timeline) {
				k := key("availability", pageFast)
				if !tl.firingAt(k, warm+59*time.Minute) {
					t.Fatalf("page-fast must be firing before recovery")
				}
				if last := tl.lastFiring(k); last > warm+time.Hour+7*time.Minute+render.DefaultKeepFiringFor {
					t.Errorf("page-fast still fired at %v, more than the 5m short window and keepFiringFor after recovery at %v", last, warm+time.Hour)
				}
				if !tl.firingAt(k, warm+time.Hour+render.DefaultKeepFiringFor) {
					t.Errorf("page-fast must keep firing for keepFiringFor after its condition clears")
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tl := simulate(t, []*render.Standard{std}, ratioTraffic(tc.share), tc.d, time.Minute)
			tc.check(t, tl)
		})
	}
}

// Three days of clean history, then three days at a given error share, evaluated every 5m.
func TestTicketsOverThreeDays(t *testing.T) {
	std := resolve(t, ratioStandard)
	warm := 72 * time.Hour
	t.Run("0.25% for three days raises a ticket and never a page", func(t *testing.T) {
		t.Parallel()
		// Burn 2.5×: the 3d ratio passes 0.1% after 0.4 × 72h = 28.8h; pages need 6× or more.
		tl := simulate(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 0.0025, warm, 0)), warm+72*time.Hour, 5*time.Minute)
		never(t, tl, key("availability", pageFast), key("availability", pageSlow))
		within(t, "ticket", tl.first(key("availability", ticket)), warm+28*time.Hour+20*time.Minute, warm+29*time.Hour+15*time.Minute)
		if !tl.firingAt(key("availability", ticket), warm+72*time.Hour) {
			t.Errorf("the ticket must still fire while the burn goes on")
		}
	})
	t.Run("budget-neutral traffic never alerts", func(t *testing.T) {
		t.Parallel()
		// Exactly 0.1% errors spends the budget exactly over the window: burn 1, never above.
		// (The budget it leaves is 0%: the budget-left tickets rightly say so.)
		tl := simulate(t, []*render.Standard{std}, ratioTraffic(constant(0.001)), warm+72*time.Hour, 5*time.Minute)
		if k := tl.burnKeys(); len(k) > 0 {
			t.Errorf("alerts fired on budget-neutral traffic: %v", k)
		}
	})
}

func TestNoTrafficNoAlertNoError(t *testing.T) {
	std := resolve(t, ratioStandard)
	t.Run("no series at all", func(t *testing.T) {
		tl := simulate(t, []*render.Standard{std}, nil, 2*time.Hour, time.Minute)
		// Only the no-data ticket (after 10m): the total series has never been seen.
		if k := tl.keys(); len(k) != 1 || k[0] != "availability nodata" {
			t.Errorf("want only the no-data alert without data, got %v", k)
		}
	})
	t.Run("series present but idle", func(t *testing.T) {
		tl := simulate(t, []*render.Standard{std}, []series{
			{labels: labels.FromStrings("__name__", "http_requests_total", "job", "checkout", "code", "500"), rate: constant(0)},
			{labels: labels.FromStrings("__name__", "http_requests_total", "job", "checkout", "code", "200"), rate: constant(0)},
		}, 2*time.Hour, time.Minute)
		if k := tl.keys(); len(k) > 0 {
			t.Errorf("alerts fired without traffic: %v", k)
		}
	})
}
