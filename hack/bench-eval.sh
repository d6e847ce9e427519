#!/usr/bin/env bash
# Rule evaluation at steady state: Pledge vs sloth vs pyrra (docs/benchmarks.md records a run).
#
# The same OBJECTIVES ratio objectives (99.9%, 30d, one per service, each tool's default
# alerting) are turned into rule files by each tool: Pledge from this tree's current code,
# sloth and pyrra built from pinned module versions. Their raw counters are backfilled over
# DAYS days at SCRAPE; each tool's recorded series whose history its rules read are backfilled
# over the same days with `promtool tsdb create-blocks-from rules`, level by level. Then one
# Prometheus per tool starts on its own TSDB with only its rule file, all three scraping the
# same live exporter (the counters carry on from the backfill), and after WARMUP + SETTLE the
# cost is read from each Prometheus's own metrics. Fails if any rule fails to evaluate, a
# recorded metric has no series, or a backfilled metric has no history.
#
# A fourth Prometheus with no rules on the raw data ("none") gives the CPU floor (scraping,
# storage, runtime) that the report subtracts in its "above baseline" columns.
#
# Env: OBJECTIVES (200), DAYS (30), SCRAPE (1m), INTERVAL (30s, global evaluation_interval
# for every server), WARMUP (3m), SETTLE (10m), PORT (19090: PORT..PORT+3 serve, PORT+4
# backfill, PORT+10 exporter). Outputs in bin/bench/eval/ (report.md, logs, TSDBs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
OBJECTIVES="${OBJECTIVES:-200}"
DAYS="${DAYS:-30}"
SCRAPE="${SCRAPE:-1m}"
INTERVAL="${INTERVAL:-30s}"
WARMUP="${WARMUP:-3m}"
SETTLE="${SETTLE:-10m}"
PORT="${PORT:-19090}"
PROMETHEUS="$BIN/prometheus"
PROMTOOL="$BIN/promtool"
OUT="$BIN/bench/eval"
TOOLS="$OUT/tools"

seconds() { # 30s, 10m, 1h -> seconds
	local v="${1%[smh]}"
	case "$1" in *s) echo "$v" ;; *m) echo $((v * 60)) ;; *h) echo $((v * 3600)) ;; *) echo "$1" ;; esac
}
log() { printf '%s [%4ds] %s\n' "$(date -u +%H:%M:%S)" "$SECONDS" "$*" >&2; }

for b in "$PROMETHEUS" "$PROMTOOL"; do
	[[ -x "$b" ]] || { echo "missing $b (make prometheus promtool)" >&2; exit 1; }
done
rm -rf "$OUT/inputs" "$OUT/rules" "$OUT/levels" "$OUT/tsdb" "$OUT/work" "$OUT/logs"
mkdir -p "$TOOLS" "$OUT/inputs" "$OUT/rules" "$OUT/levels" "$OUT/tsdb" "$OUT/work" "$OUT/logs"

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# --- tools -----------------------------------------------------------------------------------
cd "$ROOT"
log "building pledge (this tree) and hack/bench-eval"
go build -o "$TOOLS/pledge" ./cmd/pledge
go build -o "$TOOLS/bench-eval" ./hack/bench-eval
BE="$TOOLS/bench-eval"

# shellcheck source=hack/bench-peers.sh
source "$ROOT/hack/bench-peers.sh"
build_peers "$TOOLS" "$OUT/work"
ALL=(pledge "${PEERS[@]}")

# --- rule files ------------------------------------------------------------------------------
log "rendering $OBJECTIVES objectives with: ${ALL[*]}"
"$BE" inputs -n "$OBJECTIVES" -out "$OUT/inputs"
mkdir -p "$OUT/rules/pledge" "$OUT/rules/sloth" "$OUT/rules/pyrra"
"$TOOLS/pledge" render --format rules -f "$OUT/inputs/pledge" >"$OUT/rules/pledge/rules.yaml"
if [[ " ${PEERS[*]} " == *" sloth "* ]]; then
	"$SLOTH" generate --no-log -i "$OUT/inputs/sloth" -o "$OUT/rules/sloth"
fi
if [[ " ${PEERS[*]} " == *" pyrra "* ]]; then
	"$PYRRA" generate --config-files="$OUT/inputs/pyrra/*.yaml" \
		--prometheus-folder="$OUT/rules/pyrra" >"$OUT/logs/pyrra-generate.log" 2>&1
fi
for t in "${ALL[@]}"; do
	"$PROMTOOL" check rules "$OUT"/rules/$t/*.yaml >/dev/null
done

# --- raw counters ----------------------------------------------------------------------------
END=$(($(date +%s) / 60 * 60))
START=$((END - DAYS * 86400))
log "raw counters: $((OBJECTIVES * 2)) series, $DAYS days at $SCRAPE"
"$BE" openmetrics -n "$OBJECTIVES" -start "$START" -end "$END" -step "$SCRAPE" >"$OUT/work/raw.om"
"$PROMTOOL" tsdb create-blocks-from --max-block-duration=744h openmetrics "$OUT/work/raw.om" "$OUT/tsdb/raw" >/dev/null
rm -f "$OUT/work/raw.om"
"$BE" compact "$OUT/tsdb/raw" >&2

# --- recorded history, level by level --------------------------------------------------------
# promtool writes one block per rule and time slice, and asks for each slice in one range
# query, which Prometheus limits to 11,000 steps: the slice is the largest compaction range
# (2h * 3^k) within that at INTERVAL.
interval_s=$(seconds "$INTERVAL")
slice=2
while ((slice * 3 * 3600 / interval_s <= 11000 && slice * 3 <= 486)); do slice=$((slice * 3)); done
cat >"$OUT/work/empty.yml" <<EOF
global: {evaluation_interval: $INTERVAL}
EOF
start_prometheus() { # name tsdb port config
	"$PROMETHEUS" --config.file="$4" --storage.tsdb.path="$2" --storage.tsdb.retention.time=60d \
		--web.listen-address="127.0.0.1:$3" >"$OUT/logs/prometheus-$1.log" 2>&1 &
	PIDS+=($!)
	local i
	for i in $(seq 300); do
		curl -sf "http://127.0.0.1:$3/-/ready" >/dev/null && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 1
	done
	echo "Prometheus $1 did not become ready, see $OUT/logs/prometheus-$1.log" >&2
	return 1
}
stop_prometheus() {
	local p="${PIDS[-1]}"
	kill "$p" && wait "$p" || true
	unset 'PIDS[-1]'
}
for t in "${ALL[@]}"; do
	cp -r "$OUT/tsdb/raw" "$OUT/tsdb/$t"
	"$BE" levels -out "$OUT/levels/$t" "$OUT"/rules/$t/*.yaml | tee "$OUT/levels/$t.txt" >&2
	for lf in $(ls "$OUT/levels/$t"/level-*.yaml 2>/dev/null | sort -V); do
		lvl=$(basename "$lf" .yaml)
		log "$t $lvl: backfilling $(grep -c 'record:' "$lf") rules over $DAYS days at $INTERVAL (groups with their own interval at theirs), ${slice}h slices"
		start_prometheus "backfill-$t-$lvl" "$OUT/tsdb/$t" $((PORT + 4)) "$OUT/work/empty.yml"
		"$PROMTOOL" tsdb create-blocks-from --max-block-duration="${slice}h" rules --quiet \
			--url="http://127.0.0.1:$((PORT + 4))" --start="$START" --end="$END" \
			--eval-interval="$INTERVAL" --output-dir="$OUT/work/blocks-$t-$lvl" "$lf" \
			>"$OUT/logs/promtool-$t-$lvl.log" 2>&1
		stop_prometheus
		mv "$OUT/work/blocks-$t-$lvl"/* "$OUT/tsdb/$t"/
		"$BE" compact "$OUT/tsdb/$t" >&2
	done
done

# --- steady state ----------------------------------------------------------------------------
"$BE" exporter -n "$OBJECTIVES" -listen "127.0.0.1:$((PORT + 10))" >"$OUT/logs/exporter.log" 2>&1 &
PIDS+=($!)
# "none" has no rules, on the raw data alone: the CPU floor of scraping, storage and runtime.
mkdir -p "$OUT/rules/none"
mv "$OUT/tsdb/raw" "$OUT/tsdb/none"
args=()
i=0
for t in "${ALL[@]}" none; do
	port=$((PORT + i))
	cat >"$OUT/work/prometheus-$t.yml" <<EOF
global: {scrape_interval: $SCRAPE, evaluation_interval: $INTERVAL}
rule_files: ["$OUT/rules/$t/*.yaml"]
scrape_configs:
  - job_name: raw
    honor_labels: true
    static_configs: [{targets: ["127.0.0.1:$((PORT + 10))"]}]
  - job_name: self
    scrape_interval: 15s
    static_configs: [{targets: ["127.0.0.1:$port"]}]
EOF
	start_prometheus "$t" "$OUT/tsdb/$t" "$port" "$OUT/work/prometheus-$t.yml"
	args+=("$t=http://127.0.0.1:$port")
	i=$((i + 1))
done
log "serving: ${args[*]}; warm-up $WARMUP, then measuring over $SETTLE"
sleep "$(seconds "$WARMUP")"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average at the start of the window: $LOAD_START"
sleep "$(seconds "$SETTLE")"
{
	echo "OBJECTIVES=$OBJECTIVES DAYS=$DAYS SCRAPE=$SCRAPE INTERVAL=$INTERVAL WARMUP=$WARMUP SETTLE=$SETTLE"
	echo "pledge $(git -C "$ROOT" describe --always --dirty), sloth $SLOTH_VERSION, pyrra $PYRRA_VERSION, $("$PROMETHEUS" --version | head -1)"
	echo "load average at the start of the window: $LOAD_START; script time before the report: ${SECONDS}s"
	echo
	"$BE" report -window "$SETTLE" -baseline none -levels "$OUT/levels" -history-at $((START + DAYS * 86400 / 2)) "${args[@]}"
} | tee "$OUT/report.md"
log "done"
