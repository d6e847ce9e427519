package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/test/procs"
)

// --web-address adds the board to the manager: it binds at once (a port in use is an error
// naming the flag) and serves from the manager's cache once the manager runs.
func TestBoardOnManager(t *testing.T) {
	cfg := procs.StartAPIServer(t, []string{filepath.Join("..", "..", "config", "crd", "bases")})
	mgr, err := controllers.NewManager(cfg, ctrl.Options{Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := addBoard(mgr, "", controllers.Options{}); err != nil {
		t.Fatalf("no --web-address: %v", err)
	}
	port, err := procs.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := addBoard(mgr, addr, controllers.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := addBoard(mgr, addr, controllers.Options{}); err == nil || !strings.Contains(err.Error(), "--web-address") {
		t.Errorf("a second board on %s: %v, want an error naming --web-address", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), "0 of 0 standards") {
				return
			}
			err = fmt.Errorf("%s: %.300s", resp.Status, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the board on %s did not serve the overview: %v", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
