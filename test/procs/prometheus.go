package procs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// PrometheusOptions configure StartPrometheus. Every field is optional.
type PrometheusOptions struct {
	// Binary is the prometheus binary; default $PROMETHEUS (see Tool).
	Binary string
	// Config is a complete prometheus.yml. When empty, one is built from ScrapeInterval,
	// EvaluationInterval, ScrapeConfigs, Alertmanagers and RuleFiles. Relative paths in it
	// are relative to ConfigDir, where RuleFiles are written.
	Config string
	// ScrapeInterval and EvaluationInterval of the built configuration; default 1s each.
	ScrapeInterval, EvaluationInterval time.Duration
	// ScrapeConfigs of the built configuration.
	ScrapeConfigs []ScrapeConfig
	// Alertmanagers (URLs such as Alertmanager.URL(), or host:port) of the built configuration.
	Alertmanagers []string
	// ExternalLabels of the built configuration (global.external_labels); a Thanos sidecar
	// needs at least one.
	ExternalLabels map[string]string
	// RuleFiles maps file names to rule-file content. They are written to ConfigDir and, in a
	// built configuration, listed in rule_files.
	RuleFiles map[string]string
	// RuleGlobs are more rule_files entries of a built configuration, such as the files
	// target's rules directory (DIR/*.yaml).
	RuleGlobs []string
	// TSDBDir is the storage directory (--storage.tsdb.path); default a new t.TempDir(). Give
	// a directory that holds blocks (see BackfillOpenMetrics) to start on existing data.
	TSDBDir string
	// ExtraFlags are appended to the command line, for example "--rules.alert.resend-delay=1s",
	// "--storage.tsdb.retention.time=400d" (needed for backfilled data older than the default
	// 15d), "--query.lookback-delta=1m".
	ExtraFlags []string
	// ReadyTimeout bounds the wait for /-/ready; default DefaultReadyTimeout (30s).
	ReadyTimeout time.Duration
}

// ScrapeConfig is one scrape job of a built configuration.
type ScrapeConfig struct {
	JobName     string
	Targets     []string // host:port (Exporter.Target())
	MetricsPath string   // default /metrics
	Interval    time.Duration
	HonorLabels bool
	Labels      map[string]string // target labels
}

// Prometheus is a running Prometheus server on 127.0.0.1.
type Prometheus struct {
	queryAPI
	t         T
	proc      *process
	port      int
	configDir string
	tsdbDir   string
	timeout   time.Duration
}

// StartPrometheus starts Prometheus with the options and waits until it is ready. It always
// runs with --web.enable-lifecycle (for Reload) and --web.enable-admin-api. The process is
// killed when the test ends; its output is printed if the test fails.
func StartPrometheus(t T, opts PrometheusOptions) *Prometheus {
	t.Helper()
	if opts.Binary == "" {
		opts.Binary = Tool(t, "PROMETHEUS")
	}
	p := &Prometheus{t: t, port: mustFreePort(t), configDir: t.TempDir(), tsdbDir: opts.TSDBDir, timeout: opts.ReadyTimeout}
	if p.tsdbDir == "" {
		p.tsdbDir = t.TempDir()
	}
	for name, content := range opts.RuleFiles {
		p.WriteRuleFile(name, content)
	}
	cfg := opts.Config
	if cfg == "" {
		var err error
		if cfg, err = buildPrometheusConfig(opts); err != nil {
			t.Fatalf("prometheus config: %v", err)
		}
	}
	p.WriteConfig(cfg)
	args := []string{
		"--config.file=" + filepath.Join(p.configDir, "prometheus.yml"),
		"--storage.tsdb.path=" + p.tsdbDir,
		"--web.listen-address=" + p.Addr(),
		"--web.enable-lifecycle",
		"--web.enable-admin-api",
	}
	args = append(args, opts.ExtraFlags...)
	p.proc = newProcess(t, "prometheus", opts.Binary, args, p.URL()+"/-/ready")
	p.queryAPI = newQueryAPI(t, p.URL())
	p.proc.start(p.timeout)
	return p
}

func buildPrometheusConfig(opts PrometheusOptions) (string, error) {
	scrape, eval := opts.ScrapeInterval, opts.EvaluationInterval
	if scrape <= 0 {
		scrape = time.Second
	}
	if eval <= 0 {
		eval = time.Second
	}
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval":     model.Duration(scrape).String(),
			"scrape_timeout":      model.Duration(scrape).String(),
			"evaluation_interval": model.Duration(eval).String(),
		},
	}
	if len(opts.ExternalLabels) > 0 {
		cfg["global"].(map[string]any)["external_labels"] = opts.ExternalLabels
	}
	var ruleFiles []string
	for name := range opts.RuleFiles {
		ruleFiles = append(ruleFiles, name)
	}
	slices.Sort(ruleFiles)
	ruleFiles = append(ruleFiles, opts.RuleGlobs...)
	if len(ruleFiles) > 0 {
		cfg["rule_files"] = ruleFiles
	}
	var jobs []map[string]any
	for _, sc := range opts.ScrapeConfigs {
		job := map[string]any{"job_name": sc.JobName}
		static := map[string]any{"targets": sc.Targets}
		if len(sc.Labels) > 0 {
			static["labels"] = sc.Labels
		}
		job["static_configs"] = []any{static}
		if sc.MetricsPath != "" {
			job["metrics_path"] = sc.MetricsPath
		}
		if sc.Interval > 0 {
			job["scrape_interval"] = model.Duration(sc.Interval).String()
			job["scrape_timeout"] = model.Duration(sc.Interval).String()
		}
		if sc.HonorLabels {
			job["honor_labels"] = true
		}
		jobs = append(jobs, job)
	}
	if len(jobs) > 0 {
		cfg["scrape_configs"] = jobs
	}
	if len(opts.Alertmanagers) > 0 {
		var ams []any
		for _, a := range opts.Alertmanagers {
			target, scheme, prefix := a, "http", ""
			if u, err := url.Parse(a); err == nil && u.Host != "" {
				target, scheme, prefix = u.Host, u.Scheme, u.Path
			}
			am := map[string]any{"scheme": scheme, "static_configs": []any{map[string]any{"targets": []string{target}}}}
			if prefix != "" && prefix != "/" {
				am["path_prefix"] = prefix
			}
			ams = append(ams, am)
		}
		cfg["alerting"] = map[string]any{"alertmanagers": ams}
	}
	b, err := yaml.Marshal(cfg)
	return string(b), err
}

// URL is the server's base URL, http://127.0.0.1:<port>.
func (p *Prometheus) URL() string { return "http://" + p.Addr() }

// Addr is 127.0.0.1:<port>.
func (p *Prometheus) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// TSDBDir is the storage directory.
func (p *Prometheus) TSDBDir() string { return p.tsdbDir }

// ConfigDir holds prometheus.yml and the rule files.
func (p *Prometheus) ConfigDir() string { return p.configDir }

// WriteConfig replaces prometheus.yml; call Reload (or Restart) to apply it.
func (p *Prometheus) WriteConfig(yml string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.configDir, "prometheus.yml"), []byte(yml), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// WriteRuleFile writes (or replaces) a rule file in ConfigDir; call Reload to apply it. A new
// file must also be listed in the configuration's rule_files.
func (p *Prometheus) WriteRuleFile(name, content string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.configDir, name), []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// Stop terminates Prometheus (SIGTERM, then SIGKILL after 10s). The TSDB stays on disk.
func (p *Prometheus) Stop() { p.proc.stop() }

// Restart stops Prometheus and starts it again on the same port with the same TSDB directory
// and configuration — for example to load blocks written by BackfillOpenMetrics.
func (p *Prometheus) Restart() {
	p.t.Helper()
	p.proc.stop()
	p.proc.start(p.timeout)
}

// Running reports whether the process is up.
func (p *Prometheus) Running() bool { return p.proc.running() }

// Reload makes Prometheus re-read its configuration and rule files (POST /-/reload). A
// configuration Prometheus rejects is an error here.
func (p *Prometheus) Reload() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := PostOK(ctx, p.URL()+"/-/reload"); err != nil {
		p.t.Fatalf("prometheus reload: %v", err)
	}
}

// QueryRaw evaluates an instant query now and returns the API's JSON answer unchanged.
func (p *Prometheus) QueryRaw(ctx context.Context, q string) (json.RawMessage, error) {
	u := p.URL() + "/api/v1/query?" + url.Values{"query": {q}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("query %q: %s: %s", q, resp.Status, b)
	}
	return b, nil
}
