# hack/tools.mk: pinned third-party binaries, compiled from Go modules.
#
# Included by the top-level Makefile. Each tool is pinned in
# hack/tools/<module>/go.mod and built by hack/build-bin.sh, which skips the
# build when bin/<tool> (or bin/k8s/<tool>) exists and bin/.<tool>.version
# holds the pinned version. The targets are phony on purpose: the script does
# the up-to-date check, so a changed pin triggers a rebuild.
#
# Cold builds on two cores: controller-gen/staticcheck ~1 min each, promtool
# and prometheus several minutes, alertmanager/amtool ~1-2 min, etcd ~1-2 min,
# kube-apiserver ~14 min, helm ~3 min, thanos ~9 min (measured 8.5 min cold on two
# cores shared with other work, modules already downloaded; built with
# GOTOOLCHAIN=go1.27.3, see hack/build-bin.sh). Progress is printed on stderr.

TOOLS_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
BUILD_BIN := $(abspath $(TOOLS_MK_DIR))/build-bin.sh

BIN ?= $(CURDIR)/bin

PROMETHEUS     = $(BIN)/prometheus
PROMTOOL       = $(BIN)/promtool
ALERTMANAGER   = $(BIN)/alertmanager
AMTOOL         = $(BIN)/amtool
CONTROLLER_GEN = $(BIN)/controller-gen
STATICCHECK    = $(BIN)/staticcheck
HELM           = $(BIN)/helm
THANOS         = $(BIN)/thanos
# envtest binaries: kube-apiserver, etcd and kubectl.
KUBEBUILDER_ASSETS = $(BIN)/k8s

.PHONY: promtool prometheus alertmanager amtool controller-gen staticcheck helm thanos envtest-bins tools

promtool prometheus alertmanager amtool controller-gen staticcheck helm thanos:
	@BIN="$(BIN)" "$(BUILD_BIN)" $@

envtest-bins:
	@BIN="$(BIN)" "$(BUILD_BIN)" etcd kube-apiserver kubectl

# One script call, so the builds run one after another even under make -j.
tools:
	@BIN="$(BIN)" "$(BUILD_BIN)" controller-gen staticcheck promtool prometheus amtool alertmanager etcd kube-apiserver kubectl helm thanos
