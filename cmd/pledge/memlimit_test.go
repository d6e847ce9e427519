package main

import (
	"bytes"
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	cases := map[string]struct {
		env     map[string]string
		want    int64
		from    string
		wantErr bool
	}{
		"no limit":            {env: map[string]string{}, want: 0},
		"container limit":     {env: map[string]string{memoryLimitEnv: "268435456"}, want: 241591910, from: "90% of PLEDGE_MEMORY_LIMIT"},
		"GOMEMLIMIT wins":     {env: map[string]string{"GOMEMLIMIT": "100MiB", memoryLimitEnv: "268435456"}, want: math.MaxInt64, from: "GOMEMLIMIT"},
		"not a number":        {env: map[string]string{memoryLimitEnv: "256Mi"}, wantErr: true},
		"zero is not a limit": {env: map[string]string{memoryLimitEnv: "0"}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			got, from, err := setMemoryLimit(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want || from != tc.from {
				t.Fatalf("got %d from %q, want %d from %q", got, from, tc.want, tc.from)
			}
			if tc.want > 0 && debug.SetMemoryLimit(-1) != tc.want {
				t.Fatalf("the runtime's limit is %d, want %d", debug.SetMemoryLimit(-1), tc.want)
			}
		})
	}
}

func TestSetGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	debug.SetGCPercent(100)
	if p, from := setGCPercent(func(string) string { return "" }); p != defaultGCPercent || from != "default" {
		t.Fatalf("without GOGC: %d from %q, want %d from default", p, from, defaultGCPercent)
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Fatalf("the runtime's GC percent is %d, want %d", got, defaultGCPercent)
	}
	debug.SetGCPercent(80) // as if the runtime had read GOGC=80
	if p, from := setGCPercent(func(k string) string { return map[string]string{"GOGC": "80"}[k] }); p != 80 || from != "GOGC" {
		t.Fatalf("with GOGC=80: %d from %q, want 80 from GOGC", p, from)
	}
	if got := debug.SetGCPercent(100); got != 80 {
		t.Fatalf("GOGC=80 was overridden: the runtime's GC percent is %d", got)
	}
}

// Every command runs at the same collector target, the offline ones included.
func TestEveryCommandSetsGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	for _, args := range [][]string{{"version"}, {"validate", "-f", "../../config/samples"}} {
		debug.SetGCPercent(100)
		var out, errOut bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("pledge %v: exit %d: %s", args, code, errOut.String())
		}
		if got := debug.SetGCPercent(100); got != defaultGCPercent {
			t.Fatalf("pledge %v ran at GC percent %d, want %d", args, got, defaultGCPercent)
		}
	}
}
