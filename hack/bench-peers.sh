# Sourced by the benchmarks that measure Pledge beside its peers (bench-eval.sh,
# bench-render-cli.sh): build_peers TOOLS WORK builds sloth and pyrra at their pinned versions
# from the module proxy into TOOLS (once; WORK is scratch space) and sets PEERS to those that
# built. SLOTH and PYRRA are then the binaries.
SLOTH_VERSION=v0.16.0
PYRRA_VERSION=v0.10.1

build_peers() {
	local tools="$1" work="$2"
	mkdir -p "$tools" "$work"
	SLOTH="$tools/sloth-$SLOTH_VERSION"
	PYRRA="$tools/pyrra-$PYRRA_VERSION"
	PEERS=()
	if [[ -x "$SLOTH" ]] ||
		(GOBIN="$work" go install "github.com/slok/sloth/cmd/sloth@$SLOTH_VERSION" && mv "$work/sloth" "$SLOTH"); then
		PEERS+=(sloth)
	else
		echo "SKIPPING sloth: github.com/slok/sloth/cmd/sloth@$SLOTH_VERSION does not build" >&2
	fi
	if [[ -x "$PYRRA" ]] || build_pyrra "$work"; then
		PEERS+=(pyrra)
	else
		echo "SKIPPING pyrra: github.com/pyrra-dev/pyrra@$PYRRA_VERSION does not build" >&2
	fi
}

# pyrra's main package embeds its web UI (ui/build), which the module does not ship: build a
# copy of the module with a placeholder page; rule generation does not use the UI.
build_pyrra() {
	local dir src="$1/pyrra-src"
	dir="$(go mod download -json "github.com/pyrra-dev/pyrra@$PYRRA_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[[ -n "$dir" ]] || return 1
	rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
	mkdir -p "$src/ui/build" && echo 'UI not built' >"$src/ui/build/index.html"
	(cd "$src" && go build -o "$PYRRA" .)
}
