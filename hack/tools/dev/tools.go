//go:build tools

// Package tools pins the developer tools (code generation and linting) that
// hack/build-bin.sh compiles into bin/. This is a separate module so that the
// tools' dependencies never leak into the operator's own go.mod.
package tools

import (
	_ "honnef.co/go/tools/cmd/staticcheck"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
