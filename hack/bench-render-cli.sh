#!/usr/bin/env bash
# The CLI's render path end to end: wall time and peak memory (max RSS) of `pledge validate` and
# `pledge render --format rules|prometheusrule` on STANDARDS standards of OBJECTIVES ratio
# objectives each (99.9%, 30d; default 1,000 × 10 = 10,000 objectives), with GNU time.
# docs/benchmarks.md ("Rendering from the CLI") records a run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
STANDARDS="${STANDARDS:-1000}"
OBJECTIVES="${OBJECTIVES:-10}"
OUT="$BIN/bench/render-cli"
mkdir -p "$OUT"
cd "$ROOT"
go build -o "$BIN/pledge" ./cmd/pledge

in="$OUT/standards.yaml"
awk -v n="$STANDARDS" -v m="$OBJECTIVES" 'BEGIN {
	for (i = 0; i < n; i++) {
		if (i > 0) print "---"
		printf "apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\nmetadata: {name: svc%d, namespace: bench}\n", i
		printf "spec:\n  service: svc%d\n  window: 30d\n  objectives:\n", i
		for (j = 0; j < m; j++) {
			printf "    - name: o%d\n      target: \"99.9\"\n      ratio:\n", j
			printf "        errors: http_requests_total{job=\"svc%d\",route=\"r%d\",code=~\"5..\"}\n", i, j
			printf "        total: http_requests_total{job=\"svc%d\",route=\"r%d\"}\n", i, j
		}
	}
}' >"$in"

printf '==> %d standards x %d objectives; %s cores; load average:%s\n' "$STANDARDS" "$OBJECTIVES" "$(nproc)" "$(uptime | sed 's/.*load average://')"
run() {
	local name="$1"
	shift
	/usr/bin/time -f "$name: wall %es, max RSS %M KiB" "$BIN/pledge" "$@" -f "$in" >"$OUT/$name.out"
}
run validate validate
run rules render --format rules
run prometheusrule render --format prometheusrule
