//go:build tools

// Package tools pins helm for the chart tests (test/deploy): helm lint and
// helm template of charts/pledge. A separate module so that helm's many
// dependencies never touch the operator's go.mod.
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
