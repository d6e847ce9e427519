package render_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/internal/render"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current renderer")

// loadStandards reads one testdata/standards file (with its policies) and resolves it.
func loadStandards(t *testing.T, path string) []*render.Standard {
	t.Helper()
	set, problems := manifest.Load([]string{path}, nil)
	if len(problems) > 0 {
		t.Fatalf("load %s: %v", path, problems)
	}
	standards, problems := set.Resolve()
	if len(problems) > 0 {
		t.Fatalf("resolve %s: %v", path, problems)
	}
	return standards
}

// renderAll renders every format of the given standards.
func renderAll(t *testing.T, standards []*render.Standard) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	rules, err := render.RulesFile(standards)
	if err != nil {
		t.Fatal(err)
	}
	out["rules"] = rules
	am, err := render.AlertmanagerFile(standards, render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	out["alertmanager"] = am
	var pr, amc bytes.Buffer
	for _, s := range standards {
		b, err := render.ObjectYAML(s.PrometheusRule())
		if err != nil {
			t.Fatal(err)
		}
		pr.Write(b)
		cfg, err := s.AlertmanagerConfig()
		if err != nil {
			t.Fatal(err)
		}
		if cfg != nil {
			b, err := render.ObjectYAML(cfg)
			if err != nil {
				t.Fatal(err)
			}
			amc.Write(b)
		}
	}
	out["prometheusrule"] = pr.Bytes()
	out["alertmanagerconfig"] = amc.Bytes()
	return out
}

func standardFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/standards/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata standards: %v", err)
	}
	return files
}

// TestGolden compares every format of every testdata standard with testdata/golden.
// Refresh with `make test-update-golden` and review the diff.
func TestGolden(t *testing.T) {
	for _, file := range standardFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		for format, got := range renderAll(t, loadStandards(t, file)) {
			t.Run(name+"/"+format, func(t *testing.T) {
				golden := filepath.Join("testdata", "golden", name+"."+format+".golden")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run make test-update-golden)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the renderer's output; if the change is intended run make test-update-golden.\n%s", golden, firstDiff(string(want), string(got)))
				}
			})
		}
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }

// tool returns the path of a pinned binary from the environment (set by make test).
// Under make test (PLEDGE_REQUIRE_TOOLS=1) a missing tool fails the test instead of skipping.
func tool(t *testing.T, env string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		if os.Getenv("PLEDGE_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is not set; make test builds it pinned into bin/", env)
		}
		t.Skipf("%s not set: run through make test to check with the real binary", env)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s=%s: %v", env, path, err)
	}
	return path
}

// TestPromtoolAcceptsRules checks every rendered rule file with the real promtool.
func TestPromtoolAcceptsRules(t *testing.T) {
	promtool := tool(t, "PROMTOOL")
	for _, file := range standardFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rules.yaml")
			if err := os.WriteFile(path, renderAll(t, loadStandards(t, file))["rules"], 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool check rules: %v\n%s", err, out)
			}
		})
	}
}

// TestAmtoolAcceptsConfig checks every rendered Alertmanager configuration with the real amtool.
func TestAmtoolAcceptsConfig(t *testing.T) {
	amtool := tool(t, "AMTOOL")
	for _, file := range standardFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "alertmanager.yml")
			if err := os.WriteFile(path, renderAll(t, loadStandards(t, file))["alertmanager"], 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(amtool, "check-config", path).CombinedOutput()
			if err != nil {
				t.Fatalf("amtool check-config: %v\n%s", err, out)
			}
		})
	}
}
