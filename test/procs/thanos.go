package procs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ThanosOptions configure every Thanos component. Every field is optional.
type ThanosOptions struct {
	// Binary is the thanos binary; default $THANOS (see Tool).
	Binary string
	// GRPCPort is the gRPC (StoreAPI, RulesAPI) port; default a free one. Give a port taken
	// with FreePort to start a component at an address already handed to another: a Querier
	// that lists a Ruler, which itself needs the Querier's URL.
	GRPCPort int
	// ExtraFlags are appended to the command line.
	ExtraFlags []string
	// ReadyTimeout bounds the wait for /-/ready; default DefaultReadyTimeout (30s).
	ReadyTimeout time.Duration
}

// ThanosQueryOptions configure StartThanosQuery.
type ThanosQueryOptions struct {
	ThanosOptions
	// Endpoints are the gRPC addresses (host:port, Thanos.GRPCAddr()) of the StoreAPI servers
	// to query: sidecars, rulers. An endpoint that is not up yet is retried every few seconds.
	Endpoints []string
}

// ThanosRulerOptions configure StartThanosRuler.
type ThanosRulerOptions struct {
	ThanosOptions
	// Queries are the query API URLs the rules are evaluated against (--query), e.g. a
	// Thanos Query's URL().
	Queries []string
	// Alertmanagers are the Alertmanager URLs alerts are sent to (--alertmanagers.url).
	Alertmanagers []string
	// RuleFiles maps file names to rule-file content, written to RuleDir. The Ruler loads
	// RuleDir/*.yaml (--rule-file).
	RuleFiles map[string]string
	// EvalInterval is the evaluation interval of groups without their own; default 1s.
	EvalInterval time.Duration
	// Labels are the Ruler's external labels (--label), on its series and alerts.
	Labels map[string]string
}

// Thanos is a running Thanos component (sidecar, query or rule) on 127.0.0.1, with an HTTP
// and a gRPC port. A Query or Ruler also serves the Prometheus HTTP API (Query, WaitForQuery).
type Thanos struct {
	queryAPI
	t         T
	component string
	proc      *process
	httpPort  int
	grpcPort  int
	timeout   time.Duration
	ruleDir   string
}

// StartThanosSidecar starts `thanos sidecar` in front of prom and waits until it is ready,
// which is when it has read Prometheus's external labels: the sidecar refuses a Prometheus
// without any (PrometheusOptions.ExternalLabels). It serves the StoreAPI on GRPCAddr() from
// Prometheus's data, back to the oldest sample, so backfilled history is served too.
func StartThanosSidecar(t T, prom *Prometheus, opts ThanosOptions) *Thanos {
	t.Helper()
	return startThanos(t, "sidecar", opts, func(*Thanos) []string {
		return []string{"--prometheus.url=" + prom.URL(), "--tsdb.path=" + prom.TSDBDir()}
	})
}

// StartThanosQuery starts `thanos query` over the endpoints and waits until it is ready. Its
// URL() serves the Prometheus query and rules APIs for every endpoint; call WaitForEndpoints
// before relying on an endpoint's data.
func StartThanosQuery(t T, opts ThanosQueryOptions) *Thanos {
	t.Helper()
	if len(opts.Endpoints) == 0 {
		t.Fatal("StartThanosQuery needs at least one endpoint")
	}
	// The endpoint configuration (--endpoint.sd-config), not the deprecated --endpoint flags.
	var list []string
	for _, e := range opts.Endpoints {
		list = append(list, fmt.Sprintf("{address: %q}", e))
	}
	return startThanos(t, "query", opts.ThanosOptions, func(*Thanos) []string {
		return []string{"--endpoint.sd-config={endpoints: [" + strings.Join(list, ", ") + "]}"}
	})
}

// StartThanosRuler starts `thanos rule` with the rule files and waits until it is ready. It
// keeps what its recording rules write in its own TSDB and serves it on GRPCAddr(): a Query
// must list the Ruler as an endpoint for rules that read other rules' series.
func StartThanosRuler(t T, opts ThanosRulerOptions) *Thanos {
	t.Helper()
	if len(opts.Queries) == 0 {
		t.Fatal("StartThanosRuler needs at least one query URL")
	}
	return startThanos(t, "rule", opts.ThanosOptions, func(r *Thanos) []string {
		r.ruleDir = t.TempDir()
		for name, content := range opts.RuleFiles {
			r.WriteRuleFile(name, content)
		}
		eval := opts.EvalInterval
		if eval <= 0 {
			eval = time.Second
		}
		args := []string{
			"--data-dir=" + t.TempDir(),
			"--rule-file=" + filepath.Join(r.ruleDir, "*.yaml"),
			"--eval-interval=" + eval.String(),
		}
		for _, q := range opts.Queries {
			args = append(args, "--query="+q)
		}
		for _, a := range opts.Alertmanagers {
			args = append(args, "--alertmanagers.url="+a)
		}
		names := make([]string, 0, len(opts.Labels))
		for name := range opts.Labels {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			args = append(args, fmt.Sprintf("--label=%s=%q", name, opts.Labels[name]))
		}
		return args
	})
}

// startThanos runs `thanos <component>` on two ports, with the component's own flags from
// args (called once the ports are known), and waits for /-/ready.
func startThanos(t T, component string, opts ThanosOptions, args func(*Thanos) []string) *Thanos {
	t.Helper()
	if opts.Binary == "" {
		opts.Binary = Tool(t, "THANOS")
	}
	th := &Thanos{t: t, component: component, httpPort: mustFreePort(t), grpcPort: opts.GRPCPort, timeout: opts.ReadyTimeout}
	if th.grpcPort == 0 {
		th.grpcPort = mustFreePort(t)
	}
	all := []string{component,
		"--http-address=" + th.Addr(),
		"--grpc-address=" + th.GRPCAddr(),
		"--log.level=info",
	}
	all = append(all, args(th)...)
	all = append(all, opts.ExtraFlags...)
	th.proc = newProcess(t, "thanos-"+component, opts.Binary, all, th.URL()+"/-/ready")
	th.queryAPI = newQueryAPI(t, th.URL())
	th.proc.start(th.timeout)
	return th
}

// URL is the HTTP base URL, http://127.0.0.1:<port>.
func (th *Thanos) URL() string { return "http://" + th.Addr() }

// Addr is the HTTP address, 127.0.0.1:<port>.
func (th *Thanos) Addr() string { return "127.0.0.1:" + strconv.Itoa(th.httpPort) }

// GRPCAddr is the gRPC address, 127.0.0.1:<port>, for a Query's Endpoints.
func (th *Thanos) GRPCAddr() string { return "127.0.0.1:" + strconv.Itoa(th.grpcPort) }

// RuleDir is where a Ruler's rule files are (empty for other components).
func (th *Thanos) RuleDir() string { return th.ruleDir }

// WriteRuleFile writes (or replaces) a Ruler's rule file; call Reload to apply it. Only names
// ending in .yaml are loaded.
func (th *Thanos) WriteRuleFile(name, content string) {
	th.t.Helper()
	if th.ruleDir == "" {
		th.t.Fatalf("thanos %s has no rule files", th.component)
	}
	if err := os.WriteFile(filepath.Join(th.ruleDir, name), []byte(content), 0o644); err != nil {
		th.t.Fatal(err)
	}
}

// Reload makes the component re-read its configuration (POST /-/reload): a Ruler its rule files.
func (th *Thanos) Reload() {
	th.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := PostOK(ctx, th.URL()+"/-/reload"); err != nil {
		th.t.Fatalf("thanos %s reload: %v", th.component, err)
	}
}

// Stop terminates the component (SIGTERM, then SIGKILL after 10s).
func (th *Thanos) Stop() { th.proc.stop() }

// ThanosStore is one endpoint as a Query lists it (GET /api/v1/stores).
type ThanosStore struct {
	Name      string              `json:"name"`
	LastError *string             `json:"lastError"`
	LabelSets []map[string]string `json:"labelSets"`
	MinTime   int64               `json:"minTime"`
	MaxTime   int64               `json:"maxTime"`
}

// Stores lists a Query's endpoints by the kind of API they serve ("sidecar", "rule", ...).
func (th *Thanos) Stores(ctx context.Context) (map[string][]ThanosStore, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, th.URL()+"/api/v1/stores", nil)
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
	var out struct {
		Status string                   `json:"status"`
		Data   map[string][]ThanosStore `json:"data"`
	}
	if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/stores: %s: %v: %s", resp.Status, err, b)
	}
	return out.Data, nil
}

// WaitForEndpoints waits until a Query lists every one of addrs (Thanos.GRPCAddr()) as a
// healthy endpoint, so that their data is in its answers; it fails the test after timeout.
func (th *Thanos) WaitForEndpoints(t T, timeout time.Duration, addrs ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		stores, err := th.Stores(ctx)
		cancel()
		healthy := map[string]bool{}
		var seen []string
		for kind, list := range stores {
			for _, s := range list {
				healthy[s.Name] = healthy[s.Name] || s.LastError == nil || *s.LastError == ""
				errText := ""
				if s.LastError != nil {
					errText = *s.LastError
				}
				seen = append(seen, fmt.Sprintf("%s %s (error %q)", kind, s.Name, errText))
			}
		}
		if err == nil && !slices.ContainsFunc(addrs, func(a string) bool { return !healthy[a] }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s thanos query does not list %s as healthy; it lists [%s], error %v",
				timeout, strings.Join(addrs, ", "), strings.Join(seen, "; "), err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
