#!/usr/bin/env bash
# Build pinned third-party binaries from Go modules into bin/ (cached).
#
# Usage: hack/build-bin.sh NAME...
#   NAME: prometheus promtool alertmanager amtool controller-gen staticcheck
#         kube-apiserver etcd kubectl helm thanos   (or "all")
#
# Each tool is pinned in its own module under hack/tools/<module>/go.mod, so
# its dependencies never touch the operator's go.mod. A binary is rebuilt only
# when it is missing or when bin/.NAME.version does not hold the pinned
# version, so repeated calls are cheap. Cold builds are slow (kube-apiserver
# takes well over ten minutes on two cores); progress goes to stderr.
#
# Output: bin/NAME, except kube-apiserver, etcd and kubectl, which go to
# bin/k8s/ (the directory used as KUBEBUILDER_ASSETS for envtest).
#
# Environment:
#   BIN                   output directory (default: <repo>/bin)
#   PLEDGE_BUILD_KUBECTL  1 = always build kubectl instead of linking the one
#                         found on PATH
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
TOOLS="$ROOT/hack/tools"

log() { printf '%s\n' "$*" >&2; }
die() { log "build-bin: error: $*"; exit 1; }

# The tool modules are self-contained: no workspace, no vendoring, and go.sum
# must already be complete (-mod=readonly), so a build never rewrites them.
export GOWORK=off
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0

command -v go >/dev/null 2>&1 || die "go is not on PATH"

HB_PID=""
TMP_OUT=""
stop_heartbeat() {
	if [[ -n "$HB_PID" ]]; then
		kill "$HB_PID" 2>/dev/null || true
		wait "$HB_PID" 2>/dev/null || true
		HB_PID=""
	fi
}
cleanup() {
	stop_heartbeat
	if [[ -n "$TMP_OUT" ]]; then
		rm -f "$TMP_OUT"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pinned_version MODDIR MODULE: the version of MODULE required by
# hack/tools/MODDIR/go.mod (single source of truth for the pins).
pinned_version() {
	local gomod="$TOOLS/$1/go.mod" v
	[[ -f "$gomod" ]] || die "missing $gomod"
	v="$(awk -v m="$2" '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' "$gomod")"
	[[ -n "$v" ]] || die "$2 is not required in $gomod"
	printf '%s\n' "$v"
}

# module_dir MODDIR MODULE: where MODULE's source is in the module cache.
module_dir() {
	(cd "$TOOLS/$1" && go mod download "$2" && go list -m -f '{{.Dir}}' "$2")
}

heartbeat() {
	local name="$1" start="$2"
	while true; do
		sleep 60 >/dev/null 2>&1
		log "    ... still building $name ($(($(date +%s) - start))s elapsed)"
	done
}

# up_to_date NAME OUT VERSION: true if OUT exists and its stamp holds VERSION.
up_to_date() {
	local stamp="$BIN/.$1.version"
	[[ -x "$2" && -f "$stamp" && "$(cat "$stamp")" == "$3" ]]
}

# go_build NAME VERSION MODDIR PKG OUT ESTIMATE [go build flags...]
go_build() {
	local name="$1" version="$2" moddir="$3" pkg="$4" out="$5" est="$6"
	shift 6
	if up_to_date "$name" "$out" "$version"; then
		log "==> $name $version up to date ($out)"
		return 0
	fi
	mkdir -p "$(dirname "$out")"
	local start tmp
	start="$(date +%s)"
	tmp="$out.tmp.$$"
	TMP_OUT="$tmp"
	log "==> building $name $version from $pkg (cold build takes $est; cached rebuilds are much faster)..."
	heartbeat "$name" "$start" &
	HB_PID=$!
	if ! (cd "$TOOLS/$moddir" && go build -trimpath "$@" -o "$tmp" "$pkg"); then
		cleanup
		die "building $name $version failed (module hack/tools/$moddir, package $pkg)"
	fi
	stop_heartbeat
	mv -f "$tmp" "$out"
	TMP_OUT=""
	printf '%s\n' "$version" >"$BIN/.$name.version"
	log "==> $name $version ready in $(($(date +%s) - start))s ($out)"
}

prom_ldflags() {
	# prometheus/common/version is what --version prints (as promu sets it).
	local v="$1" rev="$2" p=github.com/prometheus/common/version
	printf '%s' "-s -w -X $p.Version=$v -X $p.Revision=$rev -X $p.Branch=HEAD -X $p.BuildUser=pledge-build-bin -X $p.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
}

k8s_ldflags() {
	local v="$1" major minor f=""
	major="${v#v}"; major="${major%%.*}"
	minor="${v#v*.}"; minor="${minor%%.*}"
	for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
		f+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor"
		f+=" -X $p.gitTreeState=clean -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	done
	printf '%s' "-s -w$f"
}

build_prometheus_tool() { # prometheus | promtool
	local name="$1" out="$BIN/$1" v dir appv
	v="$(pinned_version prometheus github.com/prometheus/prometheus)"
	up_to_date "$name" "$out" "$v" && { log "==> $name $v up to date ($out)"; return 0; }
	# Module v0.3MM.P is Prometheus 3.MM.P; the module ships a VERSION file.
	dir="$(module_dir prometheus github.com/prometheus/prometheus)" || die "cannot download github.com/prometheus/prometheus@$v"
	appv="$(cat "$dir/VERSION" 2>/dev/null || echo "${v#v}")"
	# No "builtinassets" tag: the UI assets are generated files that are not
	# in the module. The HTTP API, /-/ready and /-/healthy work without them.
	go_build "$name" "$v" prometheus "github.com/prometheus/prometheus/cmd/$name" "$out" \
		"~8 min, ~2 min if the other of prometheus/promtool is already built" \
		-tags netgo -ldflags "$(prom_ldflags "$appv" "$v")"
}

build_alertmanager_tool() { # alertmanager | amtool
	local name="$1" out="$BIN/$1" v
	v="$(pinned_version alertmanager github.com/prometheus/alertmanager)"
	go_build "$name" "$v" alertmanager "github.com/prometheus/alertmanager/cmd/$name" "$out" "~1-2 min" \
		-tags netgo -ldflags "$(prom_ldflags "${v#v}" "$v")"
}

build_kubectl() {
	local out="$BIN/k8s/kubectl" cand real
	if [[ "${PLEDGE_BUILD_KUBECTL:-0}" != 1 ]]; then
		while IFS= read -r cand; do
			real="$(readlink -f "$cand" 2>/dev/null || echo "$cand")"
			case "$real" in "$BIN"/*) continue ;; esac
			if up_to_date kubectl "$out" "system:$cand"; then
				log "==> kubectl up to date ($out -> $cand)"
				return 0
			fi
			mkdir -p "$BIN/k8s"
			ln -sfn "$cand" "$out"
			printf '%s\n' "system:$cand" >"$BIN/.kubectl.version"
			log "==> kubectl: linked $out -> $cand (set PLEDGE_BUILD_KUBECTL=1 to build it instead)"
			return 0
		done < <(type -ap kubectl 2>/dev/null || true)
	fi
	local v
	v="$(pinned_version k8s k8s.io/kubernetes)"
	[[ -L "$out" ]] && rm -f "$out"
	go_build kubectl "$v" k8s k8s.io/kubernetes/cmd/kubectl "$out" "~5-8 min, ~1 min after kube-apiserver" -ldflags "$(k8s_ldflags "$v")"
}

build_one() {
	local v
	case "$1" in
	prometheus | promtool) build_prometheus_tool "$1" ;;
	alertmanager | amtool) build_alertmanager_tool "$1" ;;
	controller-gen)
		v="$(pinned_version dev sigs.k8s.io/controller-tools)"
		go_build controller-gen "$v" dev sigs.k8s.io/controller-tools/cmd/controller-gen "$BIN/controller-gen" "~2 min" \
			-ldflags "-s -w -X sigs.k8s.io/controller-tools/pkg/version.version=$v"
		;;
	staticcheck)
		v="$(pinned_version dev honnef.co/go/tools)"
		go_build staticcheck "$v" dev honnef.co/go/tools/cmd/staticcheck "$BIN/staticcheck" "~1 min" -ldflags "-s -w"
		;;
	etcd)
		v="$(pinned_version etcd go.etcd.io/etcd/server/v3)"
		# The root package of the etcd server module is etcd's main package.
		go_build etcd "$v" etcd go.etcd.io/etcd/server/v3 "$BIN/k8s/etcd" "~2 min" \
			-ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$v"
		;;
	kube-apiserver)
		v="$(pinned_version k8s k8s.io/kubernetes)"
		go_build kube-apiserver "$v" k8s k8s.io/kubernetes/cmd/kube-apiserver "$BIN/k8s/kube-apiserver" "~14 min on idle cores, 20+ min under load" \
			-ldflags "$(k8s_ldflags "$v")"
		;;
	kubectl) build_kubectl ;;
	helm)
		v="$(pinned_version helm helm.sh/helm/v4)"
		go_build helm "$v" helm helm.sh/helm/v4/cmd/helm "$BIN/helm" "~3 min" \
			-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$v -X helm.sh/helm/v4/internal/version.gitCommit=module-$v -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
		;;
	thanos)
		v="$(pinned_version thanos github.com/thanos-io/thanos)"
		# Thanos v0.42.5 declares go 1.26.10, newer than the machines' Go: this module alone is
		# built with the approved toolchain go1.27.3, which the go command fetches from the
		# module proxy on first use (76 MB, about 10s). The slicelabels tag is Thanos's own
		# (.promu.yml): its gRPC codec assumes that layout of Prometheus labels, and without
		# the tag the sidecar panics on its first StoreAPI answer.
		GOTOOLCHAIN=go1.27.3 go_build thanos "$v" thanos github.com/thanos-io/thanos/cmd/thanos "$BIN/thanos" "~9 min" \
			-tags netgo,slicelabels -ldflags "$(prom_ldflags "${v#v}" "$v")"
		;;
	*) die "unknown tool '$1' (want: prometheus promtool alertmanager amtool controller-gen staticcheck kube-apiserver etcd kubectl helm thanos all)" ;;
	esac
}

[[ $# -gt 0 ]] || die "usage: $0 NAME... (prometheus promtool alertmanager amtool controller-gen staticcheck kube-apiserver etcd kubectl helm thanos all)"

names=()
for n in "$@"; do
	if [[ "$n" == all ]]; then
		names+=(controller-gen staticcheck promtool prometheus amtool alertmanager etcd kube-apiserver kubectl helm thanos)
	else
		names+=("$n")
	fi
done
for n in "${names[@]}"; do
	build_one "$n"
done
