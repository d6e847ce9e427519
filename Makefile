# Pledge — service standards as code for Kubernetes.
# Everything the targets need is built from pinned Go modules into bin/ (see hack/tools.mk).

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
IMG ?= pledge:dev
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO_TEST_FLAGS ?=

include hack/tools.mk

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRDs and RBAC from the markers.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths="{./controllers/...,./internal/board/...}" output:rbac:artifacts:config=config/rbac
	go run ./hack/crd-receivers config/crd/bases/*.yaml
	go run ./hack/crd-docs config/crd/bases > docs/reference/crds.md
	hack/sync-chart.sh

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: staticcheck ## Run staticcheck and check formatting.
	@out=$$(gofmt -s -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -s would change: $$out"; exit 1; fi
	$(STATICCHECK) ./...

.PHONY: monitoring-crds
monitoring-crds: controller-gen ## Generate the prometheus-operator CRDs (pinned in go.mod) into bin/crds.
	@BIN="$(BIN)" hack/monitoring-crds.sh

.PHONY: test
test: promtool amtool prometheus alertmanager envtest-bins monitoring-crds helm thanos ## Run all tests: unit, engine, real Prometheus/Alertmanager/API server suites, chart, fuzz seeds, the demo.
	PLEDGE_REQUIRE_TOOLS=1 PROMTOOL=$(PROMTOOL) AMTOOL=$(AMTOOL) PROMETHEUS=$(PROMETHEUS) ALERTMANAGER=$(ALERTMANAGER) KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) HELM=$(HELM) THANOS=$(THANOS) \
		MONITORING_CRDS=$(BIN)/crds/monitoring.coreos.com go test ./... $(GO_TEST_FLAGS)
	@$(MAKE) --no-print-directory demo-test

.PHONY: test-update-golden
test-update-golden: ## Rewrite the golden files from the current renderer.
	go test ./internal/render/ -run TestGolden -update

.PHONY: bench
bench: ## Run the render, controller (1,000 standards) and compliance (10,000 objectives) benchmarks.
	BIN="$(BIN)" hack/bench-render.sh
	BIN="$(BIN)" hack/bench-controller.sh
	BIN="$(BIN)" hack/bench-compliance.sh

.PHONY: fuzz
fuzz: ## Fuzz decode+validate (fast), decode+validate+render and pledge validate's reading, FUZZTIME each (default 60s).
	go test ./internal/render/ -run '^$$' -fuzz '^FuzzDecodeValidate$$' -fuzztime $${FUZZTIME:-60s} -fuzzminimizetime 100x
	go test ./internal/render/ -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $${FUZZTIME:-60s} -fuzzminimizetime 100x
	go test ./internal/manifest/ -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $${FUZZTIME:-60s} -fuzzminimizetime 100x

##@ Build

.PHONY: build
build: ## Build bin/pledge.
	go build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/pledge ./cmd/pledge

.PHONY: run
run: manifests ## Run the manager against the cluster of the current kubeconfig.
	go run ./cmd/pledge manager --metrics-bind-address=:8080 --health-probe-bind-address=:8081

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build --build-arg VERSION=$(VERSION) -t $(IMG) .

.PHONY: demo
demo: ## Run Pledge locally on loopback (API server, Prometheus, Alertmanager, operator) and show live status.
	@$(MAKE) --no-print-directory -j1 build promtool prometheus alertmanager amtool envtest-bins monitoring-crds
	@BIN="$(BIN)" hack/demo.sh

.PHONY: demo-down
demo-down: ## Stop the demo and every process it started.
	@BIN="$(BIN)" hack/demo-down.sh

.PHONY: demo-test
demo-test: ## Run the demo non-interactively, check the standing it shows, stop it and check nothing is left.
	@$(MAKE) --no-print-directory -j1 build promtool prometheus alertmanager amtool envtest-bins monitoring-crds
	@BIN="$(BIN)" hack/demo-test.sh

##@ Deployment

.PHONY: install
install: manifests ## Install the CRDs into the cluster of the current kubeconfig.
	kubectl apply --server-side -k config/crd

.PHONY: uninstall
uninstall: ## Remove the CRDs (and every standard) from the cluster.
	kubectl delete -k config/crd --ignore-not-found

.PHONY: deploy
deploy: manifests ## Deploy CRDs, RBAC and the manager (image IMG) to the current cluster.
	kubectl kustomize config/default | sed "s|image: pledge:dev|image: $(IMG)|" | kubectl apply --server-side -f -

.PHONY: undeploy
undeploy: ## Remove everything deploy created.
	kubectl kustomize config/default | kubectl delete --ignore-not-found -f -
