package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
)

// cliT adapts test/procs's T to a long-running command: Cleanup collects the functions that stop
// what was started and runs them (last first) when the demo shuts down, TempDir hands out
// directories under the demo's state directory, and Fatal stops everything before exiting.
type cliT struct {
	tmp string

	mu       sync.Mutex
	n        int
	cleanups []func()
	failed   bool
	exiting  bool
}

func newCLIT(tmp string) *cliT { return &cliT{tmp: tmp} }

func (t *cliT) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *cliT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *cliT) Fatal(args ...any) { t.fail(fmt.Sprint(args...)) }

func (t *cliT) Fatalf(format string, args ...any) { t.fail(fmt.Sprintf(format, args...)) }

// Skipf means a binary is missing: as fatal as anything else here.
func (t *cliT) Skipf(format string, args ...any) { t.fail(fmt.Sprintf(format, args...)) }

func (t *cliT) Helper() {}

func (t *cliT) Logf(format string, args ...any) { log.Printf(format, args...) }

func (t *cliT) TempDir() string {
	t.mu.Lock()
	t.n++
	dir := filepath.Join(t.tmp, fmt.Sprintf("%03d", t.n))
	t.mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (t *cliT) fail(msg string) {
	log.Printf("FATAL: %s", msg)
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	t.exit(1)
}

// exit runs the cleanups, last registered first, and exits. Whoever comes second (a signal
// during a failure, a failure during shutdown) waits for the first to finish exiting.
func (t *cliT) exit(code int) {
	t.mu.Lock()
	if t.exiting {
		t.mu.Unlock()
		select {}
	}
	t.exiting = true
	cleanups := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}
