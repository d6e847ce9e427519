package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/pledge-dev/pledge/test/procs"
)

// TestTemplateGrafanaDashboards: grafanaDashboards turns into the manager's dashboard flags,
// none of them by default; the overview goes to overviewNamespace, else the dashboards'
// namespace, else the release's; the schema rejects a namespace that cannot be one.
func TestTemplateGrafanaDashboards(t *testing.T) {
	procs.Tool(t, "HELM")
	cases := map[string]struct {
		set  []string
		want []string
	}{
		"default": {want: nil},
		"enabled": {set: []string{"grafanaDashboards.enabled=true"}, want: []string{"--grafana-dashboards", "--grafana-dashboard-label=grafana_dashboard=1", "--grafana-overview-namespace=ns"}},
		"label namespace": {
			set:  []string{"grafanaDashboards.enabled=true", "grafanaDashboards.label.grafana_dashboard=null", "grafanaDashboards.label.dashboards=pledge", "grafanaDashboards.namespace=grafana"},
			want: []string{"--grafana-dashboards", "--grafana-dashboard-label=dashboards=pledge", "--grafana-dashboard-namespace=grafana", "--grafana-overview-namespace=grafana"},
		},
		"overview namespace": {
			set:  []string{"grafanaDashboards.enabled=true", "grafanaDashboards.namespace=grafana", "grafanaDashboards.overviewNamespace=monitoring"},
			want: []string{"--grafana-dashboards", "--grafana-dashboard-label=grafana_dashboard=1", "--grafana-dashboard-namespace=grafana", "--grafana-overview-namespace=monitoring"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var flags []string
			for _, s := range tc.set {
				flags = append(flags, "--set", s)
			}
			var got []string
			for _, a := range args(t, index(render(t, "rel", "ns", flags...))) {
				if strings.HasPrefix(a, "--grafana-") {
					got = append(got, a)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("dashboard flags %q, want %q", got, tc.want)
			}
		})
	}
	if out, err := runHelm(t, "template", "rel", chartDir, "--set", "grafanaDashboards.namespace=Grafana_NS"); err == nil {
		t.Fatalf("helm accepted grafanaDashboards.namespace=Grafana_NS:\n%.300s", out)
	} else if !strings.Contains(err.Error(), "/grafanaDashboards/namespace") {
		t.Fatalf("schema error lacks /grafanaDashboards/namespace: %v", err)
	}
}
