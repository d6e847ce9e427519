package render_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pledge-dev/pledge/internal/render"
)

const mergeBase = `global:
  resolve_timeout: 5m
route:
  receiver: platform
  group_by: [alertname]
  routes:
    - matchers: ['team="db"']
      receiver: db
receivers:
  - name: platform
  - name: db
    webhook_configs: [{url: "http://db.example/hook"}]
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname]
`

func TestMergeAlertmanagerConfig(t *testing.T) {
	fragment := func(name string) []byte {
		b, err := render.AlertmanagerFile(resolveYAML(t, routingStandard("shop", name)), render.SMTP{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := fragment("checkout"), fragment("search")

	for name, tc := range map[string]struct {
		base      string
		fragments [][]byte
		want      []string // substrings of the merged configuration
		routes    int      // children of the top route
		receivers int
		err       string
	}{
		"empty base": {fragments: [][]byte{a}, routes: 1, receivers: 1 + 3, // pledge-default; on-call, lead, unrouted
			want: []string{"receiver: " + render.DefaultReceiver, "shop/checkout/on-call"}},
		"base kept, Pledge first": {base: mergeBase, fragments: [][]byte{a, b}, routes: 2 + 1, receivers: 2 + 3 + 3,
			want: []string{"resolve_timeout: 5m", "http://db.example/hook", "shop/search/on-call", "team=\"db\""}},
		"no fragments": {base: mergeBase, routes: 1, receivers: 2},
		"name taken by base": {base: strings.Replace(mergeBase, "name: db", "name: shop/checkout/on-call", 1), fragments: [][]byte{a},
			err: `receiver name "shop/checkout/on-call" of a standard is already used by the base configuration`},
		"same standard twice":         {fragments: [][]byte{a, a}, err: "already used by another standard"},
		"base without route":          {base: "receivers: [{name: x}]\n", err: "no top-level route"},
		"base route without receiver": {base: "route: {group_by: [a]}\n", err: "names no receiver"},
		"base not YAML":               {base: "route: [", err: "base configuration"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := render.MergeAlertmanagerConfig([]byte(tc.base), tc.fragments)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("merged configuration lacks %q:\n%s", w, got)
				}
			}
			var cfg struct {
				Route struct {
					Receiver string           `yaml:"receiver"`
					Routes   []map[string]any `yaml:"routes"`
				} `yaml:"route"`
				Receivers []map[string]any `yaml:"receivers"`
			}
			if err := yaml.Unmarshal(got, &cfg); err != nil {
				t.Fatal(err)
			}
			if len(cfg.Route.Routes) != tc.routes || len(cfg.Receivers) != tc.receivers {
				t.Errorf("%d routes and %d receivers, want %d and %d:\n%s", len(cfg.Route.Routes), len(cfg.Receivers), tc.routes, tc.receivers, got)
			}
			if tc.base == mergeBase && len(tc.fragments) > 0 {
				// Pledge's routes come before the platform's own.
				if m, _ := cfg.Route.Routes[len(cfg.Route.Routes)-1]["receiver"].(string); m != "db" {
					t.Errorf("the platform's route is not last:\n%s", got)
				}
			}
			checkWithAmtool(t, got)
		})
	}
}

// checkWithAmtool has the real amtool check the configuration when it is available.
func checkWithAmtool(t *testing.T, cfg []byte) {
	amtool := os.Getenv("AMTOOL")
	if amtool == "" {
		return
	}
	path := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(amtool, "check-config", path).CombinedOutput(); err != nil {
		t.Errorf("amtool check-config: %v\n%s\n%s", err, out, cfg)
	}
}
