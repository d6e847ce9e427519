package dashboard

//lint:file-ignore SA1019 dashboard.Dashboard is the classic JSON model, which Grafana's file provisioning (the sidecar) reads on every version, before 12 too; dashboardv2 is Grafana 12's new schema.

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/internal/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current builders")

// standardsDir holds the renderer's testdata standards, which the dashboards are built from.
const standardsDir = "../render/testdata/standards"

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

// testDashboards are the dashboards of every testdata standard (and of checkout with a cluster
// label), and the overview of all of them, by golden file name.
func testDashboards(t *testing.T) map[string]dashboard.Dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(standardsDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata standards: %v", err)
	}
	out := map[string]dashboard.Dashboard{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		for _, s := range loadStandards(t, f) {
			d, err := Standard(s)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name+"."+s.Name] = d
		}
	}
	clustered := loadStandards(t, filepath.Join(standardsDir, "checkout.yaml"))[0]
	clustered.Cluster = render.ClusterLabel{Name: "cluster", Value: "eu-1"}
	d, err := Standard(clustered)
	if err != nil {
		t.Fatal(err)
	}
	out["checkout.checkout.cluster"] = d
	overview, err := Overview("", DefaultAtRiskBudget)
	if err != nil {
		t.Fatal(err)
	}
	out["overview"] = overview
	overview, err = Overview(clustered.Cluster.Name, DefaultAtRiskBudget)
	if err != nil {
		t.Fatal(err)
	}
	out["overview.cluster"] = overview
	return out
}

// TestGolden compares every dashboard's JSON with testdata/<name>.golden (refresh with
// go test ./internal/dashboard -run TestGolden -update, and review the diff).
func TestGolden(t *testing.T) {
	for name, d := range testDashboards(t) {
		t.Run(name, func(t *testing.T) {
			got, err := JSON(d)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/dashboard -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the builder's output; if intended, rerun with -update", golden)
			}
		})
	}
}

// panelQuery is one Prometheus query of a panel.
type panelQuery struct {
	panel   string
	expr    string
	instant bool
	legend  string
}

// queries lists every panel's Prometheus queries, in rows and outside them.
func queries(t *testing.T, d dashboard.Dashboard) []panelQuery {
	t.Helper()
	var out []panelQuery
	add := func(p *dashboard.Panel) {
		for _, target := range p.Targets {
			q, ok := target.(prometheus.Dataquery)
			if !ok {
				t.Fatalf("panel %q: target %T is not a Prometheus query", *p.Title, target)
			}
			pq := panelQuery{panel: *p.Title, expr: q.Expr, instant: q.Instant != nil && *q.Instant}
			if q.LegendFormat != nil {
				pq.legend = *q.LegendFormat
			}
			out = append(out, pq)
		}
	}
	for _, p := range d.Panels {
		if p.Panel != nil {
			add(p.Panel)
		}
		if p.RowPanel != nil {
			for i := range p.RowPanel.Panels {
				add(&p.RowPanel.Panels[i])
			}
		}
	}
	return out
}

// grafanaRange substitutes $__range as Grafana does for a one-hour time range.
func grafanaRange(expr, rng string) string { return strings.ReplaceAll(expr, RangeVariable, rng) }

// TestQueriesParse parses every panel query with Prometheus's own parser.
func TestQueriesParse(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for name, d := range testDashboards(t) {
		qs := queries(t, d)
		if len(qs) == 0 {
			t.Fatalf("%s: no queries", name)
		}
		for _, q := range qs {
			if _, err := p.ParseExpr(grafanaRange(q.expr, "3600s")); err != nil {
				t.Errorf("%s, panel %q: %v\n%s", name, q.panel, err, q.expr)
			}
		}
	}
}

// TestRoundTrip unmarshals every dashboard into the SDK's type and marshals it again.
func TestRoundTrip(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	for name, d := range testDashboards(t) {
		first, err := JSON(d)
		if err != nil {
			t.Fatal(err)
		}
		var back dashboard.Dashboard
		if err := json.Unmarshal(first, &back); err != nil {
			t.Fatalf("%s: unmarshal: %v", name, err)
		}
		second, err := JSON(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: JSON changed through the SDK's dashboard type", name)
		}
	}
}

func TestUID(t *testing.T) {
	a := &render.Standard{Namespace: "shop", Name: "checkout"}
	b := &render.Standard{Namespace: "shop-checkout", Name: ""}
	c := &render.Standard{Namespace: "shop", Name: "checkout", Cluster: render.ClusterLabel{Name: "cluster", Value: "eu-1"}}
	if UID(a) != UID(&render.Standard{Namespace: "shop", Name: "checkout"}) {
		t.Error("UID is not stable")
	}
	seen := map[string]bool{}
	for _, s := range []*render.Standard{a, b, c} {
		u := UID(s)
		if len(u) > 40 || seen[u] {
			t.Errorf("UID %q: too long or repeated", u)
		}
		seen[u] = true
	}
}
