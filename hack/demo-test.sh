#!/usr/bin/env bash
# make demo-test: run the demo as a user would, non-interactively, and check what it shows.
#
#  1. hack/demo.sh starts the demo and prints the standing; the standing must be what the
#     sample history says: shop/checkout Compliant with availability AtRisk, web/search not
#     Compliant (availability Breached, a ticket in Alertmanager), payments/ledger Compliant
#     with every objective Met; every standard Ready, with a score.
#  2. hack/demo.sh again: it must find the running demo and print the standing again.
#  3. The printed kubeconfig and Prometheus URL work.
#  4. hack/demo-down.sh, twice: afterwards no process of the demo's session, of the recorded
#     pids or naming its run directory may be left.
#
# It runs in its own state directory (PLEDGE_DEMO_TEST_DIR, default bin/demo-test), so that
# it neither disturbs nor is disturbed by a demo started with make demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${BIN:-$ROOT/bin}"
export BIN
export PLEDGE_DEMO_DIR="${PLEDGE_DEMO_TEST_DIR:-$BIN/demo-test}"
DIR="$PLEDGE_DEMO_DIR"
OUT="$(mktemp -d)"
START=$SECONDS

say() { printf '\n\033[1m--- demo-test: %s\033[0m\n' "$*"; }
fail() {
	printf '\ndemo-test: FAIL: %s\n' "$*" >&2
	if [[ -f "$DIR/demo.log" ]]; then
		echo "--- the end of $DIR/demo.log:" >&2
		tail -n 30 "$DIR/demo.log" >&2
	fi
	exit 1
}
finish() {
	rc=$?
	# Never leave a demo behind, whatever failed.
	hack/demo-down.sh >/dev/null 2>&1 || true
	rm -rf "$OUT"
	exit "$rc"
}
trap finish EXIT

say "clean slate"
hack/demo-down.sh

say "first run: hack/demo.sh"
t0=$SECONDS
hack/demo.sh | tee "$OUT/first.txt"
first=$((SECONDS - t0))

# The table of `kubectl get servicestandards -A`: NAMESPACE NAME SERVICE SCORE BUDGET COMPLIANT READY AGE.
row() { awk -v ns="$1" -v name="$2" '$1 == ns && $2 == name && NF == 8 { print; exit }' "$OUT/first.txt"; }
# The objectives table: STANDARD OBJECTIVE TARGET ATTAINMENT BUDGET BURN STATE.
states() { awk -v std="$1" '$1 == std && NF == 7 { print $2 "=" $7 }' "$OUT/first.txt" | sort | tr '\n' ' '; }
check_standard() { # namespace name compliant
	local r
	r="$(row "$1" "$2")"
	[[ -n "$r" ]] || fail "$1/$2 is not in the kubectl get servicestandards -A table"
	read -r _ _ _ score budget compliant ready _ <<<"$r"
	[[ "$score" =~ ^[0-9]+\.[0-9]{2}$ ]] || fail "$1/$2 shows no score: $r"
	[[ "$budget" =~ ^-?[0-9]+\.[0-9]$ ]] || fail "$1/$2 shows no budget: $r"
	[[ "$compliant" == "$3" ]] || fail "$1/$2 is Compliant=$compliant, want $3: $r"
	[[ "$ready" == True ]] || fail "$1/$2 is not Ready: $r"
	echo "ok: $1/$2 score $score, budget $budget, Compliant $compliant, Ready $ready; objectives: $(states "$1/$2")"
}
say "checking the standing"
check_standard shop checkout True
check_standard web search False
check_standard payments ledger True
[[ "$(states shop/checkout)" == *"availability=AtRisk"* ]] || fail "shop/checkout availability is not AtRisk: $(states shop/checkout)"
[[ "$(states shop/checkout)" != *Breached* ]] || fail "shop/checkout has a breached objective: $(states shop/checkout)"
[[ "$(states web/search)" == *"availability=Breached"* ]] || fail "web/search availability is not Breached: $(states web/search)"
ledger="$(states payments/ledger)"
[[ -n "$ledger" && "$ledger" != *AtRisk* && "$ledger" != *Breached* && "$ledger" != *NoData* ]] || fail "payments/ledger is not all Met: $ledger"
grep -Eq 'PledgeErrorBudgetBurn +web/search +availability +severity=ticket' "$OUT/first.txt" ||
	fail "Alertmanager does not hold the web/search ticket"
grep -q 'Stop with: make demo-down' "$OUT/first.txt" || fail "no 'Stop with: make demo-down'"
echo "ok: ticket for web/search availability in Alertmanager"

say "the printed endpoints work"
[[ -f "$DIR/pids" && -f "$DIR/env" ]] || fail "no pids or env file in $DIR"
cp "$DIR/pids" "$OUT/pids"
demo_pid="$(head -n 1 "$OUT/pids")"
[[ "$(ps -o sid= -p "$demo_pid" | tr -d ' ')" == "$demo_pid" ]] || fail "pledge-demo ($demo_pid) does not lead a session of its own"
# shellcheck disable=SC1091
source "$DIR/env"
kubeconfig="$(sed -n 's/^export KUBECONFIG="\(.*\)"$/\1/p' "$DIR/env")"
grep -qF "${kubeconfig#"$ROOT"/}" "$OUT/first.txt" || fail "the summary does not name the kubeconfig $kubeconfig"
grep -qF "$PLEDGE_DEMO_PROMETHEUS" "$OUT/first.txt" || fail "the summary does not name Prometheus $PLEDGE_DEMO_PROMETHEUS"
"$BIN/k8s/kubectl" --kubeconfig "$kubeconfig" get escalationpolicies -A >/dev/null || fail "kubectl with $kubeconfig"
"$BIN/k8s/kubectl" --kubeconfig "$kubeconfig" get prometheusrules -n shop pledge-checkout >/dev/null || fail "no PrometheusRule shop/pledge-checkout"
curl -fsS "$PLEDGE_DEMO_PROMETHEUS/api/v1/query?query=count(pledge:objective_events:rate5m)" | grep -q '"value":\[[0-9.]*,"9"\]' ||
	fail "Prometheus does not record the 9 objectives' rates"
"$BIN/amtool" alert query --alertmanager.url="$PLEDGE_DEMO_ALERTMANAGER" service_standard=search | grep -q PledgeErrorBudgetBurn ||
	fail "amtool does not show the web/search alert"
echo "ok: kubectl, the Prometheus API and amtool answer"

say "second run: hack/demo.sh while the demo runs"
t0=$SECONDS
hack/demo.sh | tee "$OUT/second.txt"
second=$((SECONDS - t0))
grep -q 'already running' "$OUT/second.txt" || fail "the second run did not find the running demo"
grep -q "pid $demo_pid" "$OUT/second.txt" || fail "the second run shows another pid than $demo_pid"
[[ "$(cat "$DIR/demo.pid")" == "$demo_pid" ]] || fail "the second run started another demo"
grep -Eq '^shop +checkout ' "$OUT/second.txt" || fail "the second run does not show the standing"

say "hack/demo-down.sh, twice"
t0=$SECONDS
hack/demo-down.sh
down=$((SECONDS - t0))
hack/demo-down.sh | tee "$OUT/down2.txt"
grep -q 'not running' "$OUT/down2.txt" || fail "the second demo-down did not say the demo is not running"

say "nothing is left"
# running: those of the pids on stdin that are alive and not zombies (an exited process waits
# for its parent, or init, to reap it).
running() {
	local p out=""
	while read -r p; do
		[[ -n "$p" ]] || continue
		if kill -0 "$p" 2>/dev/null && [[ "$(ps -o stat= -p "$p" 2>/dev/null)" != Z* ]]; then
			out+=" $p: $(ps -o args= -p "$p" 2>/dev/null | cut -c1-100)"$'\n'
		fi
	done
	printf '%s' "$out"
}
left="$(running <"$OUT/pids")"
[[ -z "$left" ]] || fail "recorded processes still running:"$'\n'"$left"
# Every process the demo started is in its session (pledge-demo --detach starts one); the
# components run in process groups of their own, so the session is what catches them all.
left="$({ pgrep -s "$demo_pid" || true; } | running)"
[[ -z "$left" ]] || fail "processes of the demo's session $demo_pid still running:"$'\n'"$left"
left="$({ pgrep -f "$DIR/run/" || true; } | running)"
[[ -z "$left" ]] || fail "processes naming $DIR/run/ still running:"$'\n'"$left"
[[ ! -e "$DIR/demo.pid" && ! -e "$DIR/run" ]] || fail "state left in $DIR"
echo "ok: none of $(wc -l <"$OUT/pids") recorded processes (pledge-demo, etcd, kube-apiserver, Alertmanager, Prometheus), nothing in session $demo_pid, nothing naming $DIR/run/"

say "PASS in $((SECONDS - START))s (first run ${first}s, second ${second}s, down ${down}s)"
