package procs

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultReadyTimeout is how long a started process may take to report ready.
const DefaultReadyTimeout = 30 * time.Second

// stopTimeout is how long a process may take to exit after SIGTERM before it is killed.
const stopTimeout = 10 * time.Second

// Tool returns the path of a pinned binary named by the environment variable env (PROMETHEUS,
// ALERTMANAGER, PROMTOOL, AMTOOL). When it is not set the test is skipped, or fails under
// PLEDGE_REQUIRE_TOOLS (make test), so that a missing binary is never mistaken for a pass.
func Tool(t T, env string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		if os.Getenv("PLEDGE_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is not set; make test builds it pinned into bin/", env)
		}
		t.Skipf("%s not set: run through make test to use the real binary", env)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s=%s: %v", env, path, err)
	}
	return path
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func mustFreePort(t T) int {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	return port
}

// process is one external binary, restartable with the same arguments. Its output goes to a
// log file that survives restarts.
type process struct {
	t        T
	name     string
	bin      string
	args     []string
	logPath  string
	readyURL string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	waitErr error
}

func newProcess(t T, name, bin string, args []string, readyURL string) *process {
	p := &process{t: t, name: name, bin: bin, args: args, readyURL: readyURL}
	p.logPath = fmt.Sprintf("%s/%s.log", t.TempDir(), name)
	// Cleanups run last-registered first: kill, then print the log.
	t.Cleanup(func() {
		if t.Failed() || testLogs() {
			t.Logf("%s output (%s):\n%s", p.name, p.logPath, tail(p.logPath, 200))
		}
	})
	t.Cleanup(p.stop)
	return p
}

// start runs the binary and waits until readyURL answers 200.
func (p *process) start(timeout time.Duration) {
	p.t.Helper()
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(log, "=== %s %s %s\n", time.Now().Format(time.RFC3339Nano), p.bin, strings.Join(p.args, " "))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done, p.waitErr = cmd, done, nil
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		log.Close()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(done)
	}()
	if err := waitReady(p.readyURL, done, timeout); err != nil {
		p.t.Fatalf("%s did not become ready: %v\n%s", p.name, err, tail(p.logPath, 60))
	}
}

// stop terminates the process group: SIGTERM, then SIGKILL after stopTimeout.
func (p *process) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	signalGroup(cmd, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		signalGroup(cmd, syscall.SIGKILL)
		<-done
	}
	// Anything the process left in its group goes too.
	signalGroup(cmd, syscall.SIGKILL)
}

// running reports whether the process is started and has not exited.
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func waitReady(url string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-exited:
			return fmt.Errorf("the process exited")
		case <-ctx.Done():
			return fmt.Errorf("after %s: %v", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = append([][]byte{[]byte(fmt.Sprintf("[... %d earlier lines]", len(lines)-n))}, lines[len(lines)-n:]...)
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// PostOK sends an empty POST (such as /-/reload) and expects 200.
func PostOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, strings.TrimSpace(b.String()))
	}
	return nil
}

// testLogs reports whether logs are printed even when the test passes (PLEDGE_PROCS_LOGS=1).
func testLogs() bool { return os.Getenv("PLEDGE_PROCS_LOGS") != "" }
