package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pledge-dev/pledge/internal/render"
)

// clusterLabel is the --cluster-label name of the two-cluster tests.
const clusterLabel = "cluster"

// clusterStandard is the same standard (namespace, name, objective) in cluster c, whose
// indicator reads that cluster's raw series: a ruler evaluating both clusters' rules over one
// store sees the raw series with the cluster's external label.
func clusterStandard(t *testing.T, c string) *render.Standard {
	t.Helper()
	s := resolve(t, `
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  window: 30d
  objectives:
    - name: availability
      target: "99.9"
      ratio:
        errors: http_requests_total{job="checkout",code="500",cluster="`+c+`"}
        total: http_requests_total{job="checkout",cluster="`+c+`"}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: "http://pager.test/"}]}]
`)
	cl, err := render.ParseClusterLabel(clusterLabel + "=" + c)
	if err != nil {
		t.Fatal(err)
	}
	s.Cluster = cl
	return s
}

// clusterTraffic is ratioTraffic of cluster c.
func clusterTraffic(c string, errShare func(time.Duration) float64) []series {
	out := ratioTraffic(errShare)
	for i := range out {
		out[i].labels = labels.NewBuilder(out[i].labels).Set(clusterLabel, c).Labels()
	}
	return out
}

// Two clusters' rules over one store (a Thanos or Mimir ruler): cluster a burns its whole
// budget, cluster b serves without errors. Only a's pages, tier and budget-left ticket fire;
// b's rules, same namespace, name and objective, read only b's series and b's alerts.
func TestClustersSharingOneStoreDoNotTouchEachOther(t *testing.T) {
	t.Parallel()
	a, b := clusterStandard(t, "a"), clusterStandard(t, "b")
	warm := time.Hour
	in := append(clusterTraffic("a", stepFn(0, 1, warm, 0)), clusterTraffic("b", constant(0))...)
	tl := simulate(t, []*render.Standard{a, b}, in, warm+2*time.Hour+5*time.Minute, time.Minute)
	within(t, "a page-fast", tl.first("a "+key("availability", pageFast)), warm, warm+5*time.Minute)
	within(t, "a tier 1", tl.first("a availability tier1"), warm, warm+5*time.Minute)
	within(t, "a budget left <= 0", tl.first("a "+budgetKey("availability", "0")), warm+time.Hour, warm+time.Hour)
	for _, k := range tl.keys() {
		if !strings.HasPrefix(k, "a ") {
			t.Errorf("%s fired; only cluster a burns (fired: %v)", k, tl.keys())
		}
	}
	// Each cluster records its own numbers under the same standard's labels.
	for c, want := range map[string]float64{"a": 10, "b": 0} {
		v := tl.query(`pledge:objective_errors:rate5m{namespace="shop",service_standard="checkout",cluster="`+c+`"}`, warm+2*time.Hour)
		if len(v) != 1 || v[0].F != want {
			t.Errorf("cluster %s: recorded error rate %v, want one series of %v", c, v, want)
		}
	}
}

func TestParseClusterLabel(t *testing.T) {
	t.Parallel()
	if c, err := render.ParseClusterLabel("cluster=eu-1"); err != nil || c != (render.ClusterLabel{Name: "cluster", Value: "eu-1"}) {
		t.Errorf("cluster=eu-1: %+v, %v", c, err)
	}
	for in, want := range map[string]string{
		"cluster":               "want name=value",
		"1cluster=a":            "not a Prometheus label name",
		"__cluster=a":           "not a Prometheus label name",
		"clu-ster=a":            "not a Prometheus label name",
		"namespace=a":           "sets itself",
		"service_standard=a":    "sets itself",
		"alertstate=a":          "sets itself",
		"cluster=":              "must not be empty",
		"cluster={{ $value }}x": "must not contain",
	} {
		if _, err := render.ParseClusterLabel(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", in, err, want)
		}
	}
}
