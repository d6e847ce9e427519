#!/usr/bin/env bash
# make bench (first half): the renderer benchmarks, docs/benchmarks.md.
#
# BenchmarkRender at 10, 1,000 and 10,000 objectives, on the operator's path (typed
# PrometheusRule) and the CLI's path (plain rule file, YAML), three times each. The raw output is
# kept in bin/bench/render.txt; when benchstat (golang.org/x/perf, pinned below) can be run, its
# summary (median ± spread over the three runs) is printed too. COUNT overrides the run count.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
OUT="$BIN/bench"
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
cd "$ROOT"
mkdir -p "$OUT"

printf '==> machine: %s cores, %s; load average:%s\n' "$(nproc)" \
	"$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)" "$(uptime | sed 's/.*load average://')"
printf '==> go test ./internal/render -run ^$ -bench BenchmarkRender -benchmem -count %s\n' "${COUNT:-3}"
go test ./internal/render -run '^$' -bench BenchmarkRender -benchmem -count "${COUNT:-3}" | tee "$OUT/render.txt"

# benchstat is a convenience: the raw numbers above are the result.
if stats=$(go run "$BENCHSTAT" "$OUT/render.txt" 2>/dev/null); then
	printf '\n==> benchstat\n%s\n' "$stats"
else
	echo "(benchstat not available offline; raw results in $OUT/render.txt)" >&2
fi
