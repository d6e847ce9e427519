#!/usr/bin/env bash
# Copy what `make manifests` generates into the Helm chart (charts/pledge), unchanged:
#
#   config/crd/bases/*.yaml -> charts/pledge/templates/crds/*.yaml
#       byte for byte, wrapped in {{- if .Values.crds.enabled }} ... {{- end }}, with the
#       helm.sh/resource-policy: keep annotation (behind crds.keep) as the first annotation;
#   config/rbac/role.yaml   -> the rules of charts/pledge/templates/clusterrole.yaml.
#
# Run it after `make manifests`. The tests in test/deploy fail when the chart has drifted
# from config/ (TestChartCRDsMatchBases, TestChartClusterRoleMatchesRole).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$ROOT/charts/pledge"
die() { printf 'sync-chart: error: %s\n' "$*" >&2; exit 1; }

out="$CHART/templates/crds"
mkdir -p "$out"
rm -f "$out"/*.yaml
for src in "$ROOT"/config/crd/bases/*.yaml; do
	# Helm would treat "{{" in a description as a template action.
	if grep -q '{{' "$src"; then die "$src contains '{{': it cannot be a chart template unchanged"; fi
	dst="$out/$(basename "$src")"
	{
		echo '{{- if .Values.crds.enabled }}'
		awk '
			{ print }
			!done && $0 == "  annotations:" {
				print "    {{- if .Values.crds.keep }}"
				print "    helm.sh/resource-policy: keep"
				print "    {{- end }}"
				done = 1
			}
			END { if (!done) exit 1 }
		' "$src" || die "$src has no metadata.annotations (controller-gen writes one)"
		echo '{{- end }}'
	} >"$dst"
	printf 'sync-chart: %s\n' "${dst#"$ROOT"/}" >&2
done

role="$ROOT/config/rbac/role.yaml"
grep -q '^rules:$' "$role" || die "$role has no rules"
{
	cat <<'HEADER'
{{- if .Values.rbac.create }}
# The manager's permissions. The rules are copied from config/rbac/role.yaml (generated from the
# +kubebuilder:rbac markers) by hack/sync-chart.sh: change the markers, not this file.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ include "pledge.fullname" . }}-manager
  labels:
    {{- include "pledge.labels" . | nindent 4 }}
HEADER
	sed -n '/^rules:$/,$p' "$role"
	echo '{{- end }}'
} >"$CHART/templates/clusterrole.yaml"
printf 'sync-chart: charts/pledge/templates/clusterrole.yaml\n' >&2
