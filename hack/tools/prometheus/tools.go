//go:build tools

// Package tools pins the Prometheus server and promtool that
// hack/build-bin.sh compiles into bin/. Built without the builtinassets tag:
// the web UI assets are not part of the Go module, and the HTTP API,
// /-/ready and /-/healthy work without them.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
