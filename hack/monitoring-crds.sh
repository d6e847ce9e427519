#!/usr/bin/env bash
# Generate the prometheus-operator CRDs that Pledge writes (PrometheusRule, AlertmanagerConfig)
# and the demo uses (ServiceMonitor) from the monitoring API types pinned in go.mod, with the
# pinned controller-gen, into bin/crds/monitoring.coreos.com/ (cached by version).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
OUT="$BIN/crds/monitoring.coreos.com"
MOD=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring
cd "$ROOT"
version=$(go list -m -f '{{.Version}}' "$MOD")
if [[ -f "$OUT/.version" && "$(cat "$OUT/.version")" == "$version" ]]; then
	exit 0
fi
echo "==> generating prometheus-operator CRDs from $MOD $version" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BIN/controller-gen" crd:allowDangerousTypes=true,maxDescLen=0 \
	paths="$MOD/v1" paths="$MOD/v1alpha1" output:crd:artifacts:config="$tmp"
rm -rf "$OUT" && mkdir -p "$OUT"
for kind in prometheusrules alertmanagerconfigs servicemonitors; do
	cp "$tmp/monitoring.coreos.com_$kind.yaml" "$OUT/"
done
echo "$version" >"$OUT/.version"
