#!/usr/bin/env bash
# make demo: the offline half of Pledge on the sample standard, with the real tools.
#
# Renders config/samples in every format into bin/demo/, checks the rule file with promtool and
# the Alertmanager configuration with amtool, and shows where each escalation tier is routed.
# (The embedded control plane, Prometheus and Alertmanager join the demo with the controller.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
OUT="$BIN/demo"
SAMPLES="$ROOT/config/samples"
rm -rf "$OUT" && mkdir -p "$OUT"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "pledge validate -f config/samples"
"$BIN/pledge" validate -f "$SAMPLES"

for format in prometheusrule rules alertmanagerconfig alertmanager; do
	"$BIN/pledge" render -f "$SAMPLES" --format "$format" -o "$OUT" 2>/dev/null
done
step "pledge render: $(cd "$OUT" && ls | tr '\n' ' ')(in $OUT)"
printf '    recording rules: %s, burn-rate alerts: %s, escalation alerts: %s\n' \
	"$(grep -c 'record:' "$OUT/rules.yaml")" "$(grep -c 'alert: PledgeErrorBudgetBurn' "$OUT/rules.yaml")" \
	"$(grep -c 'alert: PledgeEscalation' "$OUT/rules.yaml")"

step "promtool check rules (Prometheus $("$BIN/promtool" --version 2>&1 | awk 'NR==1{print $3}'))"
"$BIN/promtool" check rules "$OUT/rules.yaml"

step "amtool check-config (Alertmanager $("$BIN/amtool" --version 2>&1 | awk 'NR==1{print $3}'))"
"$BIN/amtool" check-config "$OUT/alertmanager.yaml"

step "amtool config routes test: who is notified"
route() {
	printf '    %-70s -> ' "$*"
	"$BIN/amtool" config routes test --config.file="$OUT/alertmanager.yaml" "$@" | tr -d '\n'
	echo
}
std=(namespace=shop service_standard=checkout objective=availability)
route "${std[@]}" severity=page escalation_tier=1
route "${std[@]}" severity=page escalation_tier=2
route "${std[@]}" severity=page escalation_tier=3
route "${std[@]}" severity=ticket
route "${std[@]}" severity=page long_window=1h short_window=5m
route namespace=other service_standard=checkout severity=page escalation_tier=1

step "Done. Rendered files are in $OUT"
