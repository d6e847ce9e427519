package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryLimitEnv holds the container's memory limit in bytes; the Helm chart and the kustomize
// deployment set it from the pod spec (downward API, resourceFieldRef limits.memory).
const memoryLimitEnv = "PLEDGE_MEMORY_LIMIT"

// memoryLimitShare is the part of the container limit the Go runtime aims to stay under; the
// rest is headroom for what the runtime does not count (binary, thread stacks outside Go) and
// for the collector's lag behind allocation bursts.
const memoryLimitShare = 0.9

// setMemoryLimit sets the Go runtime's soft memory limit to memoryLimitShare of the container
// limit in memoryLimitEnv, so that the collector works harder as the limit nears instead of
// the container being OOM-killed. GOMEMLIMIT, when set, wins (the runtime has read it). It
// returns the limit set (0 for none) and where it came from, for the log.
func setMemoryLimit(getenv func(string) string) (int64, string, error) {
	if v := getenv("GOMEMLIMIT"); v != "" {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT", nil
	}
	v := strings.TrimSpace(getenv(memoryLimitEnv))
	if v == "" {
		return 0, "", nil
	}
	limit, err := strconv.ParseInt(v, 10, 64)
	if err != nil || limit <= 0 {
		return 0, "", fmt.Errorf("%s=%q: want the container's memory limit in bytes (resourceFieldRef limits.memory)", memoryLimitEnv, v)
	}
	// A container without a memory limit gets the node's allocatable memory from the downward
	// API; the share of it is still a sound soft limit.
	soft := int64(math.Floor(float64(limit) * memoryLimitShare))
	debug.SetMemoryLimit(soft)
	return soft, fmt.Sprintf("%d%% of %s", int(memoryLimitShare*100), memoryLimitEnv), nil
}

// defaultGCPercent is the collector's target of every pledge command when GOGC is not set: a
// collection when the heap has grown by half of what the last one found live, not by all of it
// (Go's default, 100). Measured (docs/benchmarks.md): the manager at 10,000 standards peaks at
// 187–190 MiB instead of 218–233 MiB, for 9–32% more CPU while the standards were created;
// pledge validate and render on 10,000 objectives at 111–117 MiB instead of 137–154 MiB, for
// about a quarter more time.
const defaultGCPercent = 50

// gcPercent is the collector's target in force and where it came from, set before any command
// runs; the manager logs it.
var gcPercent struct {
	percent int
	from    string
}

// setGCPercent sets the collector's target to defaultGCPercent unless GOGC is set (the runtime
// has read it). It returns the percentage in force and where it came from, for the log.
func setGCPercent(getenv func(string) string) (int, string) {
	if getenv("GOGC") != "" {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, "GOGC"
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent, "default"
}
