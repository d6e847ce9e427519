package compliance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// clusterHistory is openMetrics of the standard shop/shared in each cluster, every series
// labelled cluster=<name>, with the page of the clusters in firing burning now (ALERTS for the
// last ten minutes), merged family by family as OpenMetrics requires.
func clusterHistory(shares map[string]float64, firing ...string) string {
	families := map[string][]string{}
	var order []string
	add := func(text string) {
		var family string
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
				family = strings.Fields(name)[0]
				if _, seen := families[family]; !seen {
					order = append(order, family)
					families[family] = []string{line}
				}
				continue
			}
			families[family] = append(families[family], line)
		}
	}
	thirtyDays := evalAt.Add(-30 * 24 * time.Hour)
	for _, c := range []string{"a", "b"} {
		text := openMetrics([]objectiveHistory{{"shared", "availability", thirtyDays, share(shares[c])}})
		add(strings.ReplaceAll(text, `{namespace="shop"`, fmt.Sprintf(`{cluster=%q,namespace="shop"`, c)))
	}
	var alerts strings.Builder
	alerts.WriteString("# TYPE ALERTS gauge\n")
	for _, c := range firing {
		for t := evalAt.Add(-10 * time.Minute); !t.After(evalAt); t = t.Add(time.Minute) {
			fmt.Fprintf(&alerts, `ALERTS{alertname=%q,alertstate="firing",cluster=%q,namespace="shop",service_standard="shared",service="checkout",objective="availability",severity="page",long_window="1h",short_window="5m"} 1 %d`+"\n",
				render.AlertBurnRate, c, t.Unix())
		}
	}
	add(alerts.String())
	var b strings.Builder
	for _, f := range order {
		b.WriteString(strings.Join(families[f], "\n") + "\n")
	}
	return b.String()
}

// Two clusters' series of the same standard in one store (as in Thanos or Mimir): cluster a
// at 0.02% errors, quiet; cluster b at 0.2%, paging. Each cluster's poll (its --cluster-label)
// sees only its own attainment, budget and firing state, at the query count of one cluster.
func TestClustersSharingOnePrometheus(t *testing.T) {
	dir := t.TempDir()
	procs.BackfillOpenMetrics(t, "", dir, clusterHistory(map[string]float64{"a": 0.0002, "b": 0.002}, "b"))
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	std := []compliance.Standard{{Namespace: "shop", Name: "shared", Window: 30 * 24 * time.Hour,
		AlertWindows: []time.Duration{5 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour},
		Objectives:   []compliance.Objective{{Name: "availability", Target: "99.9", Budget: 0.001, Weight: 1}}}}
	want := map[string]struct {
		state              pledgev1.ObjectiveState
		attainment, budget string
	}{
		// 0.02% against a 0.1% budget: 80% left, and no page of a's is firing.
		"a": {pledgev1.StateMet, "99.980", "80.0"},
		// 0.2%: twice the budget spent.
		"b": {pledgev1.StateBreached, "99.800", "-100.0"},
	}
	counting := &compliance.CountingQuerier{Querier: q}
	if _, err := compliance.Evaluate(context.Background(), counting, evalAt, std, compliance.Options{AtRiskBudget: 25}); err != nil {
		t.Fatal(err)
	}
	oneCluster := counting.N
	for c, w := range want {
		counting.N = 0
		res, err := compliance.Evaluate(context.Background(), counting, evalAt, std,
			compliance.Options{AtRiskBudget: 25, Cluster: render.ClusterLabel{Name: "cluster", Value: c}})
		if err != nil {
			t.Fatal(err)
		}
		o := res["shop/shared"].Objectives[0]
		if o.State != w.state || o.Attainment != w.attainment || o.ErrorBudgetRemaining != w.budget || o.WindowCoverage != "100.0" {
			t.Errorf("cluster %s: state %s attainment %q budget %q coverage %q (%s); want %+v", c, o.State, o.Attainment, o.ErrorBudgetRemaining, o.WindowCoverage, o.Message, w)
		}
		if counting.N != oneCluster {
			t.Errorf("cluster %s: %d queries, want %d as without a cluster label", c, counting.N, oneCluster)
		}
	}
}

// The rule groups of two clusters have the same names: a cluster's liveness check counts only
// the groups whose rules carry its label, as a rules API listing both clusters shows them.
func TestLoadedRuleGroupsOfOneCluster(t *testing.T) {
	a := resolved(t, liveStandard)
	a.Cluster = render.ClusterLabel{Name: "cluster", Value: "a"}
	rules, err := render.RulesFile([]*render.Standard{a})
	if err != nil {
		t.Fatal(err)
	}
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{RuleFiles: map[string]string{"pledge.yml": string(rules)}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for cluster, want := range map[render.ClusterLabel]bool{{}: true, a.Cluster: true, {Name: "cluster", Value: "b"}: false} {
		groups, err := q.LoadedRuleGroups(context.Background(), cluster)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range compliance.WantLive(a).Groups {
			if groups[g] != want {
				t.Errorf("cluster %+v: group %s loaded = %v, want %v", cluster, g, groups[g], want)
			}
		}
	}
}
