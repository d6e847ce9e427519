#!/usr/bin/env bash
# One compliance poll over 10,000 objectives against a real Prometheus (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
make --no-print-directory prometheus promtool >&2
mkdir -p bin/bench
PROMETHEUS="$PWD/bin/prometheus" PROMTOOL="$PWD/bin/promtool" \
	go test ./internal/compliance -run '^$' -bench BenchmarkEvaluate -benchtime "${BENCHTIME:-3x}" -benchmem | tee bin/bench/compliance.txt
