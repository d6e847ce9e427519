package render_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/internal/render"
)

// routingStandard is a small standard with inline escalation, in the given namespace.
func routingStandard(namespace, name string) string {
	return fmt.Sprintf(`apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: %s, namespace: %s}
spec:
  service: %s
  window: 28d
  objectives:
    - name: availability
      target: "99.9"
      ratio: {errors: 'errors_total{job="x"}', total: 'requests_total{job="x"}'}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: "http://pager.example.com/%s/%s"}]}]
      - name: lead
        after: 30m
        receivers: [{name: lead, webhookConfigs: [{url: "http://lead.example.com/%s/%s"}]}]
`, name, namespace, name, namespace, name, namespace, name)
}

// resolveYAML loads and resolves standards from YAML documents.
func resolveYAML(t *testing.T, docs ...string) []*render.Standard {
	t.Helper()
	path := filepath.Join(t.TempDir(), "standards.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	set, problems := manifest.Load([]string{path}, nil)
	if len(problems) > 0 {
		t.Fatalf("load: %v", problems)
	}
	standards, problems := set.Resolve()
	if len(problems) > 0 {
		t.Fatalf("resolve: %v", problems)
	}
	return standards
}

// TestReceiverNamesCannotCollide renders a-b/c and a/b-c, whose receivers were both named
// a-b-c-on-call when '-' joined namespace, standard and tier.
func TestReceiverNamesCannotCollide(t *testing.T) {
	standards := resolveYAML(t, routingStandard("a-b", "c"), routingStandard("a", "b-c"))
	names := map[string]string{}
	for _, s := range standards {
		for _, r := range s.Routing().Receivers {
			if other, dup := names[r.Name]; dup {
				t.Errorf("receiver %s of %s/%s is also %s's", r.Name, s.Namespace, s.Name, other)
			}
			names[r.Name] = s.Namespace + "/" + s.Name
		}
	}
	if _, ok := names["a-b/c/on-call"]; !ok {
		t.Errorf("receivers %v: want a-b/c/on-call", names)
	}
	am, err := render.AlertmanagerFile(standards, render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	if amtool := os.Getenv("AMTOOL"); amtool != "" {
		path := filepath.Join(t.TempDir(), "alertmanager.yml")
		if err := os.WriteFile(path, am, 0o644); err != nil {
			t.Fatal(err)
		}
		for labels, want := range map[string]string{
			"namespace=a-b service_standard=c escalation_tier=2": "a-b/c/lead",
			"namespace=a service_standard=b-c escalation_tier=2": "a/b-c/lead",
		} {
			args := append([]string{"config", "routes", "test", "--config.file=" + path}, strings.Fields(labels)...)
			out, err := exec.Command(amtool, args...).CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != want {
				t.Errorf("amtool routes test %s = %q (%v), want %s", labels, got, err, want)
			}
		}
	}
}

// TestRenderingAStandardTwiceFails: the renderers refuse what would otherwise silently merge
// or drop one copy.
func TestRenderingAStandardTwiceFails(t *testing.T) {
	s := resolveYAML(t, routingStandard("shop", "checkout"))[0]
	if _, err := render.AlertmanagerFile([]*render.Standard{s, s}, render.SMTP{}); err == nil || !strings.Contains(err.Error(), "shop/checkout") {
		t.Errorf("AlertmanagerFile with shop/checkout twice: %v, want an error naming it", err)
	}
	if _, err := render.RulesFile([]*render.Standard{s, s}); err == nil || !strings.Contains(err.Error(), "shop/checkout") {
		t.Errorf("RulesFile with shop/checkout twice: %v, want an error naming it", err)
	}
}

// routeNode is a route as both formats can express it: receiver, matchers, continue, children.
type routeNode struct {
	Receiver string
	Matchers []string
	Continue bool
	Routes   []routeNode
}

func amcRouteNode(t *testing.T, r *monitoringv1alpha1.Route) routeNode {
	t.Helper()
	n := routeNode{Receiver: r.Receiver, Continue: r.Continue}
	for _, m := range r.Matchers {
		n.Matchers = append(n.Matchers, m.String())
	}
	children, err := r.ChildRoutes()
	if err != nil {
		t.Fatal(err)
	}
	for i := range children {
		n.Routes = append(n.Routes, amcRouteNode(t, &children[i]))
	}
	return n
}

type plainRoute struct {
	Receiver string       `json:"receiver"`
	Matchers []string     `json:"matchers"`
	Continue bool         `json:"continue"`
	Routes   []plainRoute `json:"routes"`
}

func plainRouteNode(r plainRoute) routeNode {
	n := routeNode{Receiver: r.Receiver, Matchers: r.Matchers, Continue: r.Continue}
	for _, c := range r.Routes {
		n.Routes = append(n.Routes, plainRouteNode(c))
	}
	return n
}

// TestAlertmanagerConfigMatchesItsNamespace: the AlertmanagerConfig's route tree is the plain
// format's subtree for the standard — which amtool shows keeps other namespaces out
// (test/e2e/routes_test.go) — namespace matcher included, so it routes right whatever the
// Alertmanager's alertmanagerConfigMatcherStrategy (with None, prometheus-operator adds no
// namespace matcher of its own). The inhibition matches the namespace too.
func TestAlertmanagerConfigMatchesItsNamespace(t *testing.T) {
	for _, file := range standardFiles(t) {
		for _, s := range loadStandards(t, file) {
			amc, err := s.AlertmanagerConfig()
			if err != nil {
				t.Fatal(err)
			}
			if amc == nil {
				continue
			}
			t.Run(s.Namespace+"/"+s.Name, func(t *testing.T) {
				top := amcRouteNode(t, amc.Spec.Route)
				ns := render.LabelNamespace + `="` + s.Namespace + `"`
				if !slices.Contains(top.Matchers, ns) || !slices.Contains(top.Matchers, render.LabelStandard+`="`+s.Name+`"`) {
					t.Errorf("top route matchers %v, want %s and the standard", top.Matchers, ns)
				}
				b, err := render.AlertmanagerFile([]*render.Standard{s}, render.SMTP{})
				if err != nil {
					t.Fatal(err)
				}
				var cfg struct {
					Route plainRoute `json:"route"`
				}
				if err := yaml.Unmarshal(b, &cfg); err != nil {
					t.Fatal(err)
				}
				if len(cfg.Route.Routes) != 1 {
					t.Fatalf("plain configuration has %d subtrees, want 1", len(cfg.Route.Routes))
				}
				plain := plainRouteNode(cfg.Route.Routes[0])
				if a, b := fmt.Sprintf("%+v", top), fmt.Sprintf("%+v", plain); a != b {
					t.Errorf("AlertmanagerConfig route tree\n  %s\ndiffers from the plain format's\n  %s", a, b)
				}
				for _, ir := range amc.Spec.InhibitRules {
					for _, ms := range [][]monitoringv1alpha1.Matcher{ir.SourceMatch, ir.TargetMatch} {
						if !slices.ContainsFunc(ms, func(m monitoringv1alpha1.Matcher) bool { return m.String() == ns }) {
							t.Errorf("inhibit rule matchers %v lack %s", ms, ns)
						}
					}
				}
			})
		}
	}
}

// TestPlainSecretPathsHoldTheNamespace: the same Secret name in two namespaces is two files.
func TestPlainSecretPathsHoldTheNamespace(t *testing.T) {
	withSecret := func(namespace string) string {
		return strings.Replace(routingStandard(namespace, "checkout"),
			`webhookConfigs: [{url: "http://lead.example.com/`+namespace+`/checkout"}]`,
			`webhookConfigs: [{urlSecret: {name: lead-hook, key: url}}]`, 1)
	}
	am, err := render.AlertmanagerFile(resolveYAML(t, withSecret("shop"), withSecret("web")), render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"url_file: " + render.SecretsDir + "/shop/lead-hook/url",
		"url_file: " + render.SecretsDir + "/web/lead-hook/url",
	} {
		if !strings.Contains(string(am), want) {
			t.Errorf("plain configuration lacks %q:\n%s", want, am)
		}
	}
}
