package main

import (
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/board"
	"github.com/pledge-dev/pledge/internal/compliance"
)

// webAddressHelp is the help of pledge manager --web-address.
const webAddressHelp = "address of the read-only web board, e.g. :8082 (empty: no board)"

// addBoard serves the read-only board on addr (nothing when addr is empty) from every replica:
// standards and policies from the manager's cache, events from the API server, the budget
// charts from the compliance runner's query API when there is one.
func addBoard(mgr ctrl.Manager, addr string, o controllers.Options) error {
	if addr == "" {
		return nil
	}
	var q compliance.Querier
	if o.Compliance != nil {
		q = o.Compliance.Querier
	}
	if _, err := board.AddToManager(mgr, addr, q, o.Cluster); err != nil {
		return fmt.Errorf("--web-address: %w", err)
	}
	return nil
}
