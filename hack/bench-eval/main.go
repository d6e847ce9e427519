// Command bench-eval does the parts of hack/bench-eval.sh that a shell script does badly:
//
//	inputs      -n N -out DIR          the same N ratio objectives as Pledge, sloth and pyrra specs
//	openmetrics -n N -start -end -step the objectives' raw counters as OpenMetrics text (stdout)
//	exporter    -n N -listen ADDR      the same counters, live, on /metrics
//	levels      -out DIR RULEFILE...   the recording rules whose history some rule reads, by level
//	compact     DIR                    merge a TSDB's overlapping backfilled blocks
//	report      name=URL ...           cost, errors and per-rule breakdown read from each Prometheus
//
// It is a benchmark harness, not product code: see docs/benchmarks.md
// ("Rule evaluation at steady state") for what it measures and why.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench-eval inputs|openmetrics|exporter|levels|compact|report [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"inputs":      cmdInputs,
		"openmetrics": cmdOpenMetrics,
		"exporter":    cmdExporter,
		"levels":      cmdLevels,
		"compact":     cmdCompact,
		"report":      cmdReport,
	}
	cmd, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench-eval: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := cmd(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "bench-eval %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
