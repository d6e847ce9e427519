//go:build tools

// Package tools pins kube-apiserver (and kubectl, as a fallback when none is
// on PATH) for envtest (bin/k8s). k8s.io/kubernetes is not meant to be used as
// a dependency: it requires its staging modules at v0.0.0, so go.mod replaces
// each of them with the matching v0.<minor>.<patch> release.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
