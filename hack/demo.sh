#!/usr/bin/env bash
# make demo: the whole of Pledge on loopback, with live status.
#
# Starts hack/demo (bin/pledge-demo up) in the background: etcd and kube-apiserver (envtest),
# Prometheus filled with 30 days of history of the sample standards, Alertmanager, a live
# synthetic exporter and the Pledge manager; applies config/samples; and prints the standing
# once every standard is Ready and measured. The demo keeps running until make demo-down.
# Running it again while the demo runs prints the standing again.
#
# Environment: BIN (default bin), PLEDGE_DEMO_DIR (state directory, default $BIN/demo),
# PLEDGE_DEMO_TIMEOUT (seconds to wait for the standing, default 300).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${BIN:-$ROOT/bin}"
DIR="${PLEDGE_DEMO_DIR:-$BIN/demo}"
TIMEOUT="${PLEDGE_DEMO_TIMEOUT:-300}"
DEMO="$BIN/pledge-demo"
LOG="$DIR/demo.log"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "go build -trimpath -o ${DEMO#"$ROOT"/} ./hack/demo"
go build -trimpath -o "$DEMO" ./hack/demo

# Already running (0) or starting (4)? 3: not running.
pid=""
rc=0
out="$("$DEMO" status --dir "$DIR" --bin "$BIN" 2>&1)" || rc=$?
case "$rc" in
0)
	step "The demo is already running"
	printf '%s\n' "$out"
	exit 0
	;;
4) step "The demo is starting; waiting for it" ;;
3)
	mkdir -p "$DIR"
	if [[ -x "$BIN/pledge" ]]; then
		step "pledge validate -f config/samples"
		"$BIN/pledge" validate -f config/samples 2>&1 | grep -v 'skipping Kustomization' || true
	fi
	step "Starting the demo in the background (log: ${LOG#"$ROOT"/})"
	# A demo that was killed leaves its marker behind; the new one must not be mistaken for it.
	rm -f "$DIR/ready" "$DIR/summary.txt"
	# --detach: a session of its own, so that the terminal's ^C and hang-up do not reach it.
	nohup "$DEMO" up --detach --dir "$DIR" --bin "$BIN" --timeout "$TIMEOUT" >"$LOG" 2>&1 </dev/null &
	pid=$!
	;;
*)
	printf '%s\n' "$out" >&2
	exit 1
	;;
esac

stop_on_interrupt() {
	echo
	echo "Interrupted: stopping the demo."
	"$DEMO" down --dir "$DIR" --bin "$BIN" || true
	exit 130
}
trap stop_on_interrupt INT TERM

# Show the demo's progress lines until it is ready, fails or times out.
shown=0
deadline=$((SECONDS + TIMEOUT + 120))
while true; do
	if [[ -f "$LOG" ]]; then
		total=$(wc -l <"$LOG")
		if ((total > shown)); then
			sed -n "$((shown + 1)),${total}p" "$LOG" | grep -E '==>|waiting:|done in|created|FATAL|config sync|leftover' || true
			shown=$total
		fi
	fi
	if [[ -f "$DIR/ready" && -f "$DIR/summary.txt" ]]; then
		break
	fi
	[[ -n "$pid" ]] || pid="$(cat "$DIR/demo.pid" 2>/dev/null || true)"
	if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
		echo >&2
		echo "The demo stopped before it was ready:" >&2
		grep -F 'FATAL' "$LOG" >&2 || tail -n 40 "$LOG" >&2 || true
		echo "Its log: ${LOG#"$ROOT"/}; the components' logs: ${DIR#"$ROOT"/}/run/logs/ (make demo-down removes them)." >&2
		# Whatever a crash left running goes; the logs stay.
		"$DEMO" down --keep-logs --dir "$DIR" --bin "$BIN" >/dev/null 2>&1 || true
		exit 1
	fi
	if ((SECONDS > deadline)); then
		echo "The demo was not ready after $((TIMEOUT + 120))s. The end of ${LOG#"$ROOT"/}:" >&2
		tail -n 40 "$LOG" >&2 || true
		"$DEMO" down --keep-logs --dir "$DIR" --bin "$BIN" || true
		echo "The components' logs: ${DIR#"$ROOT"/}/run/logs/ (make demo-down removes them)." >&2
		exit 1
	fi
	sleep 0.5
done
trap - INT TERM
cat "$DIR/summary.txt"
