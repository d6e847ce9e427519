package render_test

import (
	"fmt"
	"testing"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// benchStandards builds standards holding n objectives in all (at most 50 per standard, the
// API's limit), alternating ratio and latency indicators.
func benchStandards(n int) []*pledgev1.ServiceStandard {
	var out []*pledgev1.ServiceStandard
	for i := 0; i < n; i += 50 {
		std := &pledgev1.ServiceStandard{}
		std.Name, std.Namespace = fmt.Sprintf("svc-%d", i/50), "bench"
		std.Spec.Service = std.Name
		for j := i; j < min(n, i+50); j++ {
			o := pledgev1.Objective{Name: fmt.Sprintf("o-%d", j), Target: "99.9", Weight: 1}
			if j%2 == 0 {
				o.Ratio = &pledgev1.RatioIndicator{
					Errors: pledgev1.PromQLSelector(fmt.Sprintf(`http_requests_total{job="svc-%d",code=~"5.."}`, j)),
					Total:  pledgev1.PromQLSelector(fmt.Sprintf(`http_requests_total{job="svc-%d"}`, j)),
				}
			} else {
				o.Latency = &pledgev1.LatencyIndicator{
					Histogram: pledgev1.PromQLSelector(fmt.Sprintf(`http_request_duration_seconds{job="svc-%d"}`, j)),
					Threshold: "300ms",
				}
			}
			std.Spec.Objectives = append(std.Spec.Objectives, o)
		}
		out = append(out, std)
	}
	return out
}

// BenchmarkRender measures, for 10, 1,000 and 10,000 objectives, what the operator does per
// reconcile (resolve: validation and PromQL parsing; then the typed PrometheusRule) and what
// `pledge render --format rules` does (resolve, then the plain rule file as YAML).
// Numbers and the command: docs/benchmarks.md.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{10, 1_000, 10_000} {
		in := benchStandards(n)
		resolveAll := func(b *testing.B) []*render.Standard {
			out := make([]*render.Standard, 0, len(in))
			for _, std := range in {
				s, errs := render.Resolve(std, nil)
				if len(errs) > 0 {
					b.Fatal(errs.ToAggregate())
				}
				out = append(out, s)
			}
			return out
		}
		b.Run(fmt.Sprintf("objects/objectives=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			rules := 0
			for b.Loop() {
				rules = 0
				for _, s := range resolveAll(b) {
					for _, g := range s.PrometheusRule().Spec.Groups {
						rules += len(g.Rules)
					}
				}
			}
			b.ReportMetric(float64(rules)/float64(n), "rules/objective")
		})
		b.Run(fmt.Sprintf("rulefile/objectives=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				out, err := render.RulesFile(resolveAll(b))
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.ReportMetric(float64(size)/float64(n), "bytes/objective")
		})
	}
}
