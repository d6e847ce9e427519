package dashboard

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

const groupedStandard = `
metadata: {name: api, namespace: shop}
spec:
  service: api
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      weight: 3
      groupBy: [route]
      ratio: {errors: 'http_requests_total{code="500"}', total: http_requests_total}
    - name: whole
      target: "99.9"
      weight: 1
      ratio: {errors: 'http_requests_total{code="500"}', total: http_requests_total}
`

func resolveGrouped(t *testing.T) *render.Standard {
	t.Helper()
	var std pledgev1.ServiceStandard
	if err := yaml.UnmarshalStrict([]byte(groupedStandard), &std); err != nil {
		t.Fatal(err)
	}
	s, errs := render.Resolve(&std, nil)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return s
}

// TestGroupedLegends: the panels of an objective with groupBy name each line by its value;
// those of the ungrouped objective keep their plain legends.
func TestGroupedLegends(t *testing.T) {
	d, err := Standard(resolveGrouped(t))
	if err != nil {
		t.Fatal(err)
	}
	legends := map[string]bool{}
	for _, q := range queries(t, d) {
		legends[q.legend] = true
	}
	for _, want := range []string{"attainment {{route}}", "budget left {{route}}", "1h {{route}}", "5m {{route}}", "attainment", "budget left", "1h", "5m"} {
		if !legends[want] {
			t.Errorf("no panel query with legend %q: %v", want, legends)
		}
	}
}

// TestGroupedScoreAgainstPrometheus: the score panel counts an objective with groupBy once,
// with its worst value's attainment, as the status does. availability (weight 3) has two
// routes, /a at 0.01% and /b at 0.2% bad events; whole (weight 1) 0.01%. The score over the
// last two hours is (3 × 99.8 + 1 × 99.99) / 4 = 99.8475; counting each route as an objective
// it would be (3 × 99.99 + 3 × 99.8 + 99.99) / 7 = 99.909.
func TestGroupedScoreAgainstPrometheus(t *testing.T) {
	promtool := procs.Tool(t, "PROMTOOL")
	s := resolveGrouped(t)
	end := time.Now().Add(-30 * time.Second).Truncate(time.Minute)
	var b strings.Builder
	for _, name := range []string{render.SeriesErrorsHourly, render.SeriesEventsHourly} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", name)
		for _, series := range []struct {
			objective, route string
			share            float64
		}{{"availability", "/a", 0.0001}, {"availability", "/b", 0.002}, {"whole", "", 0.0001}} {
			v := 36_000.0
			if name == render.SeriesErrorsHourly {
				v *= series.share
			}
			route := ""
			if series.route != "" {
				route = fmt.Sprintf(",route=%q", series.route)
			}
			for at := end.Add(-3 * time.Hour); !at.After(end); at = at.Add(time.Hour) {
				fmt.Fprintf(&b, "%s{namespace=\"shop\",service_standard=\"api\",service=\"api\",objective=%q%s} %g %d\n",
					name, series.objective, route, v, at.Unix())
			}
		}
	}
	// The weights as the hourly group records them: 3 and 1.
	fmt.Fprintf(&b, "# TYPE %s gauge\n", render.SeriesWeight)
	for _, o := range []struct {
		name   string
		weight int
	}{{"availability", 3}, {"whole", 1}} {
		for at := end.Add(-3 * time.Hour); !at.After(end); at = at.Add(time.Hour) {
			fmt.Fprintf(&b, "%s{namespace=\"shop\",service_standard=\"api\",service=\"api\",objective=%q} %d %d\n", render.SeriesWeight, o.name, o.weight, at.Unix())
		}
	}
	tsdb := t.TempDir()
	procs.BackfillOpenMetrics(t, promtool, tsdb, b.String())
	p := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: tsdb, ExtraFlags: []string{"--storage.tsdb.retention.time=100d"}})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	expr := grafanaRange(scoreQuery(selector(s, ""), keysFor(""), RangeVariable), "7200s")
	v, err := p.QueryAt(ctx, expr, end)
	if err != nil {
		t.Fatalf("%v\n%s", err, expr)
	}
	if len(v) != 1 || fmt.Sprintf("%.4f", float64(v[0].Value)) != "99.8475" {
		t.Errorf("score = %v, want 99.8475 (the grouped objective at its worst route)\n%s", v, expr)
	}
}
