package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/board"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// The demo's timing: Prometheus scrapes every second and evaluates every 15s, the operator
// measures every 15s.
const (
	scrapeInterval = time.Second
	evalInterval   = rateStep
	pollInterval   = 15 * time.Second
)

// state is what a running demo tells status and down (state.json).
type state struct {
	PID          int       `json:"pid"`
	Started      time.Time `json:"started"`
	ReadyAfter   string    `json:"readyAfter"`
	Kubeconfig   string    `json:"kubeconfig"`
	APIServer    string    `json:"apiServer"`
	Prometheus   string    `json:"prometheus"`
	Alertmanager string    `json:"alertmanager"`
	Manager      string    `json:"managerMetrics"`
	Board        string    `json:"board"`
	Kubectl      string    `json:"kubectl"`
	Amtool       string    `json:"amtool"`
	Dir          string    `json:"dir"`
	Children     []int     `json:"children"`
}

var stepStart time.Time

// step prints a progress line; hack/demo.sh shows these while it waits.
func step(format string, args ...any) {
	now := time.Now()
	if !stepStart.IsZero() {
		log.Printf("    done in %.1fs", now.Sub(stepStart).Seconds())
	}
	stepStart = now
	log.Printf("==> "+format, args...)
}

func up(o options) error {
	if pid, ok := runningPID(o.dir); ok {
		fmt.Printf("The demo is already running (pid %d).\n", pid)
		return status(o)
	}
	started := time.Now()
	log.SetFlags(log.Ltime)
	log.SetOutput(os.Stdout)
	// A demo that was killed leaves kube-apiserver and etcd behind, on the directory reused now.
	stopLeftovers(o.dir)
	if o.detach {
		// A session of its own: closing the terminal or ^C in it does not reach the demo, and
		// every process it starts can be found by its session id.
		if _, err := syscall.Setsid(); err != nil {
			log.Printf("setsid: %v", err)
		}
	}

	run := filepath.Join(o.dir, "run")
	if err := os.RemoveAll(run); err != nil {
		return err
	}
	for _, f := range stateFiles {
		_ = os.Remove(filepath.Join(o.dir, f))
	}
	logs := filepath.Join(run, "logs")
	for _, d := range []string{logs, filepath.Join(run, "tmp"), filepath.Join(run, "etcd"), filepath.Join(run, "apiserver"), filepath.Join(run, "prometheus"), filepath.Join(run, "alertmanager")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(o.dir, "demo.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	t := newCLIT(filepath.Join(run, "tmp"))
	// Registered first, so it runs last: nothing says "running" once everything has stopped.
	t.Cleanup(func() {
		for _, f := range stateFiles {
			_ = os.Remove(filepath.Join(o.dir, f))
		}
		_ = os.Remove(filepath.Join(o.dir, "demo.pid"))
		if t.Failed() {
			// Kept for a look at the logs; the next start or make demo-down removes it.
			linkFiles(run)
			log.Printf("==> stopped; the logs are in %s", rel(logs))
			return
		}
		_ = os.RemoveAll(run)
		log.Printf("==> stopped")
	})
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-signals
		log.Printf("==> %s: stopping", s)
		t.exit(0)
	}()

	st := state{PID: os.Getpid(), Started: started, Dir: o.dir,
		Kubectl: filepath.Join(o.bin, "k8s", "kubectl"), Amtool: filepath.Join(o.bin, "amtool")}
	for _, bin := range []string{"prometheus", "promtool", "alertmanager", "amtool", "k8s/etcd", "k8s/kube-apiserver", "k8s/kubectl"} {
		if _, err := os.Stat(filepath.Join(o.bin, bin)); err != nil {
			t.Fatalf("%s is missing: make demo builds it (make promtool prometheus alertmanager amtool envtest-bins)", filepath.Join(o.bin, bin))
		}
	}

	// 1. The control plane.
	step("starting etcd and kube-apiserver (envtest, %s)", rel(filepath.Join(o.bin, "k8s")))
	cfg := startControlPlane(t, o, run, &st)

	// 2. History, traffic, Prometheus and Alertmanager.
	now := time.Now().Truncate(time.Second)
	step("backfilling %d days of history of the sample standards (promtool tsdb create-blocks-from openmetrics)", historyDays)
	tsdb := filepath.Join(run, "prometheus")
	procs.BackfillOpenMetrics(t, filepath.Join(o.bin, "promtool"), tsdb, openMetrics(history(), now))

	step("starting the synthetic exporter and Alertmanager")
	exporter := procs.StartExporter(t)
	startTraffic(exporter)
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{
		Binary: filepath.Join(o.bin, "alertmanager"), Amtool: filepath.Join(o.bin, "amtool"),
		StorageDir: filepath.Join(run, "alertmanager"), ReadyTimeout: time.Minute,
	})
	st.Alertmanager = am.URL()

	managerPort, err := procs.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	st.Manager = "http://127.0.0.1:" + strconv.Itoa(managerPort) + "/metrics"
	step("starting Prometheus on the history (scrape %s, evaluation %s, retention 400d)", scrapeInterval, evalInterval)
	rulesDir := filepath.Join(run, "rules")
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{
		Binary:             filepath.Join(o.bin, "prometheus"),
		TSDBDir:            tsdb,
		ScrapeInterval:     scrapeInterval,
		EvaluationInterval: evalInterval,
		ScrapeConfigs: []procs.ScrapeConfig{
			// The exporter's series carry their own job label (job="checkout", …).
			{JobName: "demo-traffic", Targets: []string{exporter.Target()}, HonorLabels: true},
			{JobName: "pledge", Targets: []string{"127.0.0.1:" + strconv.Itoa(managerPort)}, Interval: 5 * time.Second},
		},
		Alertmanagers: []string{am.URL()},
		RuleGlobs:     []string{filepath.Join(rulesDir, "*.yaml")},
		ExtraFlags:    []string{"--storage.tsdb.retention.time=400d"},
		ReadyTimeout:  2 * time.Minute,
	})
	st.Prometheus = prom.URL()

	// 3. The standards and the operator, delivering through the files target.
	scheme := controllers.NewScheme()
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	step("applying %s", rel(o.samples))
	applySamples(t, ctx, c, o.samples)

	step("starting the Pledge manager in-process (--target=files into %s and %s; compliance against %s every %s)",
		rel(rulesDir), rel(am.ConfigPath()), prom.URL(), pollInterval)
	st.Board = startManager(t, ctx, cfg, scheme, controllers.FilesOptions{
		RulesDir: rulesDir, AlertmanagerConfigFile: am.ConfigPath(),
		PrometheusReloadURL: prom.URL(), AlertmanagerReloadURL: am.URL(),
	}, prom.URL(), am.URL(), managerPort, logs)

	step("waiting until every standard is Ready, loaded and measured")
	if err := waitForStanding(ctx, c, prom.URL(), time.Duration(o.timeout)*time.Second); err != nil {
		t.Fatal(err)
	}
	waitForAlerts(ctx, prom.URL(), am.URL(), 30*time.Second)
	step("ready")

	linkFiles(run)
	st.ReadyAfter = time.Since(started).Round(time.Second).String()
	st.Children = children(os.Getpid())
	pids := strconv.Itoa(st.PID) + "\n"
	for _, c := range st.Children {
		pids += strconv.Itoa(c) + "\n"
	}
	if err := os.WriteFile(filepath.Join(o.dir, "pids"), []byte(pids), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(o.dir, "state.json"), st); err != nil {
		t.Fatal(err)
	}
	if err := writeEnv(o.dir, st); err != nil {
		t.Fatal(err)
	}
	summary := summarize(st)
	if err := os.WriteFile(filepath.Join(o.dir, "summary.txt"), []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Print(summary)
	if err := os.WriteFile(filepath.Join(o.dir, "ready"), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {} // until a signal
}

// linkFiles makes the components' logs and configuration, which test/procs writes into numbered
// directories, easy to find: run/logs/*.log and run/config/.
func linkFiles(run string) {
	for _, pattern := range []string{"*.log", "*.yml", "*.yaml"} {
		files, _ := filepath.Glob(filepath.Join(run, "tmp", "*", pattern))
		for _, f := range files {
			dir := "config"
			if strings.HasSuffix(f, ".log") {
				dir = "logs"
			}
			_ = os.MkdirAll(filepath.Join(run, dir), 0o755)
			target, err := filepath.Rel(filepath.Join(run, dir), f)
			if err == nil {
				_ = os.Symlink(target, filepath.Join(run, dir, filepath.Base(f)))
			}
		}
	}
}

// stateFiles are the files of a running demo, removed when it stops.
var stateFiles = []string{"ready", "summary.txt", "state.json", "env", "kubeconfig", "pids"}

func startControlPlane(t *cliT, o options, run string, st *state) *rest.Config {
	etcdLog := openLog(t, filepath.Join(run, "logs", "etcd.log"))
	apiLog := openLog(t, filepath.Join(run, "logs", "kube-apiserver.log"))
	env := &envtest.Environment{
		BinaryAssetsDirectory: filepath.Join(o.bin, "k8s"),
		// Pledge's own CRDs only: the files target needs no prometheus-operator CRDs.
		CRDDirectoryPaths:        []string{o.crds},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: filepath.Join(run, "etcd"), Out: etcdLog, Err: etcdLog}
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: filepath.Join(run, "apiserver"), Out: apiLog, Err: apiLog}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			log.Printf("stopping the control plane: %v", err)
		}
	})
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting the control plane: %v (logs in %s)", err, filepath.Join(run, "logs"))
	}
	user, err := env.AddUser(envtest.User{Name: "demo", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	st.Kubeconfig = filepath.Join(o.dir, "kubeconfig")
	if err := os.WriteFile(st.Kubeconfig, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	st.APIServer = strings.TrimSuffix(cfg.Host, "/")
	return cfg
}

func openLog(t *cliT, path string) *os.File {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// applySamples creates the namespaces, EscalationPolicies and ServiceStandards of dir, read
// as pledge validate reads them.
func applySamples(t *cliT, ctx context.Context, c client.Client, dir string) {
	set, problems := manifest.Load([]string{dir}, nil)
	for _, p := range problems {
		log.Printf("%s", p)
	}
	if len(problems) > 0 {
		t.Fatalf("%s: %d problem(s)", dir, len(problems))
	}
	if len(set.Standards) == 0 {
		t.Fatalf("%s holds no ServiceStandard", dir)
	}
	var objs []client.Object
	namespaces := map[string]bool{}
	for _, p := range set.Policies {
		namespaces[namespaceOf(p)] = true
		objs = append(objs, p)
	}
	for _, s := range set.Standards {
		namespaces[namespaceOf(s)] = true
		objs = append(objs, s)
	}
	for ns := range namespaces {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}
	for _, obj := range objs {
		obj.SetNamespace(namespaceOf(obj))
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("%s %s/%s: %v", kind, obj.GetNamespace(), obj.GetName(), err)
		}
		log.Printf("    %s %s/%s created", kind, obj.GetNamespace(), obj.GetName())
	}
}

func namespaceOf(obj client.Object) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns
	}
	return "default"
}

// startManager runs the Pledge controllers with the files target, compliance measurement, the
// RulesLoaded check and the board, as `pledge manager --target=files --rules-dir …
// --prometheus-url --alertmanager-url --web-address` does, in this process, and returns the
// board's URL. Its log goes to logs/manager.log.
func startManager(t *cliT, ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, files controllers.FilesOptions, prometheusURL, alertmanagerURL string, metricsPort int, logs string) string {
	ctrl.SetLogger(zap.New(zap.WriteTo(openLog(t, filepath.Join(logs, "manager.log")))))
	mgr, err := controllers.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "127.0.0.1:" + strconv.Itoa(metricsPort)},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	metrics := controllers.NewMetrics(nil)
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prometheusURL, Timeout: 30 * time.Second}, metrics.Queries)
	if err != nil {
		t.Fatal(err)
	}
	opts := controllers.Options{
		Target:  controllers.TargetFiles,
		Files:   files,
		Metrics: metrics,
		Liveness: &controllers.LivenessChecker{Prometheus: q, Interval: pollInterval, Grace: time.Minute,
			Alertmanager: compliance.NewAlertmanagerReader(alertmanagerURL, 30*time.Second)},
		Compliance: &controllers.ComplianceRunner{
			Querier: q, Interval: pollInterval,
			Options: compliance.Options{AtRiskBudget: 25, Periods: 3},
		},
	}
	if err := controllers.Setup(ctx, mgr, opts); err != nil {
		t.Fatal(err)
	}
	boardAddr, err := board.AddToManager(mgr, "127.0.0.1:0", q, render.ClusterLabel{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	mctx, cancel := context.WithCancel(ctx)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			log.Printf("the manager did not stop within 30s")
		}
	})
	go func() {
		err := mgr.Start(mctx)
		close(done)
		if err != nil && mctx.Err() == nil {
			t.Fatalf("the manager stopped: %v", err)
		}
	}()
	return "http://" + boardAddr + "/"
}

// waitForStanding waits until every standard is Ready, its rules and receivers loaded
// (RulesLoaded) and measured (a Compliant condition that is not about Prometheus being
// unreachable), and every rule group at the global interval has been evaluated since.
func waitForStanding(ctx context.Context, c client.Client, prometheusURL string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		why := notYet(ctx, c, prometheusURL)
		if why == "" {
			return nil
		}
		if why != last {
			log.Printf("    waiting: %s", why)
			last = why
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %s", timeout, why)
		}
		time.Sleep(time.Second)
	}
}

func notYet(ctx context.Context, c client.Client, prometheusURL string) string {
	var list pledgev1.ServiceStandardList
	if err := c.List(ctx, &list); err != nil {
		return err.Error()
	}
	if len(list.Items) == 0 {
		return "no ServiceStandards"
	}
	var loaded time.Time
	for _, s := range list.Items {
		name := s.Namespace + "/" + s.Name
		ready := meta.FindStatusCondition(s.Status.Conditions, pledgev1.ConditionReady)
		if ready == nil || ready.Status != metav1.ConditionTrue {
			return name + " is not Ready yet"
		}
		rl := meta.FindStatusCondition(s.Status.Conditions, pledgev1.ConditionRulesLoaded)
		if rl == nil || rl.Status != metav1.ConditionTrue {
			return name + "'s rules and receivers are not loaded yet (RulesLoaded)"
		}
		if rl.LastTransitionTime.After(loaded) {
			loaded = rl.LastTransitionTime.Time
		}
		c := meta.FindStatusCondition(s.Status.Conditions, pledgev1.ConditionCompliant)
		if c == nil || c.Reason == pledgev1.ReasonPrometheusUnavailable {
			return name + " has not been measured yet"
		}
	}
	groups, err := ruleGroups(ctx, prometheusURL)
	if err != nil {
		return err.Error()
	}
	if len(groups) == 0 {
		return "Prometheus has not loaded the rules yet"
	}
	for _, g := range groups {
		if time.Duration(g.Interval*float64(time.Second)) <= evalInterval && g.LastEvaluation.Before(loaded) {
			return "Prometheus has not evaluated rule group " + g.Name + " yet"
		}
	}
	return ""
}

type ruleGroup struct {
	Name           string    `json:"name"`
	Interval       float64   `json:"interval"`
	LastEvaluation time.Time `json:"lastEvaluation"`
}

func ruleGroups(ctx context.Context, prometheusURL string) ([]ruleGroup, error) {
	var out struct {
		Data struct {
			Groups []ruleGroup `json:"groups"`
		} `json:"data"`
	}
	err := getJSON(ctx, prometheusURL+"/api/v1/rules", &out)
	return out.Data.Groups, err
}

// waitForAlerts waits (at most timeout) until Alertmanager holds as many alerts as Prometheus
// has firing, so that the summary shows them.
func waitForAlerts(ctx context.Context, prometheusURL, amURL string, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var firing struct {
			Data struct {
				Alerts []struct {
					State string `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		var held []json.RawMessage
		if getJSON(ctx, prometheusURL+"/api/v1/alerts", &firing) == nil && getJSON(ctx, amURL+"/api/v2/alerts", &held) == nil {
			n := 0
			for _, a := range firing.Data.Alerts {
				if a.State == "firing" {
					n++
				}
			}
			if len(held) >= n {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func getJSON(ctx context.Context, url string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.Unmarshal(b, out)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func readState(dir string) (state, error) {
	var st state
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, err
	}
	if st.PID == 0 {
		return st, errors.New("state.json without a pid")
	}
	return st, nil
}

// writeEnv writes shell exports for the demo's endpoints: source bin/demo/env.
func writeEnv(dir string, st state) error {
	content := fmt.Sprintf("# Pledge demo (pid %d): source this file.\nexport KUBECONFIG=%q\nexport PLEDGE_DEMO_PROMETHEUS=%q\nexport PLEDGE_DEMO_ALERTMANAGER=%q\nexport PLEDGE_DEMO_BOARD=%q\n",
		st.PID, st.Kubeconfig, st.Prometheus, st.Alertmanager, st.Board)
	return os.WriteFile(filepath.Join(dir, "env"), []byte(content), 0o644)
}
