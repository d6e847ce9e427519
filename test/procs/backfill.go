package procs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BackfillOpenMetrics writes OpenMetrics text (samples with timestamps in seconds; "# EOF" is
// appended when missing) as TSDB blocks into tsdbDir with
// `promtool tsdb create-blocks-from openmetrics`. promtool "" means $PROMTOOL (see Tool).
//
// Start Prometheus on tsdbDir afterwards (PrometheusOptions.TSDBDir), or Restart it if it is
// already running there. Data older than Prometheus's retention (15d by default) is deleted
// at start: pass --storage.tsdb.retention.time in ExtraFlags for longer histories.
func BackfillOpenMetrics(t T, promtool, tsdbDir, openMetrics string) {
	t.Helper()
	if promtool == "" {
		promtool = Tool(t, "PROMTOOL")
	}
	if !strings.HasSuffix(strings.TrimSpace(openMetrics), "# EOF") {
		openMetrics = strings.TrimRight(openMetrics, "\n") + "\n# EOF\n"
	}
	if !strings.HasSuffix(openMetrics, "\n") {
		openMetrics += "\n"
	}
	in := filepath.Join(t.TempDir(), "backfill.om")
	if err := os.WriteFile(in, []byte(openMetrics), 0o644); err != nil {
		t.Fatal(err)
	}
	// Blocks of up to 31 days: the default 2h makes hundreds of blocks for a month of history,
	// which takes seconds to write and to open (measured: 540 blocks in 12s vs 3 in 0.1s).
	runPromtool(t, promtool, "tsdb", "create-blocks-from", "--max-block-duration=744h", "openmetrics", in, tsdbDir)
}

// RuleBackfill configures BackfillRules.
type RuleBackfill struct {
	// Promtool is the promtool binary; default $PROMTOOL.
	Promtool string
	// URL of the Prometheus whose data the rules read (Prometheus.URL()).
	URL string
	// Rules is a rule file; its recording rules are evaluated (alerting rules are ignored).
	Rules string
	// Start and End of the evaluation; End defaults to now.
	Start, End time.Time
	// EvalInterval is used for groups without their own interval; default 60s (promtool's).
	EvalInterval time.Duration
	// OutputDir receives the blocks, typically Prometheus.TSDBDir() (then Restart it).
	OutputDir string
}

// BackfillRules evaluates recording rules over past data with
// `promtool tsdb create-blocks-from rules --start --end --url --output-dir <rule file>` and
// writes the results as blocks into OutputDir.
func BackfillRules(t T, rb RuleBackfill) {
	t.Helper()
	if rb.Promtool == "" {
		rb.Promtool = Tool(t, "PROMTOOL")
	}
	if rb.End.IsZero() {
		rb.End = time.Now()
	}
	if rb.OutputDir == "" || rb.URL == "" || rb.Start.IsZero() {
		t.Fatal("BackfillRules needs URL, Start and OutputDir")
	}
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte(rb.Rules), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"tsdb", "create-blocks-from", "rules",
		"--url=" + rb.URL,
		"--start=" + strconv.FormatInt(rb.Start.Unix(), 10),
		"--end=" + strconv.FormatInt(rb.End.Unix(), 10),
		"--output-dir=" + rb.OutputDir,
	}
	if rb.EvalInterval > 0 {
		args = append(args, "--eval-interval="+rb.EvalInterval.String())
	}
	runPromtool(t, rb.Promtool, append(args, rules)...)
}

func runPromtool(t T, promtool string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, promtool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
