#!/usr/bin/env bash
# The CLI's render path end to end: wall time, CPU time and peak memory (max RSS) under GNU
# time, in two shapes (docs/benchmarks.md, "Rendering from the CLI", records a run):
#
#  1. STANDARDS standards of OBJECTIVES ratio objectives each (99.9%, 30d; default 1,000 x 10):
#     pledge validate and pledge render --format rules|prometheusrule.
#  2. PEER_OBJECTIVES objectives, one per service (default 10,000; the inputs of
#     hack/bench-eval.sh): pledge validate, pledge render --format rules, and the peers' rule
#     generation on the same objectives, sloth (one multi-document file: from a directory of
#     10,000 files it runs out of open files) and pyrra (one file per objective), built pinned
#     by hack/bench-peers.sh. PEER_OBJECTIVES=0 skips this shape.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
STANDARDS="${STANDARDS:-1000}"
OBJECTIVES="${OBJECTIVES:-10}"
PEER_OBJECTIVES="${PEER_OBJECTIVES:-10000}"
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

printf '==> %s; %s cores; load average:%s\n' "$(git describe --always --dirty)" "$(nproc)" "$(uptime | sed 's/.*load average://')"
run() { # name command...: one line of wall, CPU and max RSS
	local name="$1"
	shift
	/usr/bin/time -o "$OUT/$name.time" -f "$name: wall %es, CPU %Us user + %Ss system, max RSS %M KiB" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" ||
		{ cat "$OUT/$name.err" >&2; exit 1; }
	cat "$OUT/$name.time"
}
echo "==> shape 1: $STANDARDS standards x $OBJECTIVES objectives"
run validate "$BIN/pledge" validate -f "$in"
run rules "$BIN/pledge" render --format rules -f "$in"
run prometheusrule "$BIN/pledge" render --format prometheusrule -f "$in"

[[ "$PEER_OBJECTIVES" -gt 0 ]] || exit 0
TOOLS="$BIN/bench/eval/tools"
# shellcheck source=hack/bench-peers.sh
source "$ROOT/hack/bench-peers.sh"
build_peers "$TOOLS" "$OUT/work"
go build -o "$TOOLS/bench-eval" ./hack/bench-eval
peer="$OUT/peers"
rm -rf "$peer" && mkdir -p "$peer/pyrra-out"
"$TOOLS/bench-eval" inputs -n "$PEER_OBJECTIVES" -out "$peer"
for f in "$peer"/sloth/*.yaml; do
	echo "---"
	cat "$f"
done >"$peer/sloth.yaml"
echo "==> shape 2: $PEER_OBJECTIVES objectives, one per service; load average:$(uptime | sed 's/.*load average://')"
run peers-validate "$BIN/pledge" validate -f "$peer/pledge"
run peers-pledge-rules "$BIN/pledge" render --format rules -f "$peer/pledge"
if [[ " ${PEERS[*]} " == *" sloth "* ]]; then
	run peers-sloth "$SLOTH" generate --no-log -i "$peer/sloth.yaml" -o "$peer/sloth-rules.yaml"
fi
if [[ " ${PEERS[*]} " == *" pyrra "* ]]; then
	run peers-pyrra "$PYRRA" generate --config-files="$peer/pyrra/*.yaml" --prometheus-folder="$peer/pyrra-out"
fi
