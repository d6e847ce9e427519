//go:build unix && !linux

package procs

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
