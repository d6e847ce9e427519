//go:build tools

// Package tools pins Alertmanager and amtool, which hack/build-bin.sh
// compiles into bin/. v0.28.1 is the newest release whose module still
// carries the generated UI assets; later releases do not build from the module.
package tools

import (
	_ "github.com/prometheus/alertmanager/cmd/alertmanager"
	_ "github.com/prometheus/alertmanager/cmd/amtool"
)
