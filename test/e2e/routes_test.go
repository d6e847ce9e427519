package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pledge-dev/pledge/test/procs"
)

// TestRoutes asks the real amtool where the rendered configuration sends each kind of alert
// (`amtool config routes test --verify.receivers`), as docs/escalation.md shows users.
func TestRoutes(t *testing.T) {
	amtool := procs.Tool(t, "AMTOOL")
	hook := func(path string) string { return "http://127.0.0.1:9" + path }
	_, am := renderStandards(t, standardsYAML(hook, time.Now()))
	config := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(config, am, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(amtool, "check-config", config).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}

	checkout := []string{"namespace=shop", "service_standard=checkout", "service=checkout", "objective=availability"}
	payments := []string{"namespace=shop", "service_standard=payments", "service=payments", "objective=availability"}
	with := func(base []string, more ...string) []string { return append(slices.Clone(base), more...) }
	for _, tc := range []struct {
		name   string
		labels []string
		want   string // receivers, comma separated, in amtool's order
	}{
		{"tier 1 pages on-call and copies informed", with(checkout, "alertname=PledgeEscalation", "severity=page", "escalation_tier=1", "escalation_tier_name=on-call"),
			"shop/checkout/informed,shop/checkout/on-call"},
		{"tier 2 goes to the team lead only", with(checkout, "alertname=PledgeEscalation", "severity=page", "escalation_tier=2", "escalation_tier_name=team-lead"),
			"shop/checkout/team-lead"},
		{"tier 3 goes to the director (route with active time interval)", with(checkout, "alertname=PledgeEscalation", "severity=page", "escalation_tier=3", "escalation_tier_name=director"),
			"shop/checkout/director"},
		{"tickets go to the ticket receiver", with(checkout, "alertname=PledgeErrorBudgetBurn", "severity=ticket", "long_window=3d", "short_window=6h"),
			"shop/checkout/tickets"},
		{"budget-left tickets go to the ticket receiver", with(checkout, "alertname=PledgeErrorBudgetLow", "severity=ticket", "budget_left_threshold=0"),
			"shop/checkout/tickets"},
		{"burn-rate pages are not routed (tier 1 is the same signal)", with(checkout, "alertname=PledgeErrorBudgetBurn", "severity=page", "long_window=1h", "short_window=5m"),
			"shop/checkout/unrouted"},
		{"another standard's tier 1 has no informed copy", with(payments, "alertname=PledgeEscalation", "severity=page", "escalation_tier=1"),
			"shop/payments/on-call"},
		{"another standard's tier 2 is its own", with(payments, "alertname=PledgeEscalation", "severity=page", "escalation_tier=2"),
			"shop/payments/team-lead"},
		{"another standard's tickets default to its tier 1", with(payments, "alertname=PledgeErrorBudgetBurn", "severity=ticket"),
			"shop/payments/on-call"},
		{"same standard name in another namespace does not match", []string{"namespace=other", "service_standard=checkout", "escalation_tier=1", "severity=page"},
			"pledge-default"},
		{"an unknown standard does not match", []string{"namespace=shop", "service_standard=orders", "escalation_tier=1", "severity=page"},
			"pledge-default"},
		{"an alert without service_standard does not match", []string{"namespace=shop", "alertname=Watchdog", "escalation_tier=1"},
			"pledge-default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"config", "routes", "test", "--config.file=" + config, "--verify.receivers=" + tc.want}, tc.labels...)
			out, err := exec.Command(amtool, args...).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != tc.want {
				t.Fatalf("amtool %s\n  got %q (%v), want %q", strings.Join(args, " "), strings.TrimSpace(string(out)), err, tc.want)
			}
		})
	}

	// amtool's route test ignores time: check that the director's route carries the interval
	// and that the interval is the generated, namespaced one. TestEscalation proves that
	// Alertmanager honours it.
	t.Run("tier 3 is active only in never-now", func(t *testing.T) {
		var cfg struct {
			Route struct {
				Routes []struct {
					Matchers []string `yaml:"matchers"`
					Routes   []struct {
						Receiver            string   `yaml:"receiver"`
						ActiveTimeIntervals []string `yaml:"active_time_intervals"`
					} `yaml:"routes"`
				} `yaml:"routes"`
			} `yaml:"route"`
			TimeIntervals []struct {
				Name          string `yaml:"name"`
				TimeIntervals []struct {
					Weekdays []string `yaml:"weekdays"`
				} `yaml:"time_intervals"`
			} `yaml:"time_intervals"`
		}
		if err := yaml.Unmarshal(am, &cfg); err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, sub := range cfg.Route.Routes {
			for _, r := range sub.Routes {
				if r.Receiver == "shop/checkout/director" {
					found = r.ActiveTimeIntervals
				} else if len(r.ActiveTimeIntervals) > 0 {
					t.Errorf("route to %s has active time intervals %v; only the director's should", r.Receiver, r.ActiveTimeIntervals)
				}
			}
		}
		if !slices.Equal(found, []string{"shop/checkout/never-now"}) {
			t.Fatalf("director route active_time_intervals = %v, want [shop/checkout/never-now]", found)
		}
		if len(cfg.TimeIntervals) != 1 || cfg.TimeIntervals[0].Name != "shop/checkout/never-now" ||
			len(cfg.TimeIntervals[0].TimeIntervals) != 1 || len(cfg.TimeIntervals[0].TimeIntervals[0].Weekdays) != 5 {
			t.Fatalf("time_intervals = %+v, want shop/checkout/never-now with five weekdays", cfg.TimeIntervals)
		}
	})
}
