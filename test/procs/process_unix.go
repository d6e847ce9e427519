//go:build unix

package procs

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in its own process group, so that it and anything it starts can
// be signalled together. On Linux the child is also killed if the test binary dies.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(a)
	return a
}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process == nil {
		return
	}
	// The negative pid addresses the whole group; the group id is the child's pid.
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
