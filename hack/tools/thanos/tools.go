//go:build tools

// Package tools pins the Thanos binary (sidecar, query, rule and the other
// components are subcommands of cmd/thanos) that hack/build-bin.sh compiles
// into bin/. v0.42.5 declares go 1.26.10, newer than the Go on the machines,
// so this module alone is built with GOTOOLCHAIN=go1.27.3 (see build-bin.sh).
// The replace directives are copied from Thanos's own go.mod: a dependency's
// replacements do not apply to the module that requires it.
package tools

import (
	_ "github.com/thanos-io/thanos/cmd/thanos"
)
