package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errNotRunning makes status exit with 3.
var errNotRunning = errors.New("the demo is not running (start it with: make demo)")

// runningPID returns the pid of the demo running on dir, if its process is alive and is the
// demo (its command line names dir).
func runningPID(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "demo.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !alive(pid) || zombie(pid) {
		return 0, false
	}
	if args, ok := processes()[pid]; ok && !strings.Contains(args, "demo") {
		return 0, false // the pid was reused
	}
	return pid, true
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processes lists every process's command line by pid: from /proc, or from ps elsewhere.
func processes() map[int]string {
	out := map[int]string{}
	if entries, err := os.ReadDir("/proc"); err == nil {
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil || len(b) == 0 {
				continue
			}
			out[pid] = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		}
		if len(out) > 0 {
			return out
		}
	}
	b, err := exec.Command("ps", "-A", "-o", "pid=", "-o", "args=").Output()
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if pid, err := strconv.Atoi(f[0]); err == nil {
			out[pid] = strings.Join(f[1:], " ")
		}
	}
	return out
}

// children lists the direct children of pid.
func children(pid int) []int {
	var out []int
	if entries, err := os.ReadDir("/proc"); err == nil {
		for _, e := range entries {
			child, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
			s := string(b)
			f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
			if len(f) > 1 && f[1] == strconv.Itoa(pid) {
				out = append(out, child)
			}
		}
		return out
	}
	b, err := exec.Command("ps", "-A", "-o", "pid=", "-o", "ppid=").Output()
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(f[0]); err == nil {
				out = append(out, child)
			}
		}
	}
	return out
}

// leftovers are the processes that belong to the demo on dir: those whose command line names
// its run directory (etcd, kube-apiserver, Prometheus, Alertmanager all do).
func leftovers(dir string) map[int]string {
	run := filepath.Join(dir, "run") + string(filepath.Separator)
	out := map[int]string{}
	for pid, args := range processes() {
		if pid != os.Getpid() && strings.Contains(args, run) {
			out[pid] = args
		}
	}
	return out
}

// down stops the demo: SIGTERM to the demo, which stops everything it started; then whatever
// is left (after a crash or kill -9) is killed with its process group.
func down(o options) error {
	pid, running := runningPID(o.dir)
	if running {
		fmt.Printf("Stopping the demo (pid %d)...\n", pid)
		_ = syscall.Kill(pid, syscall.SIGTERM)
		if !waitGone(pid, 90*time.Second) {
			fmt.Printf("pid %d did not stop within 90s: killing it\n", pid)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 10*time.Second)
		}
	}
	left := stopLeftovers(o.dir)
	if still := leftovers(o.dir); len(still) > 0 {
		return fmt.Errorf("processes still running: %v", still)
	}
	for _, f := range append(stateFiles, "demo.pid") {
		_ = os.Remove(filepath.Join(o.dir, f))
	}
	if !o.keep {
		_ = os.RemoveAll(filepath.Join(o.dir, "run"))
	}
	if !running && len(left) == 0 {
		fmt.Println("The demo is not running.")
		return nil
	}
	fmt.Println("The demo is stopped.")
	return nil
}

// stopLeftovers stops the processes of a demo on dir that is no longer running: SIGTERM to
// each and its process group (every component runs in a group of its own), SIGKILL after 20s.
func stopLeftovers(dir string) map[int]string {
	left := leftovers(dir)
	for p, args := range left {
		fmt.Printf("Stopping leftover process %d: %s\n", p, truncate(args, 120))
		_ = syscall.Kill(-p, syscall.SIGTERM)
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	for p := range left {
		if !waitGone(p, 20*time.Second) {
			_ = syscall.Kill(-p, syscall.SIGKILL)
			_ = syscall.Kill(p, syscall.SIGKILL)
			waitGone(p, 5*time.Second)
		}
	}
	return left
}

// waitGone waits until pid has exited (or is a zombie nobody reaps).
func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if !alive(pid) || zombie(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] == "Z"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
