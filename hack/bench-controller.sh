#!/usr/bin/env bash
# make bench (second half): the controller at scale, docs/benchmarks.md.
#
# Builds the envtest binaries (kube-apiserver, etcd) and the prometheus-operator CRDs if needed,
# then runs BenchmarkThousandStandards once: a real API server, the Pledge manager, and
# PLEDGE_BENCH_STANDARDS (default 1000) copies of the sample standard. Prints the time until all
# are Ready, the manager's API requests per standard, its heap and RSS, and the writes while
# idle. PLEDGE_BENCH_WORKERS (default 4, as pledge manager --max-concurrent-reconciles) sets the
# reconcile workers. The output is kept in bin/bench/controller-<standards>-w<workers>.txt. PLEDGE_BENCH_TIMEOUT (30m) bounds the run:
# 10,000 standards need about 2h on a busy 2-core machine.
# PLEDGE_BENCH_PROCESS=1 runs BenchmarkManagerProcess instead: bin/pledge manager as a process of
# its own, whose RSS and heap are then the manager's alone (output ...-process.txt).
# PLEDGE_BENCH_PROFILE=<file> (with PLEDGE_BENCH_PROCESS=1) saves the manager's heap profile once settled.
# PLEDGE_BENCH_REST=15m (with PLEDGE_BENCH_PROCESS=1) reads RSS and heap again after that long at rest
# (and saves <file>.rest with PLEDGE_BENCH_PROFILE); give PLEDGE_BENCH_TIMEOUT room for it.
# PLEDGE_BENCH_RESTART=1 (with PLEDGE_BENCH_PROCESS=1) then starts a new manager over the Ready standards and
# reports its requests to the API server by method until it has reconciled them all (writes: 0 expected).
# PLEDGE_BENCH_LAST_APPLIED=1 creates the standards as kubectl apply (client-side) would.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
OUT="$BIN/bench"
cd "$ROOT"
mkdir -p "$OUT"

make --no-print-directory envtest-bins monitoring-crds BIN="$BIN"

export KUBEBUILDER_ASSETS="$BIN/k8s" MONITORING_CRDS="$BIN/crds/monitoring.coreos.com"
export PLEDGE_BENCH_STANDARDS="${PLEDGE_BENCH_STANDARDS:-1000}" PLEDGE_BENCH_WORKERS="${PLEDGE_BENCH_WORKERS:-4}"
printf '==> machine: %s cores, %s; load average:%s\n' "$(nproc)" \
	"$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)" "$(uptime | sed 's/.*load average://')"
bench=BenchmarkThousandStandards suffix=""
if [[ -n "${PLEDGE_BENCH_PROCESS:-}" ]]; then
	go build -o "$BIN/pledge" ./cmd/pledge
	export PLEDGE_BENCH_MANAGER="$BIN/pledge"
	bench=BenchmarkManagerProcess suffix="-process"
fi
printf '==> PLEDGE_BENCH_STANDARDS=%s PLEDGE_BENCH_WORKERS=%s go test ./controllers -run ^$ -bench %s -benchtime 1x -v\n' \
	"$PLEDGE_BENCH_STANDARDS" "$PLEDGE_BENCH_WORKERS" "$bench"
# -v prints the request breakdown (b.Logf) in full; -timeout covers a slow, shared machine.
go test ./controllers -run '^$' -bench "^$bench\$" -benchtime 1x -v -timeout "${PLEDGE_BENCH_TIMEOUT:-30m}" |
	tee "$OUT/controller-$PLEDGE_BENCH_STANDARDS-w$PLEDGE_BENCH_WORKERS$suffix.txt"
printf '==> load average after the run:%s\n' "$(uptime | sed 's/.*load average://')"
