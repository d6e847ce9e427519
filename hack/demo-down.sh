#!/usr/bin/env bash
# make demo-down: stop the demo that make demo started, and every process it started
# (kube-apiserver, etcd, Prometheus, Alertmanager), even after a crash. Idempotent.
#
# Environment: BIN (default bin), PLEDGE_DEMO_DIR (default $BIN/demo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${BIN:-$ROOT/bin}"
DIR="${PLEDGE_DEMO_DIR:-$BIN/demo}"
DEMO="$BIN/pledge-demo"

if [[ ! -x "$DEMO" ]]; then
	go build -trimpath -o "$DEMO" ./hack/demo
fi
exec "$DEMO" down --dir "$DIR" --bin "$BIN"
