package compliance_test

// What a real Prometheus and a real Alertmanager (pinned builds, on loopback) show running,
// read the way the liveness check reads it.

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

func TestRunningAgainstPrometheusAndAlertmanager(t *testing.T) {
	procs.Tool(t, "PROMETHEUS")
	procs.Tool(t, "ALERTMANAGER")
	loaded := resolved(t, liveStandard)
	missing := resolved(t, strings.ReplaceAll(liveStandard, "checkout", "cart"))
	rules, err := render.RulesFile([]*render.Standard{loaded})
	if err != nil {
		t.Fatal(err)
	}
	// The plain format as Alertmanager runs it: the webhook URLs show as <secret> in
	// config.original, which the reader must not trip over.
	amConfig, err := render.AlertmanagerFile([]*render.Standard{loaded}, render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	prom := procs.StartPrometheus(t, procs.PrometheusOptions{RuleFiles: map[string]string{"pledge.yml": string(rules)}})
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: string(amConfig)})

	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var running compliance.Running
	if running.Groups, err = q.LoadedRuleGroups(ctx, render.ClusterLabel{}); err != nil {
		t.Fatal(err)
	}
	if running.Receivers, err = compliance.NewAlertmanagerReader(am.URL()+"/", 5*time.Second).Receivers(ctx); err != nil {
		t.Fatal(err)
	}
	if !running.Receivers[render.DefaultReceiver] {
		t.Fatalf("receivers %v lack the plain format's default receiver", running.Receivers)
	}

	if status, reason, msg := running.RulesLoaded(compliance.WantLive(loaded), 0, time.Minute); status != metav1.ConditionTrue {
		t.Errorf("loaded standard: %s/%s: %s (groups %v, receivers %v)", status, reason, msg, running.Groups, running.Receivers)
	}
	status, _, msg := running.RulesLoaded(compliance.WantLive(missing), time.Minute, time.Minute)
	if status != metav1.ConditionFalse || !strings.Contains(msg, "no Prometheus loaded group pledge/shop/cart, pledge/shop/cart/5m, pledge/shop/cart/hourly") ||
		!strings.Contains(msg, "lacks receiver "+missing.ReceiverName("unrouted")) {
		t.Errorf("standard nothing runs: %s: %s", status, msg)
	}

	prom.Stop()
	if _, err := q.LoadedRuleGroups(ctx, render.ClusterLabel{}); err == nil || !strings.Contains(err.Error(), "GET /api/v1/rules") {
		t.Errorf("Prometheus down: error %v, want one naming the request", err)
	}
	am.Stop()
	if _, err := compliance.NewAlertmanagerReader(am.URL(), time.Second).Receivers(ctx); err == nil {
		t.Error("Alertmanager down: no error")
	}
}
