package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// server is one Prometheus under test.
type server struct {
	name, url string
}

func (s server) get(path string, params url.Values, into any) error {
	resp, err := http.Get(s.url + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s %s: %w", s.name, path, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s %s: %s", s.name, path, env.Error)
	}
	return json.Unmarshal(env.Data, into)
}

// scalar runs an instant query that must return one sample; ok is false for an empty result.
func (s server) scalar(q string, at time.Time) (v float64, ok bool, err error) {
	var data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	p := url.Values{"query": {q}}
	if !at.IsZero() {
		p.Set("time", strconv.FormatInt(at.Unix(), 10))
	}
	if err := s.get("/api/v1/query", p, &data); err != nil {
		return 0, false, err
	}
	if len(data.Result) == 0 {
		return 0, false, nil
	}
	if len(data.Result) > 1 {
		return 0, false, fmt.Errorf("%s: %s returned %d series", s.name, q, len(data.Result))
	}
	str, _ := data.Result[0].Value[1].(string)
	v, err = strconv.ParseFloat(str, 64)
	return v, true, err
}

type apiRule struct {
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	Labels         map[string]string `json:"labels"`
	Health         string            `json:"health"`
	LastError      string            `json:"lastError"`
	EvaluationTime float64           `json:"evaluationTime"`
}

type apiGroup struct {
	Name           string    `json:"name"`
	Interval       float64   `json:"interval"`
	EvaluationTime float64   `json:"evaluationTime"`
	LastEvaluation time.Time `json:"lastEvaluation"`
	Rules          []apiRule `json:"rules"`
}

// ruleKind names a rule across objectives: the recorded metric, or the alert with the labels
// that tell its variants apart (burn-rate windows, severity, threshold).
func ruleKind(r apiRule) string {
	if r.Type == "recording" {
		return r.Name
	}
	var parts []string
	for _, k := range []string{"severity", "sloth_severity", "long_window", "short_window", "long", "short", "exhaustion", "budget_left_threshold"} {
		if v, ok := r.Labels[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return r.Name + "{" + strings.Join(parts, ",") + "}"
}

type result struct {
	groups, rules, notEvaluated int
	measured, model, cpu        float64 // eval s/s (summary rate; last duration / interval), CPU cores
	samples                     float64 // query samples per second
	kinds                       map[string]*kindCost
}

type kindCost struct {
	rules int
	cost  float64 // seconds of evaluation per second
}

// cmdReport reads, from each Prometheus (name=URL, Pledge first: ratios are Pledge/peer),
// over the last -window: the rate of prometheus_rule_group_duration_seconds_sum (evaluation
// seconds per second, measured), the same from the rules API (each group's last evaluation
// time / its interval), process CPU, and samples loaded by queries. It fails when a rule has
// failed an evaluation, a recorded metric has no series, or a backfilled metric (named in
// -levels DIR/NAME/level-*.yaml) has no history at -history-at.
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	window := fs.Duration("window", 10*time.Minute, "settle window the rates are taken over")
	levels := fs.String("levels", "", "directory with NAME/level-*.yaml (backfilled rules per tool)")
	historyAt := fs.Int64("history-at", 0, "Unix time at which backfilled metrics must have samples")
	baseline := fs.String("baseline", "", "name of the server without rules: its CPU is the floor subtracted in the \"above baseline\" columns")
	_ = fs.Parse(args)
	var servers []server
	for _, a := range fs.Args() {
		name, u, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("want name=URL, got %q", a)
		}
		servers = append(servers, server{name, u})
	}
	if len(servers) == 0 {
		return fmt.Errorf("no servers")
	}
	w := model.Duration(*window).String()
	var problems []string
	results := make([]result, len(servers))
	for i, s := range servers {
		res := &results[i]
		var err error
		var ok bool
		for _, q := range []struct {
			into *float64
			expr string
		}{
			{&res.measured, "rate(prometheus_rule_group_duration_seconds_sum{job=\"self\"}[" + w + "])"},
			{&res.cpu, "rate(process_cpu_seconds_total{job=\"self\"}[" + w + "])"},
			{&res.samples, "rate(prometheus_engine_query_samples_total{job=\"self\"}[" + w + "])"},
		} {
			if *q.into, ok, err = s.scalar(q.expr, time.Time{}); err != nil {
				return err
			} else if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s is empty", s.name, q.expr))
			}
		}
		failures, _, err := s.scalar("sum(prometheus_rule_evaluation_failures_total{job=\"self\"})", time.Time{})
		if err != nil {
			return err
		}
		if failures > 0 {
			problems = append(problems, fmt.Sprintf("%s: %v rule evaluation failures", s.name, failures))
		}
		var rules struct {
			Groups []apiGroup `json:"groups"`
		}
		if err := s.get("/api/v1/rules", nil, &rules); err != nil {
			return err
		}
		// Groups not evaluated yet (an hourly group's first evaluation may fall after the
		// window) are counted at the mean of the evaluated groups of the same interval.
		type class struct{ n, evaluated int }
		classes := map[float64]*class{}
		for _, g := range rules.Groups {
			c := classes[g.Interval]
			if c == nil {
				c = &class{}
				classes[g.Interval] = c
			}
			c.n++
			if g.LastEvaluation.Year() > 1 {
				c.evaluated++
			}
		}
		res.kinds = map[string]*kindCost{}
		recorded := map[string]bool{}
		for _, g := range rules.Groups {
			res.groups++
			res.rules += len(g.Rules)
			c := classes[g.Interval]
			if g.LastEvaluation.Year() <= 1 {
				res.notEvaluated++
				continue
			}
			scale := float64(c.n) / float64(c.evaluated)
			res.model += g.EvaluationTime / g.Interval * scale
			for _, r := range g.Rules {
				if r.Health == "err" {
					problems = append(problems, fmt.Sprintf("%s: group %s rule %s: %s", s.name, g.Name, r.Name, r.LastError))
				}
				if r.Type == "recording" {
					recorded[r.Name] = true
				}
				k := res.kinds[ruleKind(r)]
				if k == nil {
					k = &kindCost{}
					res.kinds[ruleKind(r)] = k
				}
				k.rules++
				k.cost += r.EvaluationTime / g.Interval * scale
			}
		}
		if s.name == *baseline {
			continue
		}
		for c, cl := range classes {
			if cl.evaluated == 0 {
				problems = append(problems, fmt.Sprintf("%s: none of the %d groups of interval %vs has been evaluated", s.name, cl.n, c))
			}
		}
		for m := range recorded {
			n, ok, err := s.scalar(fmt.Sprintf("count({__name__=%q})", m), time.Time{})
			if err != nil {
				return err
			}
			if !ok || n == 0 {
				problems = append(problems, fmt.Sprintf("%s: recorded metric %s has no series", s.name, m))
			}
		}
		if *levels != "" {
			files, _ := filepath.Glob(filepath.Join(*levels, s.name, "level-*.yaml"))
			for _, f := range files {
				rgs, errs := rulefmt.ParseFile(f, false, model.UTF8Validation, promParser, promslog.NewNopLogger())
				if len(errs) > 0 {
					return errs[0]
				}
				seen := map[string]bool{}
				for _, g := range rgs.Groups {
					for _, r := range g.Rules {
						if seen[r.Record] {
							continue
						}
						seen[r.Record] = true
						q := fmt.Sprintf("count(count_over_time({__name__=%q}[1h]))", r.Record)
						n, ok, err := s.scalar(q, time.Unix(*historyAt, 0))
						if err != nil {
							return err
						}
						if !ok || n == 0 {
							problems = append(problems, fmt.Sprintf("%s: backfilled metric %s has no samples in the hour before %s", s.name, r.Record, time.Unix(*historyAt, 0).UTC().Format(time.RFC3339)))
						}
					}
				}
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	printReport(servers, results, *baseline, *window, strings.Join(strings.Fields(string(load))[:3], " "))
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "FAIL:", p)
		}
		return fmt.Errorf("%d problems: the numbers above are not a valid measurement", len(problems))
	}
	return nil
}

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func printReport(servers []server, results []result, baseline string, window time.Duration, load string) {
	floor := 0.0
	for i, s := range servers {
		if s.name == baseline {
			floor = results[i].cpu
		}
	}
	fmt.Printf("Window %s, load average at the end %s. Ratios are %s / tool. Evaluation seconds are wall\n", window, load, servers[0].name)
	fmt.Println("time (they grow when the cores are busy); CPU is the process's, all its work included.")
	if baseline != "" {
		fmt.Printf("%q has no rules: its CPU (scraping, storage, the Go runtime) is subtracted in the \"above baseline\" columns.\n", baseline)
	}
	fmt.Println()
	fmt.Println("| tool | groups | rules | eval s/s (measured) | eval s/s (last eval / interval) | CPU (cores) | CPU above baseline | query samples/s | ratio eval (measured) | ratio eval (last / interval) | ratio CPU | ratio CPU above baseline | ratio samples |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	ref := results[0]
	for i, s := range servers {
		r := results[i]
		note := ""
		if r.notEvaluated > 0 {
			note = fmt.Sprintf(" (%d groups not yet evaluated, counted at their class mean)", r.notEvaluated)
		}
		if s.name == baseline {
			fmt.Printf("| %s (no rules) | 0 | 0 | — | — | %.4f | — | %.0f | — | — | — | — | — |\n", s.name, r.cpu, r.samples)
			continue
		}
		fmt.Printf("| %s | %d | %d | %.5f | %.5f%s | %.4f | %.4f | %.0f | %s | %s | %s | %s | %s |\n", s.name, r.groups, r.rules,
			r.measured, r.model, note, r.cpu, r.cpu-floor, r.samples,
			ratio(ref.measured, r.measured), ratio(ref.model, r.model), ratio(ref.cpu, r.cpu),
			ratio(ref.cpu-floor, r.cpu-floor), ratio(ref.samples, r.samples))
	}
	for i, s := range servers {
		r := results[i]
		if s.name == baseline {
			continue
		}
		fmt.Printf("\n%s, per rule (last evaluation time / group interval, summed over objectives):\n\n", s.name)
		fmt.Println("| rule | rules | eval s/s | share |")
		fmt.Println("|---|---:|---:|---:|")
		var total float64
		var names []string
		for k, c := range r.kinds {
			total += c.cost
			names = append(names, k)
		}
		slices.SortFunc(names, func(a, b string) int { return cmp.Compare(r.kinds[b].cost, r.kinds[a].cost) })
		for _, k := range names {
			c := r.kinds[k]
			share := 0.0
			if total > 0 {
				share = 100 * c.cost / total
			}
			fmt.Printf("| `%s` | %d | %.5f | %.1f%% |\n", k, c.rules, c.cost, share)
		}
	}
}
