package dashboard

//lint:file-ignore SA1019 dashboard.Dashboard is the classic JSON model, which Grafana's file provisioning (the sidecar) reads on every version, before 12 too; dashboardv2 is Grafana 12's new schema.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// recordedHistory is OpenMetrics for the series Pledge records for every objective of the
// standards (with the cluster label of those that have one), ending at end: hourly totals,
// budgets and score weights over 31 days and 5m rates every minute over the last 8 hours, each
// objective with its share of bad events.
func recordedHistory(end time.Time, share func(s *render.Standard, objective string) float64, standards ...*render.Standard) string {
	var b strings.Builder
	for _, series := range []struct {
		name  string
		step  time.Duration
		span  time.Duration
		value func(s *render.Standard, i int) float64
	}{
		{render.SeriesErrorsHourly, time.Hour, 31 * 24 * time.Hour, func(s *render.Standard, i int) float64 { return 36_000 * share(s, s.Objectives[i].Name) }},
		{render.SeriesEventsHourly, time.Hour, 31 * 24 * time.Hour, func(*render.Standard, int) float64 { return 36_000 }},
		{render.SeriesBudget, time.Hour, 31 * 24 * time.Hour, func(s *render.Standard, i int) float64 { return s.Objectives[i].Budget }},
		{render.SeriesWeight, time.Hour, 31 * 24 * time.Hour, func(s *render.Standard, i int) float64 { return s.ScoreWeights()[i] }},
		{render.SeriesErrors, time.Minute, 8 * time.Hour, func(s *render.Standard, i int) float64 { return 10 * share(s, s.Objectives[i].Name) }},
		{render.SeriesEvents, time.Minute, 8 * time.Hour, func(*render.Standard, int) float64 { return 10 }},
	} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", series.name)
		for _, s := range standards {
			cluster := ""
			if c := s.Cluster.Matcher(); c != "" {
				cluster = "," + c
			}
			for i, o := range s.Objectives {
				for t := end.Add(-series.span); !t.After(end); t = t.Add(series.step) {
					fmt.Fprintf(&b, "%s{namespace=%q,service_standard=%q,service=%q,objective=%q%s} %g %d\n",
						series.name, s.Namespace, s.Name, s.Service, o.Name, cluster, series.value(s, i), t.Unix())
				}
			}
		}
	}
	return b.String()
}

// TestQueriesAgainstPrometheus runs every panel query of the checkout standard's dashboard
// and of the overview against a real Prometheus that holds a month of the recorded series
// and evaluates the standard's rules: availability burns at 20x (2% bad events against a
// 0.1% budget), so its page fires and, through it, the first escalation tier. Every query
// must return at least one series.
func TestQueriesAgainstPrometheus(t *testing.T) {
	promtool := procs.Tool(t, "PROMTOOL")
	s := loadStandards(t, filepath.Join(standardsDir, "checkout.yaml"))[0]
	rules, err := render.RulesFile([]*render.Standard{s})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(-30 * time.Second).Truncate(time.Minute)
	tsdb := t.TempDir()
	procs.BackfillOpenMetrics(t, promtool, tsdb, recordedHistory(end, func(_ *render.Standard, objective string) float64 {
		if objective == "availability" {
			return 0.02
		}
		return 0.001
	}, s))
	p := procs.StartPrometheus(t, procs.PrometheusOptions{
		TSDBDir: tsdb, RuleFiles: map[string]string{"pledge.yaml": string(rules)},
		ExtraFlags: []string{"--storage.tsdb.retention.time=100d"},
	})
	p.WaitForQuery(t, alertsQuery(s, render.AlertEscalation), procs.NonEmpty, time.Minute)

	d, err := Standard(s)
	if err != nil {
		t.Fatal(err)
	}
	overview, err := Overview("", DefaultAtRiskBudget)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	now := time.Now()
	n := 0
	for _, q := range append(queries(t, d), queries(t, overview)...) {
		// The time range of the check is the last two hours: Grafana writes $__range in seconds.
		expr := grafanaRange(q.expr, "7200s")
		var got int
		if q.instant {
			v, err := p.QueryAt(ctx, expr, now)
			if err != nil {
				t.Fatalf("panel %q: %v\n%s", q.panel, err, expr)
			}
			got = len(v)
		} else {
			v, _, _, err := p.API().QueryRange(ctx, expr, promv1.Range{Start: now.Add(-2 * time.Hour), End: now, Step: time.Minute})
			if err != nil {
				t.Fatalf("panel %q: %v\n%s", q.panel, err, expr)
			}
			m, ok := v.(model.Matrix)
			if !ok {
				t.Fatalf("panel %q: range query answered %T", q.panel, v)
			}
			got = len(m)
		}
		if got == 0 {
			t.Errorf("panel %q: no series\n%s", q.panel, expr)
		}
		n++
	}
	// The closed-period panel of the same standard measured over calendar months: the month
	// before now lies in the month of history (at least its end).
	cal, err := StandardAt(calendarCheckout(t), now, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries(t, cal) {
		if !strings.Contains(q.expr, " @ ") {
			continue
		}
		v, err := p.QueryAt(ctx, q.expr, now)
		if err != nil {
			t.Fatalf("panel %q: %v\n%s", q.panel, err, q.expr)
		}
		if len(v) != len(s.Objectives) {
			t.Errorf("closed-period panel %q: %d series, want one per objective (%d)\n%s", q.panel, len(v), len(s.Objectives), q.expr)
		}
		n++
	}
	t.Logf("%d panel queries returned series", n)
}

// TestOverviewAgainstPrometheus: the overview's score, lowest budget left and state per
// standard, read from a real Prometheus holding the recorded series of three standards (one
// of them in two clusters), equal the status's own arithmetic (compliance.Score) on the same
// shares of bad events, for any number of standards without a constant of theirs in the
// queries. The graded objective's classes share its weight.
func TestOverviewAgainstPrometheus(t *testing.T) {
	promtool := procs.Tool(t, "PROMTOOL")
	checkout := loadStandards(t, filepath.Join(standardsDir, "checkout.yaml"))[0]
	api := loadStandards(t, filepath.Join(standardsDir, "minimal.yaml"))[0]
	api.Namespace = "shop"
	eu, us := *checkout, *checkout
	eu.Cluster = render.ClusterLabel{Name: "cluster", Value: "eu-1"}
	us.Cluster = render.ClusterLabel{Name: "cluster", Value: "us-1"}
	cases := []struct {
		s      *render.Standard
		row    string // namespace/name/cluster
		shares map[string]float64
		state  string
	}{
		// availability (budget 0.1%) at 0.05%, response-time (1%) at 0.5%, the classes at 1%..4%.
		{&eu, "shop/checkout/eu-1", map[string]float64{"availability": 0.0005, "response-time": 0.005}, "Met"},
		// availability at 0.09%: 10% of its budget left.
		{&us, "shop/checkout/us-1", map[string]float64{"availability": 0.0009, "response-time": 0.001}, "AtRisk"},
		{api, "shop/api/", map[string]float64{"availability": 0.001}, "Breached"},
	}
	shareOf := func(s *render.Standard, objective string) float64 {
		for _, c := range cases {
			if c.s == s {
				if v, ok := c.shares[objective]; ok {
					return v
				}
			}
		}
		return 0.01 // the graded classes: 1% against budgets of 5% and more
	}
	end := time.Now().Add(-30 * time.Second).Truncate(time.Minute)
	tsdb := t.TempDir()
	procs.BackfillOpenMetrics(t, promtool, tsdb, recordedHistory(end, shareOf, &eu, &us, api))
	p := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: tsdb, ExtraFlags: []string{"--storage.tsdb.retention.time=100d"}})

	d, err := Overview("cluster", DefaultAtRiskBudget)
	if err != nil {
		t.Fatal(err)
	}
	qs := queries(t, d)
	if len(qs) != 3 {
		t.Fatalf("overview has %d queries, want score, budget left and state", len(qs))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	read := func(expr string) map[string]float64 {
		v, err := p.QueryAt(ctx, grafanaRange(expr, "7200s"), end)
		if err != nil {
			t.Fatalf("%v\n%s", err, expr)
		}
		out := map[string]float64{}
		for _, s := range v {
			out[fmt.Sprintf("%s/%s/%s", s.Metric[render.LabelNamespace], s.Metric[render.LabelStandard], s.Metric["cluster"])] = float64(s.Value)
		}
		return out
	}
	score, budgetLeft := read(qs[0].expr), read(qs[1].expr)
	if len(score) != len(cases) || len(budgetLeft) != len(cases) {
		t.Fatalf("rows: score %v, budget left %v; want one per standard and cluster (%d)", score, budgetLeft, len(cases))
	}
	for _, c := range cases {
		var objectives []compliance.Objective
		var st []pledgev1.ObjectiveStatus
		lowest := math.Inf(1)
		for _, o := range c.s.Objectives {
			share := shareOf(c.s, o.Name)
			objectives = append(objectives, compliance.Objective{Name: o.Name, Weight: o.Weight, Classes: o.Classes})
			st = append(st, pledgev1.ObjectiveStatus{Attainment: strconv.FormatFloat(100*(1-share), 'f', -1, 64)})
			lowest = min(lowest, 100*(1-share/o.Budget))
		}
		if got, want := fmt.Sprintf("%.2f", score[c.row]), compliance.Score(objectives, st); got != want {
			t.Errorf("%s: score %s, want %s (the status's)", c.row, got, want)
		}
		if math.Abs(budgetLeft[c.row]-lowest) > 1e-6 {
			t.Errorf("%s: lowest budget left %g, want %g", c.row, budgetLeft[c.row], lowest)
		}
		if got := stateOf(t, d, budgetLeft[c.row]); got != c.state {
			t.Errorf("%s: state %s at %g%% budget left, want %s", c.row, got, budgetLeft[c.row], c.state)
		}
	}
}

// stateOf is the text the overview's state column shows for a lowest budget left: its value
// mappings, read back from the dashboard as Grafana reads them.
func stateOf(t *testing.T, d dashboard.Dashboard, budgetLeft float64) string {
	t.Helper()
	for _, o := range d.Panels[0].Panel.FieldConfig.Overrides {
		for _, p := range o.Properties {
			if p.Id != "mappings" {
				continue
			}
			b, err := json.Marshal(p.Value)
			if err != nil {
				t.Fatal(err)
			}
			var mappings []dashboard.ValueMapping
			if err := json.Unmarshal(b, &mappings); err != nil {
				t.Fatal(err)
			}
			for _, m := range mappings {
				r := m.RangeMap.Options
				if (r.From == nil || budgetLeft >= *r.From) && (r.To == nil || budgetLeft <= *r.To) {
					return *r.Result.Text
				}
			}
		}
	}
	t.Fatal("no state mapping matches")
	return ""
}
