package board_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/board"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/test/procs"
)

// chromium finds the headless browser, or skips (fails under PLEDGE_REQUIRE_TOOLS).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PLEDGE_REQUIRE_TOOLS") != "" {
		t.Fatal("chromium not found: install the Debian package chromium (.ci/run does)")
	}
	t.Skip("chromium not found: install the Debian package chromium")
	return ""
}

// browse loads url in headless Chromium, saves a screenshot to png and returns the DOM.
func browse(t *testing.T, chromium, url, png string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--no-first-run", "--user-data-dir=" + t.TempDir(), "--window-size=1280,2400"}
	out, err := exec.CommandContext(ctx, chromium, append(common, "--screenshot="+png, url)...).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium --screenshot %s: %v\n%s", url, err, out)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", png, err)
	}
	dom, err := exec.CommandContext(ctx, chromium, append(common, "--dump-dom", url)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v", url, err)
	}
	return string(dom)
}

// boardHistory is 31 days of hourly totals and 7 hours of 5m rates of a standard (named as
// its service) up to at: 10 events per second, of which the given share per objective is bad during the
// last 10 days and none before. Over a 30d window that spends a third of the share.
func boardHistory(ns, name string, at time.Time, shares map[string]float64) string {
	var b strings.Builder
	for _, series := range []struct {
		name   string
		step   time.Duration
		from   time.Time
		value  float64
		errors bool
	}{
		{"pledge:objective_errors:increase1h", time.Hour, at.Add(-31 * 24 * time.Hour), 36_000, true},
		{"pledge:objective_events:increase1h", time.Hour, at.Add(-31 * 24 * time.Hour), 36_000, false},
		{"pledge:objective_errors:rate5m", time.Minute, at.Add(-7 * time.Hour), 10, true},
		{"pledge:objective_events:rate5m", time.Minute, at.Add(-7 * time.Hour), 10, false},
	} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", series.name)
		for objective, share := range shares {
			for t := series.from.Add(series.step); !t.After(at); t = t.Add(series.step) {
				v := series.value
				if series.errors {
					// Bad events only in the last 10 days, so the budget line falls from 100%.
					if at.Sub(t) < 10*24*time.Hour {
						v *= share
					} else {
						v = 0
					}
				}
				fmt.Fprintf(&b, "%s{namespace=%q,service_standard=%q,service=%q,objective=%q} %g %d\n",
					series.name, ns, name, name, objective, v, t.Unix())
			}
		}
	}
	return b.String()
}

// TestBoardInChromium serves the board from a real manager (envtest API server, the demo's
// checkout sample, the compliance runner measuring a real Prometheus on backfilled history)
// and loads the overview and the standard's page in headless Chromium.
func TestBoardInChromium(t *testing.T) {
	browser := chromium(t)
	promtool := procs.Tool(t, "PROMTOOL")
	monitoringCRDs := procs.Tool(t, "MONITORING_CRDS")
	cfg := procs.StartAPIServer(t, []string{filepath.Join("..", "..", "config", "crd", "bases"), monitoringCRDs})

	at := time.Now().UTC().Truncate(time.Hour)
	dir := t.TempDir()
	// The demo's samples: checkout AtRisk, ledger Met, search Breached.
	procs.BackfillOpenMetrics(t, promtool, dir, boardHistory("shop", "checkout", at, map[string]float64{
		"availability":  0.0024, // 0.0008 over 30d: 80% of a 0.1% budget spent, AtRisk
		"response-time": 0.003,  // 0.001 over 30d: a tenth of a 1% budget, Met
	})+boardHistory("payments", "ledger", at, map[string]float64{
		"availability":   0.0003, // 0.0001 over 30d: 20% of a 0.05% budget, Met
		"reconciliation": 0.003,  // 0.001 over 30d: a tenth of a 1% budget, Met
	})+boardHistory("web", "search", at, map[string]float64{
		"availability":  0.03, // 0.0107 over 28d: over twice a 0.5% budget, Breached
		"response-time": 0.03, // 0.0107 over 28d: a fifth of a 5% budget, Met
	}))
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}

	mgr, err := controllers.NewManager(cfg, ctrl.Options{Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	runner := &controllers.ComplianceRunner{Querier: q, Interval: 2 * time.Second, MaxAge: time.Hour,
		Options: compliance.Options{AtRiskBudget: 25, Periods: 3}, Now: func() time.Time { return at }}
	opts := controllers.Options{CRDRetryInterval: time.Second, Compliance: runner}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := controllers.Setup(ctx, mgr, opts); err != nil {
		t.Fatal(err)
	}
	srv := &board.Server{Addr: "127.0.0.1:0", Handler: board.New(mgr.GetClient(), q, board.Options{Events: mgr.GetAPIReader(), Now: func() time.Time { return at }})}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := mgr.Add(srv); err != nil {
		t.Fatal(err)
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()

	c, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		t.Fatal(err)
	}
	var samples []string
	for _, name := range []string{"checkout", "ledger", "search"} {
		samples = append(samples, filepath.Join("..", "..", "config", "samples", "pledge_v1alpha1_"+name+".yaml"))
	}
	set, problems := manifest.Load(samples, nil)
	if len(problems) > 0 {
		t.Fatalf("samples: %v", problems)
	}
	for _, ns := range []string{"shop", "payments", "web"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range set.Policies {
		if err := c.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range set.Standards {
		if err := c.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for every standing on the status and the events they raised.
	deadline := time.Now().Add(90 * time.Second)
	for _, s := range set.Standards {
		for {
			var std pledgev1.ServiceStandard
			var evs eventsv1.EventList
			if err := c.Get(ctx, client.ObjectKeyFromObject(s), &std); err != nil {
				t.Fatal(err)
			}
			if err := c.List(ctx, &evs, client.InNamespace(s.Namespace)); err != nil {
				t.Fatal(err)
			}
			if std.Status.Score != "" && meta.IsStatusConditionTrue(std.Status.Conditions, pledgev1.ConditionReady) && len(evs.Items) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no standing and events after 90s: status %+v, %d events", s.Name, std.Status, len(evs.Items))
			}
			time.Sleep(time.Second)
		}
	}

	bin := filepath.Join("..", "..", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.Addr
	overview := browse(t, browser, base+"/", filepath.Join(bin, "board-overview.png"))
	if !strings.Contains(overview, "3 of 3 standards") {
		t.Errorf("the overview does not list the three samples:\n%s", overview)
	}
	for id, want := range map[string]struct{ state, budget string }{
		"shop-checkout":   {"warn\">AtRisk", "20.0"},    // 80% of the availability budget spent
		"payments-ledger": {"good\">Met", "80.0"},       // 20% of the availability budget spent
		"web-search":      {"bad\">Breached", "-114.3"}, // 0.0107 of a 0.5% budget
	} {
		row := regexp.MustCompile(`(?s)<tr class="standard" id="standard-` + id + `">.*?</tr>`).FindString(overview)
		if !strings.Contains(row, `<span class="state `+want.state+`</span>`) || !strings.Contains(row, `<td class="num budget">`+want.budget+`%</td>`) {
			t.Errorf("the overview's row of %s does not show %s with %s%% budget left:\n%s", id, want.state, want.budget, row)
		}
	}
	for query, want := range map[string]string{"state=Met": "payments/ledger", "namespace=web": "web/search"} {
		filtered := browse(t, browser, base+"/?"+query, filepath.Join(bin, "board-overview-"+strings.ReplaceAll(query, "=", "-")+".png"))
		listed := regexp.MustCompile(`<a href="/standards/([^"]+)">`).FindAllStringSubmatch(filtered, -1)
		if len(listed) != 1 || listed[0][1] != want {
			t.Errorf("/?%s lists %v, want only %s", query, listed, want)
		}
	}

	page := browse(t, browser, base+"/standards/shop/checkout", filepath.Join(bin, "board-standard.png"))
	for _, want := range []string{
		`<span class="big" id="budget">20.0%</span>`, // lowest budget left
		"team-lead", "head-of-department", "business-hours", "status-channel", // tiers, informed, business hours
		"page-fast", "14.4×", // an alert pair and its threshold
		"incident-resolution-p1", // graded classes, no data
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the standard's page does not show %q", want)
		}
	}
	chart := regexp.MustCompile(`(?s)<figure class="chart" id="budget-chart">.*?</figure>`).FindString(page)
	if chart == "" {
		t.Fatalf("no budget chart on the page:\n%s", page)
	}
	lines := regexp.MustCompile(`<g class="series" data-objective="([^"]+)"><polyline [^>]*points="([^"]*)"`).FindAllStringSubmatch(chart, -1)
	drawn := map[string]int{}
	for _, l := range lines {
		drawn[l[1]] = len(strings.Fields(l[2]))
	}
	for _, o := range []string{"availability", "response-time"} {
		if drawn[o] < 2 {
			t.Errorf("the chart's %s line has %d points, want at least 2 (%v)", o, drawn[o], drawn)
		}
	}
	if _, ok := drawn["incident-resolution-p1"]; ok {
		t.Error("a class without data has a line")
	}
	if !regexp.MustCompile(`<table class="events">.*(BudgetAtRisk|ObjectiveBreached|ObjectiveRecovered)`).MatchString(strings.ReplaceAll(page, "\n", " ")) {
		t.Errorf("the page lists none of the standard's events:\n%s", page)
	}
}
