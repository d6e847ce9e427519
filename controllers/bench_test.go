package controllers_test

// BenchmarkThousandStandards measures the ServiceStandard controller at scale against a real
// kube-apiserver and etcd (envtest). Ginkgo's BeforeSuite only runs under RunSpecs, so the
// benchmark starts an envtest environment and a manager of its own.
//
//	KUBEBUILDER_ASSETS=bin/k8s MONITORING_CRDS=bin/crds/monitoring.coreos.com \
//	  go test ./controllers -run '^$' -bench BenchmarkThousandStandards -benchtime 1x
//
// or hack/bench-controller.sh. PLEDGE_BENCH_STANDARDS sets the number of standards (1000);
// the Ready poll interval and timeout grow with it. PLEDGE_BENCH_LAST_APPLIED=1 creates every
// standard with the annotation `kubectl apply` (client-side) leaves on what it writes, a JSON
// copy of the object as applied.
// Numbers and what they mean: docs/benchmarks.md.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
)

const (
	benchNamespaces    = 10
	benchCreateWorkers = 4
	benchPollEvery     = 250 * time.Millisecond
	benchIdle          = 10 * time.Second
	benchQuiet         = 3 * time.Second
	benchSettleMax     = 2 * time.Minute
	benchReadyTimeout  = 15 * time.Minute
)

// benchRequests counts the HTTP requests of the manager (cache, client, event recorder,
// discovery) by kind of request and resource, and the mutating requests per object.
type benchRequests struct {
	mu       sync.Mutex
	byKind   map[string]int // "<verb> <resource>", e.g. "APPLY prometheusrules"
	byObject map[string]int // "<verb> <resource> <path>" of mutating requests
	failed   map[string]int // "<verb> <resource> <status code>" of answers other than 2xx
	// busy is the time spent in requests by kind, watches excepted (they stay open).
	busy map[string]time.Duration
}

func newBenchRequests() *benchRequests {
	return &benchRequests{byKind: map[string]int{}, byObject: map[string]int{}, failed: map[string]int{}, busy: map[string]time.Duration{}}
}

type benchRoundTripper struct {
	next http.RoundTripper
	c    *benchRequests
}

func (t benchRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	verb, resource := benchClassify(req)
	t.c.mu.Lock()
	t.c.byKind[verb+" "+resource]++
	if benchMutating(verb) {
		t.c.byObject[verb+" "+resource+" "+req.URL.Path]++
	}
	t.c.mu.Unlock()
	began := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if verb != "WATCH" {
		t.c.busy[verb+" "+resource] += time.Since(began)
	}
	if err == nil && resp.StatusCode >= 300 {
		t.c.failed[verb+" "+resource+" "+strconv.Itoa(resp.StatusCode)]++
	}
	return resp, err
}

// benchClassify names a request by verb (GET, LIST, WATCH, APPLY, PATCH, POST, PUT, DELETE)
// and resource ("prometheusrules", "servicestandards/status", "discovery").
func benchClassify(req *http.Request) (verb, resource string) {
	segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	var rest []string
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		rest = segs[2:]
	case len(segs) >= 3 && segs[0] == "apis":
		rest = segs[3:]
	}
	if len(rest) >= 3 && rest[0] == "namespaces" {
		rest = rest[2:]
	}
	named := len(rest) >= 2
	switch {
	case len(rest) == 0:
		resource = "discovery"
	case len(rest) >= 3:
		resource = rest[0] + "/" + rest[2]
	default:
		resource = rest[0]
	}
	verb = req.Method
	switch {
	case verb == http.MethodGet && req.URL.Query().Get("watch") == "true":
		verb = "WATCH"
	case verb == http.MethodGet && !named && resource != "discovery":
		verb = "LIST"
	case verb == http.MethodPatch && strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch"):
		verb = "APPLY"
	}
	return verb, resource
}

func benchMutating(verb string) bool {
	switch verb {
	case "APPLY", http.MethodPatch, http.MethodPost, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// snapshot returns a copy of the counts by kind.
func (c *benchRequests) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.byKind))
	for k, v := range c.byKind {
		out[k] = v
	}
	return out
}

// latencies returns the time spent in requests by kind.
func (c *benchRequests) latencies() map[string]time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]time.Duration, len(c.busy))
	for k, v := range c.busy {
		out[k] = v
	}
	return out
}

// failures returns a copy of the answers other than 2xx.
func (c *benchRequests) failures() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.failed))
	for k, v := range c.failed {
		out[k] = v
	}
	return out
}

// objects returns a copy of the mutating requests per object.
func (c *benchRequests) objects() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.byObject))
	for k, v := range c.byObject {
		out[k] = v
	}
	return out
}

// benchDelta is after − before, per kind.
func benchDelta(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// benchSum adds the counts whose verb satisfies keep and whose resource is one of resources
// (any resource when none is given).
func benchSum(d map[string]int, keep func(verb string) bool, resources ...string) int {
	n := 0
	for k, v := range d {
		verb, res, _ := strings.Cut(k, " ")
		if !keep(verb) {
			continue
		}
		if len(resources) > 0 {
			found := false
			for _, r := range resources {
				found = found || r == res
			}
			if !found {
				continue
			}
		}
		n += v
	}
	return n
}

func benchIsRead(verb string) bool {
	return verb == http.MethodGet || verb == "LIST" || verb == "WATCH"
}

func benchIsVerb(want string) func(string) bool {
	return func(v string) bool { return v == want }
}

// benchLogWriter passes the first max log lines to stderr and counts the rest.
type benchLogWriter struct {
	mu           sync.Mutex
	max, written int
	dropped      int
}

func (w *benchLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.written >= w.max {
		w.dropped++
		return len(p), nil
	}
	w.written++
	return os.Stderr.Write(p)
}

// benchSample decodes the canonical sample: the standard and its policy.
func benchSample(b *testing.B) (*pledgev1.ServiceStandard, *pledgev1.EscalationPolicy) {
	raw, err := os.ReadFile(filepath.Join("..", "config", "samples", "pledge_v1alpha1_checkout.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	decode := serializer.NewCodecFactory(scheme).UniversalDeserializer().Decode
	var std *pledgev1.ServiceStandard
	var policy *pledgev1.EscalationPolicy
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		obj, _, err := decode([]byte(doc), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		switch o := obj.(type) {
		case *pledgev1.ServiceStandard:
			std = o
		case *pledgev1.EscalationPolicy:
			policy = o
		}
	}
	if std == nil || policy == nil || std.Spec.Escalation == nil || std.Spec.Escalation.PolicyRef == nil {
		b.Fatal("the sample must hold a ServiceStandard with a policyRef and its EscalationPolicy")
	}
	return std, policy
}

// benchReady reports whether the standard is Ready=True for its current generation.
func benchReady(std *pledgev1.ServiceStandard) bool {
	c := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == std.Generation &&
		std.Status.ObservedGeneration == std.Generation
}

// benchWaitReady lists the standards labelled sel until want are Ready: every 250ms per
// thousand standards, so that the benchmark's own lists do not load the API server more at
// 10,000 standards than at 1,000. It lists in pages of 500, so that what it decodes adds
// little to the memory of the process, which is measured as the manager's.
func benchWaitReady(ctx context.Context, b *testing.B, c client.Client, sel client.MatchingLabels, want int, timeout time.Duration) {
	benchWaitFor(ctx, b, c, sel, want, timeout, "Ready", benchReady)
}

// benchWaitFor is benchWaitReady for any state of a standard: what names it, holds tells it.
func benchWaitFor(ctx context.Context, b *testing.B, c client.Client, sel client.MatchingLabels, want int, timeout time.Duration,
	what string, holds func(*pledgev1.ServiceStandard) bool) {
	deadline := time.Now().Add(timeout)
	every := benchPollEvery * time.Duration(max(1, want/1000))
	for {
		ready := 0
		for page := ""; ; {
			var list pledgev1.ServiceStandardList
			if err := c.List(ctx, &list, sel, client.Limit(500), client.Continue(page)); err != nil {
				b.Fatal(err)
			}
			for i := range list.Items {
				if holds(&list.Items[i]) {
					ready++
				}
			}
			if page = list.Continue; page == "" {
				break
			}
		}
		if ready == want {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after %s, %d of %d standards are %s", timeout, ready, want, what)
		}
		time.Sleep(every)
	}
}

// benchRSS is a resident set size in bytes of process proc ("self" or a pid): field "VmRSS:"
// now, "VmHWM:" the peak so far.
func benchRSS(proc, field string) float64 {
	f, err := os.Open("/proc/" + proc + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// benchHeapProfile writes the heap profile (what is in use after the settle, read with go tool
// pprof -sample_index=inuse_space) to path.
func benchHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

func benchHeapInuse() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse)
}

// benchReconciles is controller-runtime's reconcile count for the servicestandard controller.
func benchReconciles(b *testing.B) float64 {
	return benchControllerCounter(b, "controller_runtime_reconcile_total")
}

// benchReconcileErrors is the count of reconciles of the servicestandard controller that
// returned an error (and were retried).
func benchReconcileErrors(b *testing.B) float64 {
	return benchControllerCounter(b, "controller_runtime_reconcile_errors_total")
}

// benchReconcileSeconds is the time the servicestandard controller spent in Reconcile.
func benchReconcileSeconds(b *testing.B) float64 {
	return benchControllerCounter(b, "controller_runtime_reconcile_time_seconds")
}

// benchControllerCounter sums a controller-runtime counter (or a histogram's sum) of the
// servicestandard controller.
func benchControllerCounter(b *testing.B, name string) float64 {
	mfs, err := crmetrics.Registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "servicestandard" {
					n += m.GetCounter().GetValue() + m.GetHistogram().GetSampleSum()
				}
			}
		}
	}
	return n
}

// benchSetup reads PLEDGE_BENCH_STANDARDS (default 1000) and PLEDGE_BENCH_WORKERS (default 4,
// as pledge manager --max-concurrent-reconciles) and starts an envtest API server and etcd with
// Pledge's and prometheus-operator's CRDs, stopped when the benchmark ends (returned too, to add
// users); it skips without
// KUBEBUILDER_ASSETS and MONITORING_CRDS.
func benchSetup(b *testing.B) (n, workers int, cfg *rest.Config, env *envtest.Environment) {
	bins, monitoringCRDs := os.Getenv("KUBEBUILDER_ASSETS"), os.Getenv("MONITORING_CRDS")
	if bins == "" || monitoringCRDs == "" {
		b.Skip("KUBEBUILDER_ASSETS and MONITORING_CRDS must be set: hack/bench-controller.sh builds and sets them")
	}
	n, workers = 1000, 4
	for _, v := range []struct {
		env  string
		into *int
	}{{"PLEDGE_BENCH_STANDARDS", &n}, {"PLEDGE_BENCH_WORKERS", &workers}} {
		if s := os.Getenv(v.env); s != "" {
			var err error
			if *v.into, err = strconv.Atoi(s); err != nil || *v.into < 1 {
				b.Fatalf("%s=%q: want a positive integer", v.env, s)
			}
		}
	}
	env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases"), monitoringCRDs},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: bins,
	}
	var err error
	cfg, err = env.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := env.Stop(); err != nil {
			b.Error(err)
		}
	})
	return n, workers, cfg, env
}

// benchParallel runs job for 0..n-1 from workers goroutines and fails the benchmark with the
// first error.
func benchParallel(b *testing.B, workers, n int, job func(i int) error) {
	work := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := job(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

func BenchmarkThousandStandards(b *testing.B) {
	n, workers, baseCfg, _ := benchSetup(b)
	b.Logf("%d standards, %d reconcile workers", n, workers)
	// Errors only, and only the first few: a thousand retried conflicts would bury the results.
	logs := &benchLogWriter{max: 5}
	logf.SetLogger(zap.New(zap.WriteTo(logs), zap.Level(zapcore.ErrorLevel), zap.StacktraceLevel(zapcore.PanicLevel)))
	defer func() {
		if logs.dropped > 0 {
			b.Logf("%d more error log lines of the manager were dropped", logs.dropped)
		}
	}()

	// The benchmark's own client (creates, polling) is not counted.
	c, err := client.New(baseCfg, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}

	// The manager's requests are counted.
	counts := newBenchRequests()
	mgrCfg := rest.CopyConfig(baseCfg)
	mgrCfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return benchRoundTripper{next: rt, c: counts} }
	mgr, err := controllers.NewManager(mgrCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// The controller suite may run a manager in this process too.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := controllers.Setup(ctx, mgr, controllers.Options{Workers: workers, Metrics: controllers.NewMetrics(prometheus.NewRegistry())}); err != nil {
		b.Fatal(err)
	}
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-mgrDone; err != nil {
			b.Error(err)
		}
	}()

	tmplStd, tmplPolicy := benchSample(b)
	lastApplied := os.Getenv("PLEDGE_BENCH_LAST_APPLIED") != ""
	if lastApplied {
		b.Logf("every standard carries kubectl's last-applied configuration")
	}
	b.ResetTimer()
	for iter := 0; iter < b.N; iter++ {
		b.StopTimer()
		run := fmt.Sprintf("r%d", iter)
		sel := client.MatchingLabels{"bench.pledge.dev/run": run}

		namespaces := benchPrepare(ctx, b, c, run, tmplStd, tmplPolicy)

		heapBefore := benchHeapInuse()
		reconcilesBefore := benchReconciles(b)
		reconcileErrorsBefore := benchReconcileErrors(b)
		before := counts.snapshot()
		objectsBefore := counts.objects()
		failedBefore := counts.failures()
		busyBefore := counts.latencies()
		reconcileTimeBefore := benchReconcileSeconds(b)

		// Create n standards from benchCreateWorkers goroutines, then poll until all are Ready.
		b.StartTimer()
		start := time.Now()
		benchCreate(ctx, b, c, run, namespaces, tmplStd, n, lastApplied)
		created := time.Since(start)
		benchWaitReady(ctx, b, c, sel, n, benchReadyTimeout*time.Duration(max(1, n/1000)))
		toReady := time.Since(start)
		b.StopTimer()
		atReady := counts.snapshot()

		// Let the work the creates caused finish: wait until the manager has written nothing
		// for benchQuiet. Writes after all standards are Ready are reported on their own.
		settled := benchSettle(b, counts)
		afterReady := benchDelta(atReady, settled)
		during := benchDelta(before, settled)
		reconciles := benchReconciles(b) - reconcilesBefore
		reconcileErrors := benchReconcileErrors(b) - reconcileErrorsBefore
		reconcileTime := benchReconcileSeconds(b) - reconcileTimeBefore
		busy := counts.latencies()
		mean := map[string]string{}
		for k, v := range during {
			if d := busy[k] - busyBefore[k]; d > 0 {
				mean[k] = (d / time.Duration(v)).Round(100 * time.Microsecond).String()
			}
		}
		heap := benchHeapInuse()
		rss, peak := benchRSS("self", "VmRSS:"), benchRSS("self", "VmHWM:")
		if path := os.Getenv("PLEDGE_BENCH_HEAPPROFILE"); path != "" {
			benchHeapProfile(b, path)
		}

		// Idle: nothing changes, so nothing should be written.
		time.Sleep(benchIdle)
		idle := benchDelta(settled, counts.snapshot())
		failed := benchDelta(failedBefore, counts.failures())

		// Generated objects and statuses written more than once (events are posted per
		// namespace, not per object).
		repeated := map[string]int{}
		for k, v := range counts.objects() {
			if f := strings.Fields(k); v-objectsBefore[k] > 1 && f[1] != "events" {
				repeated[f[0]+" "+f[1]]++
			}
		}

		per := func(x int) float64 { return float64(x) / float64(n) }
		applyPR := benchSum(during, benchIsVerb("APPLY"), "prometheusrules")
		applyAMC := benchSum(during, benchIsVerb("APPLY"), "alertmanagerconfigs")
		statusPatch := benchSum(during, benchIsVerb(http.MethodPatch), "servicestandards/status")
		events := benchSum(during, benchMutating, "events")
		writes := benchSum(during, benchMutating) - events
		lateWrites := benchSum(afterReady, benchMutating, "prometheusrules", "alertmanagerconfigs", "servicestandards/status")
		reads := benchSum(during, benchIsRead)
		idleWrites := benchSum(idle, benchMutating)
		failedWrites := benchSum(failed, benchMutating)

		b.Logf("%d standards (the sample's, policyRef to a per-namespace EscalationPolicy) in %d namespaces: created in %s, all Ready in %s",
			n, benchNamespaces, created.Round(time.Millisecond), toReady.Round(time.Millisecond))
		b.Logf("reconciles until settled: %.0f (%.2f per standard, %.0f returned an error); heap in use %.1f MiB (%.1f MiB before the creates); RSS %.1f MiB (peak %.1f MiB)",
			reconciles, reconciles/float64(n), reconcileErrors, heap/(1<<20), heapBefore/(1<<20), rss/(1<<20), peak/(1<<20))
		b.Logf("time in reconciles: %.1fs (%.1f ms per reconcile, %d workers)", reconcileTime, 1000*reconcileTime/reconciles, workers)
		b.Logf("manager requests from the first create until settled: %s", benchFormat(during))
		b.Logf("mean latency of those requests: %s", benchFormat(mean))
		b.Logf("of which after all were Ready: %s", benchFormat(afterReady))
		b.Logf("answers other than 2xx (until idle ends): %s", benchFormat(failed))
		b.Logf("objects written more than once (number of objects): %s", benchFormat(repeated))
		b.Logf("manager requests while idle for %s: %s", benchIdle, benchFormat(idle))

		b.ReportMetric(toReady.Seconds(), "s-to-ready")
		b.ReportMetric(created.Seconds(), "s-to-create")
		b.ReportMetric(per(writes), "writes/standard")
		b.ReportMetric(per(applyPR), "rule-applies/standard")
		b.ReportMetric(per(applyAMC), "amc-applies/standard")
		b.ReportMetric(per(statusPatch), "status-patches/standard")
		b.ReportMetric(per(lateWrites), "writes-after-ready/standard")
		b.ReportMetric(per(failedWrites), "failed-writes/standard")
		b.ReportMetric(per(events), "events/standard")
		b.ReportMetric(per(reads), "reads/standard")
		b.ReportMetric(reconciles/float64(n), "reconciles/standard")
		b.ReportMetric(reconcileErrors/float64(n), "reconcile-errors/standard")
		b.ReportMetric(heap/(1<<20), "heap-MiB")
		b.ReportMetric(rss/(1<<20), "rss-MiB")
		b.ReportMetric(peak/(1<<20), "peak-rss-MiB")
		b.ReportMetric(float64(idleWrites), "idle-writes")
	}
}

// benchPrepare creates the run's namespaces (benchPolicyNamespaces) and one warm-up standard,
// Ready before it returns, so that every controller and informer is running before anything
// is counted.
func benchPrepare(ctx context.Context, b *testing.B, c client.Client, run string, tmplStd *pledgev1.ServiceStandard, tmplPolicy *pledgev1.EscalationPolicy) []string {
	namespaces := benchPolicyNamespaces(ctx, b, c, "bench-"+run, tmplPolicy)
	warm := tmplStd.DeepCopy()
	warm.Namespace, warm.Name = namespaces[0], "warm-up"
	if err := c.Create(ctx, warm); err != nil {
		b.Fatal(err)
	}
	benchWaitReadyOne(ctx, b, c, client.ObjectKeyFromObject(warm))
	return namespaces
}

// benchPolicyNamespaces creates benchNamespaces namespaces PREFIX-0... with the sample policy
// in each.
func benchPolicyNamespaces(ctx context.Context, b *testing.B, c client.Client, prefix string, tmplPolicy *pledgev1.EscalationPolicy) []string {
	namespaces := make([]string, benchNamespaces)
	for i := range namespaces {
		namespaces[i] = fmt.Sprintf("%s-%d", prefix, i)
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespaces[i]}}); err != nil {
			b.Fatal(err)
		}
		p := tmplPolicy.DeepCopy()
		p.Namespace = namespaces[i]
		if err := c.Create(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	return namespaces
}

// benchCreate creates n copies of the sample standard across the namespaces, labelled with the
// run, from benchCreateWorkers goroutines; with lastApplied each carries the annotation
// `kubectl apply` leaves.
func benchCreate(ctx context.Context, b *testing.B, c client.Client, run string, namespaces []string, tmplStd *pledgev1.ServiceStandard, n int, lastApplied bool) {
	benchParallel(b, benchCreateWorkers, n, func(i int) error {
		std := tmplStd.DeepCopy()
		std.Namespace = namespaces[i%len(namespaces)]
		std.Name = fmt.Sprintf("checkout-%04d", i)
		std.Spec.Service = std.Name
		std.Labels = map[string]string{"bench.pledge.dev/run": run}
		if lastApplied {
			raw, err := json.Marshal(std)
			if err != nil {
				return err
			}
			std.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: string(raw)}
		}
		return c.Create(ctx, std)
	})
}

// benchSettle waits until the manager has made no mutating request for benchQuiet (at most
// benchSettleMax) and returns the counts then.
func benchSettle(b *testing.B, counts *benchRequests) map[string]int {
	deadline := time.Now().Add(benchSettleMax)
	last, lastChange := -1, time.Now()
	for {
		snap := counts.snapshot()
		if w := benchSum(snap, benchMutating); w != last {
			last, lastChange = w, time.Now()
		}
		if time.Since(lastChange) >= benchQuiet {
			return snap
		}
		if time.Now().After(deadline) {
			b.Logf("the manager was still writing after %s", benchSettleMax)
			return snap
		}
		time.Sleep(benchPollEvery)
	}
}

// benchFormat prints counts as "KIND resource=n, ..." in a stable order.
func benchFormat[V any](d map[string]V) string {
	if len(d) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, d[k]))
	}
	return strings.Join(parts, ", ")
}

// benchWaitReadyOne waits for one standard to be Ready.
func benchWaitReadyOne(ctx context.Context, b *testing.B, c client.Client, key client.ObjectKey) {
	deadline := time.Now().Add(time.Minute)
	for {
		std := &pledgev1.ServiceStandard{}
		if err := c.Get(ctx, key, std); err != nil {
			b.Fatal(err)
		}
		if benchReady(std) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("warm-up standard %s not Ready after a minute: %+v", key, std.Status.Conditions)
		}
		time.Sleep(benchPollEvery)
	}
}
