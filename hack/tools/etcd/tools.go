//go:build tools

// Package tools pins the etcd server used by envtest (bin/k8s/etcd). The root
// package of go.etcd.io/etcd/server/v3 is the etcd main package. It lives in
// its own module because k8s.io/kubernetes v1.37 requires etcd v3.7 modules,
// which would otherwise raise etcd past the pinned version.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
