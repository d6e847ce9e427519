package compliance_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/test/procs"
)

// BenchmarkEvaluate measures one poll over 10,000 objectives (1,000 standards of 10) against a
// real Prometheus: queries issued, wall time, the poller's allocations and its peak live heap
// (the live heap after each garbage collection during the poll). History per objective is
// PLEDGE_BENCH_HOURS hours of hourly totals (default 24) and one hour of 1-minute 5m rates;
// the queries are the same for any history, only the samples they read grow with it. Every
// standard has a 30-day window, or with PLEDGE_BENCH_WINDOWS=distinct a window of its own
// (7d plus as many hours as its index: 1,000 distinct windows). Numbers: docs/benchmarks.md.
func BenchmarkEvaluate(b *testing.B) {
	const standardsN, perStandard = 1_000, 10
	hours := 24
	if v, err := strconv.Atoi(os.Getenv("PLEDGE_BENCH_HOURS")); err == nil && v > 0 {
		hours = v
	}
	var om strings.Builder
	type series struct {
		name  string
		step  time.Duration
		n     int
		value string
	}
	for _, s := range []series{
		{"pledge:objective_errors:increase1h", time.Hour, hours, "36"},
		{"pledge:objective_events:increase1h", time.Hour, hours, "36000"},
		{"pledge:objective_errors:rate5m", time.Minute, 60, "0.01"},
		{"pledge:objective_events:rate5m", time.Minute, 60, "10"},
	} {
		fmt.Fprintf(&om, "# TYPE %s gauge\n", s.name)
		for i := range standardsN {
			for j := range perStandard {
				labels := fmt.Sprintf(`{namespace="bench",service_standard="s%d",service="s%d",objective="o%d"}`, i, i, j)
				for k := s.n - 1; k >= 0; k-- {
					fmt.Fprintf(&om, "%s%s %s %d\n", s.name, labels, s.value, evalAt.Add(-time.Duration(k)*s.step).Unix())
				}
			}
		}
	}
	dir := b.TempDir()
	procs.BackfillOpenMetrics(b, "", dir, om.String())
	prom := procs.StartPrometheus(b, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: time.Minute}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var stds []compliance.Standard
	for i := range standardsN {
		window := 30 * 24 * time.Hour
		if os.Getenv("PLEDGE_BENCH_WINDOWS") == "distinct" {
			window = 7*24*time.Hour + time.Duration(i)*time.Hour
		}
		s := compliance.Standard{Namespace: "bench", Name: fmt.Sprint("s", i), Window: window,
			AlertWindows: []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour}}
		for j := range perStandard {
			s.Objectives = append(s.Objectives, compliance.Objective{Name: fmt.Sprint("o", j), Target: "99.9", Budget: 0.001, Weight: 1})
		}
		stds = append(stds, s)
	}
	counting := &compliance.CountingQuerier{Querier: q}
	b.ResetTimer()
	var before, after runtime.MemStats
	var peakLive uint64
	for b.Loop() {
		counting.N = 0
		runtime.GC()
		runtime.ReadMemStats(&before)
		stop := watchLiveHeap(&peakLive)
		res, err := compliance.Evaluate(context.Background(), counting, evalAt, stds, compliance.Options{AtRiskBudget: 25, Periods: 3})
		runtime.GC() // the live heap with the results still held
		stop()
		if err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if got := res["bench/s999"].Objectives[9].Attainment; got != "99.900" {
			b.Fatalf("attainment = %q, want 99.900", got)
		}
	}
	b.ReportMetric(float64(counting.N), "queries/poll")
	b.ReportMetric(float64(standardsN*perStandard), "objectives")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MiB-alloc/poll")
	b.ReportMetric(float64(peakLive-before.HeapAlloc)/(1<<20), "MiB-peak-live/poll")
}

// watchLiveHeap raises *peak to the live heap measured by each garbage collection
// (/gc/heap/live:bytes) until stop is called; stop returns once the last reading is in.
func watchLiveHeap(peak *uint64) (stop func()) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(sample)
		*peak = max(*peak, sample[0].Value.Uint64())
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				read()
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
