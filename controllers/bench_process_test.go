package controllers_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// BenchmarkManagerProcess runs `pledge manager` as a process of its own (the binary named by
// PLEDGE_BENCH_MANAGER; hack/bench-controller.sh builds it) against the envtest API server, with
// its defaults but --max-concurrent-reconciles PLEDGE_BENCH_WORKERS, and reports what that
// process alone uses once PLEDGE_BENCH_STANDARDS standards are Ready and it has settled: RSS
// and its peak (VmRSS and VmHWM from /proc) and the heap in use from its own /metrics; with
// PLEDGE_BENCH_REST (a duration) the same again after that long at rest; with
// PLEDGE_BENCH_RESTART=1 it then starts a new manager over the same standards and reports its
// requests, writes above all, until it has reconciled them all.
// BenchmarkThousandStandards counts requests and reconciles inside the benchmark's process,
// whose memory is then the manager's and the benchmark's together.
func BenchmarkManagerProcess(b *testing.B) {
	bin := os.Getenv("PLEDGE_BENCH_MANAGER")
	if bin == "" {
		b.Skip("PLEDGE_BENCH_MANAGER must name a pledge binary: PLEDGE_BENCH_PROCESS=1 hack/bench-controller.sh builds and sets it")
	}
	n, workers, cfg, env := benchSetup(b)
	user, err := env.AddUser(envtest.User{Name: "pledge-bench-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kubeconfig, 0o600); err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	metricsAddr := l.Addr().String()
	_ = l.Close()
	args := []string{"manager", "--metrics-bind-address=" + metricsAddr, "--health-probe-bind-address=0",
		"--max-concurrent-reconciles=" + strconv.Itoa(workers), "--zap-log-level=error"}
	var rest time.Duration
	if v := os.Getenv("PLEDGE_BENCH_REST"); v != "" {
		if rest, err = time.ParseDuration(v); err != nil {
			b.Fatalf("PLEDGE_BENCH_REST: %v", err)
		}
	}
	profile, pprofAddr := os.Getenv("PLEDGE_BENCH_PROFILE"), ""
	if profile != "" {
		pl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		pprofAddr = pl.Addr().String()
		_ = pl.Close()
		args = append(args, "--pprof-bind-address="+pprofAddr)
	}
	logFile, err := os.Create(filepath.Join(dir, "manager.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	startManager := func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "kubeconfig"))
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		return cmd
	}
	cmd := startManager()
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	pid := strconv.Itoa(cmd.Process.Pid)
	b.Logf("%d standards, pledge manager (pid %s) with %d workers", n, pid, workers)
	restart := os.Getenv("PLEDGE_BENCH_RESTART") != ""

	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tmplStd, tmplPolicy := benchSample(b)
	lastApplied := os.Getenv("PLEDGE_BENCH_LAST_APPLIED") != ""
	metrics := "http://" + metricsAddr + "/metrics"
	b.ResetTimer()
	for iter := 0; iter < b.N; iter++ {
		b.StopTimer()
		run := fmt.Sprintf("p%d", iter)
		namespaces := benchPrepare(ctx, b, c, run, tmplStd, tmplPolicy)
		rssBefore := benchRSS(pid, "VmRSS:")

		b.StartTimer()
		start := time.Now()
		benchCreate(ctx, b, c, run, namespaces, tmplStd, n, lastApplied)
		benchWaitReady(ctx, b, c, client.MatchingLabels{"bench.pledge.dev/run": run}, n, benchReadyTimeout*time.Duration(max(1, n/1000)))
		toReady := time.Since(start)
		b.StopTimer()

		last := benchSettleProcess(b, metrics)
		m := benchScrape(b, metrics)
		rss, peak := benchRSS(pid, "VmRSS:"), benchRSS(pid, "VmHWM:")
		heap := m["go_memstats_heap_inuse_bytes"]
		events := benchByLabel(b, metrics, "pledge_events_total", "result")
		b.Logf("pledge manager as its own process: %d standards Ready in %s, %.0f reconciles (every controller); RSS %.1f MiB (%s; peak %.1f MiB, %.1f MiB before the creates), heap in use %.1f MiB, %s; events %v",
			n, toReady.Round(time.Millisecond), last, rss/(1<<20), benchRSSParts(pid), peak/(1<<20), rssBefore/(1<<20), heap/(1<<20), benchRuntime(m), events)
		if events["failed"]+events["dropped"] > 0 {
			b.Errorf("events not written: %v (the manager's log names each)", events)
		}
		if profile != "" {
			benchSaveProfile(b, "http://"+pprofAddr+"/debug/pprof/heap?gc=1", profile)
		}
		b.ReportMetric(toReady.Seconds(), "s-to-ready")
		b.ReportMetric(rss/(1<<20), "rss-MiB")
		b.ReportMetric(peak/(1<<20), "peak-rss-MiB")
		b.ReportMetric(heap/(1<<20), "heap-MiB")
		if rest > 0 {
			// At rest: nothing changes for rest. The events of the creates leave client-go's
			// event cache 6 to 12 minutes after they were recorded, and the Go runtime returns
			// what its heap no longer needs to the kernel in the background.
			b.Logf("at rest for %s (PLEDGE_BENCH_REST)", rest)
			time.Sleep(rest)
			m := benchScrape(b, metrics)
			rss, heap := benchRSS(pid, "VmRSS:"), m["go_memstats_heap_inuse_bytes"]
			b.Logf("pledge manager %s after settling: RSS %.1f MiB (%s; peak %.1f MiB), heap in use %.1f MiB, %s, %.0f reconciles (every controller)",
				rest, rss/(1<<20), benchRSSParts(pid), benchRSS(pid, "VmHWM:")/(1<<20), heap/(1<<20), benchRuntime(m), m["controller_runtime_reconcile_total"])
			if profile != "" {
				benchSaveProfile(b, "http://"+pprofAddr+"/debug/pprof/heap?gc=1", profile+".rest")
			}
			b.ReportMetric(rss/(1<<20), "rest-rss-MiB")
			b.ReportMetric(heap/(1<<20), "rest-heap-MiB")
		}
		if restart {
			// A new manager over the same Ready standards, as after an upgrade or a lost
			// leader: it reconciles every standard once as its cache fills, and should write
			// nothing, neither objects nor statuses nor events. First the running manager's
			// liveness poller (every minute) sets RulesLoaded on every standard, so that
			// nothing is left for the new one to write.
			benchWaitFor(ctx, b, c, client.MatchingLabels{"bench.pledge.dev/run": run}, n, 3*time.Minute*time.Duration(max(1, n/1000)),
				"checked for RulesLoaded", func(std *pledgev1.ServiceStandard) bool {
					return meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionRulesLoaded) != nil
				})
			time.Sleep(benchQuiet) // the poll's last patches and events
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
			began := time.Now()
			cmd = startManager()
			pid = strconv.Itoa(cmd.Process.Pid)
			deadline := began.Add(benchReadyTimeout * time.Duration(max(1, n/1000)))
			for benchScrapeOnceUp(b, metrics)["controller_runtime_reconcile_total"] < float64(n) {
				if time.Now().After(deadline) {
					b.Fatalf("the restarted manager did not reconcile %d standards in %s", n, deadline.Sub(began))
				}
				time.Sleep(benchPollEvery)
			}
			reconciled := time.Since(began)
			total := benchSettleProcess(b, metrics)
			requests := benchByLabel(b, metrics, "rest_client_requests_total", "method")
			writes := requests["POST"] + requests["PUT"] + requests["PATCH"] + requests["DELETE"]
			b.Logf("pledge manager restarted over %d Ready standards: all reconciled %s after the start, %.0f reconciles (every controller); its requests to the API server by method: %v; writes: %.0f; RSS %.1f MiB",
				n, reconciled.Round(time.Millisecond), total, requests, writes, benchRSS(pid, "VmRSS:")/(1<<20))
			b.ReportMetric(reconciled.Seconds(), "restart-s-to-reconciled")
			b.ReportMetric(writes, "restart-writes")
		}
	}
}

// benchSettleProcess waits until the manager has reconciled nothing for benchQuiet (at most
// benchSettleMax) and returns its reconcile count (every controller).
func benchSettleProcess(b *testing.B, metrics string) float64 {
	deadline := time.Now().Add(benchSettleMax)
	last, lastChange := -1.0, time.Now()
	for time.Since(lastChange) < benchQuiet && time.Now().Before(deadline) {
		if r := benchScrape(b, metrics)["controller_runtime_reconcile_total"]; r != last {
			last, lastChange = r, time.Now()
		}
		time.Sleep(benchPollEvery)
	}
	return last
}

// benchScrapeOnceUp is benchScrape for a manager that may not serve /metrics yet: nothing
// until it does.
func benchScrapeOnceUp(b *testing.B, url string) map[string]float64 {
	resp, err := http.Get(url) //nolint:noctx // a loopback probe in a benchmark
	if err != nil {
		return nil
	}
	_ = resp.Body.Close()
	return benchScrape(b, url)
}

// benchByLabel reads one of the manager's metrics summed by one label: its requests to the API
// server by method (client-go's rest_client_requests_total), its events by result.
func benchByLabel(b *testing.B, url, metric, key string) map[string]float64 {
	out := map[string]float64{}
	benchSamples(b, url, func(name string, label func(string) string, v float64) {
		if name == metric {
			out[label(key)] += v
		}
	})
	return out
}

// benchRSSParts splits the process's RSS into anonymous memory and mapped files (the binary's
// code and data: clean pages the kernel can reclaim).
func benchRSSParts(pid string) string {
	return fmt.Sprintf("anonymous %.1f MiB, files %.1f MiB", benchRSS(pid, "RssAnon:")/(1<<20), benchRSS(pid, "RssFile:")/(1<<20))
}

// benchRuntime summarises the Go runtime's other memory, from the manager's /metrics.
func benchRuntime(m map[string]float64) string {
	return fmt.Sprintf("CPU %.1f s, %.0f goroutines (stacks %.1f MiB), heap idle %.1f MiB of which %.1f MiB returned to the kernel, runtime metadata %.1f MiB",
		m["process_cpu_seconds_total"], m["go_goroutines"], m["go_memstats_stack_inuse_bytes"]/(1<<20), m["go_memstats_heap_idle_bytes"]/(1<<20),
		m["go_memstats_heap_released_bytes"]/(1<<20), (m["go_memstats_mspan_inuse_bytes"]+m["go_memstats_mcache_inuse_bytes"]+m["go_memstats_gc_sys_bytes"]+m["go_memstats_other_sys_bytes"]+m["go_memstats_buck_hash_sys_bytes"])/(1<<20))
}

// benchSaveProfile writes what url (one of the manager's /debug/pprof endpoints) answers to path.
func benchSaveProfile(b *testing.B, url, path string) {
	resp, err := http.Get(url) //nolint:noctx // a loopback read in a benchmark
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		b.Fatal(err)
	}
	b.Logf("heap profile of the manager: %s (go tool pprof -sample_index=inuse_space %s)", path, path)
}

// benchScrape reads the manager's /metrics: each metric's value summed over its series
// (counters and gauges).
func benchScrape(b *testing.B, url string) map[string]float64 {
	out := map[string]float64{}
	benchSamples(b, url, func(name string, _ func(string) string, v float64) { out[name] += v })
	return out
}

// benchSamples reads the manager's /metrics and calls each with every series of a counter or
// gauge: its metric's name, its labels' values by name, and its value.
func benchSamples(b *testing.B, url string, each func(name string, label func(string) string, v float64)) {
	resp, err := http.Get(url) //nolint:noctx // a loopback scrape in a benchmark
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			label := func(key string) string {
				for _, l := range m.GetLabel() {
					if l.GetName() == key {
						return l.GetValue()
					}
				}
				return ""
			}
			each(name, label, m.GetCounter().GetValue()+m.GetGauge().GetValue())
		}
	}
}
