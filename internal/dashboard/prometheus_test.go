package dashboard

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// recordedHistory is OpenMetrics for the series Pledge records for every objective of s,
// ending at end: hourly totals over 31 days and 5m rates every minute over the last 8 hours,
// each objective with its share of bad events.
func recordedHistory(s *render.Standard, end time.Time, share func(objective string) float64) string {
	var b strings.Builder
	for _, series := range []struct {
		name   string
		step   time.Duration
		span   time.Duration
		value  float64
		errors bool
	}{
		{render.SeriesErrorsHourly, time.Hour, 31 * 24 * time.Hour, 36_000, true},
		{render.SeriesEventsHourly, time.Hour, 31 * 24 * time.Hour, 36_000, false},
		{render.SeriesErrors, time.Minute, 8 * time.Hour, 10, true},
		{render.SeriesEvents, time.Minute, 8 * time.Hour, 10, false},
	} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", series.name)
		for _, o := range s.Objectives {
			v := series.value
			if series.errors {
				v *= share(o.Name)
			}
			for t := end.Add(-series.span); !t.After(end); t = t.Add(series.step) {
				fmt.Fprintf(&b, "%s{namespace=%q,service_standard=%q,service=%q,objective=%q} %g %d\n",
					series.name, s.Namespace, s.Name, s.Service, o.Name, v, t.Unix())
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
	procs.BackfillOpenMetrics(t, promtool, tsdb, recordedHistory(s, end, func(objective string) float64 {
		if objective == "availability" {
			return 0.02
		}
		return 0.001
	}))
	p := procs.StartPrometheus(t, procs.PrometheusOptions{
		TSDBDir: tsdb, RuleFiles: map[string]string{"pledge.yaml": string(rules)},
		ExtraFlags: []string{"--storage.tsdb.retention.time=100d"},
	})
	p.WaitForQuery(t, alertsQuery(s, render.AlertEscalation), procs.NonEmpty, time.Minute)

	d, err := Standard(s)
	if err != nil {
		t.Fatal(err)
	}
	overview, err := Overview([]*render.Standard{s}, DefaultAtRiskBudget)
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
