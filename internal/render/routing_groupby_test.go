package render_test

import (
	"context"
	"testing"
	"time"

	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// TestGroupByInhibitsPerValue loads the grouped standard's Alertmanager configuration into a
// real Alertmanager and sends it alerts as Prometheus would: a page and a ticket for /pay, a
// ticket for /cart. The page holds back /pay's ticket only: the inhibition's equal labels
// hold the route, so /cart's ticket stays active and is routed to the ticket receiver.
func TestGroupByInhibitsPerValue(t *testing.T) {
	procs.Tool(t, "ALERTMANAGER")
	cfg, err := render.AlertmanagerFile(loadStandards(t, groupedFile), render.SMTP{})
	if err != nil {
		t.Fatal(err)
	}
	am := procs.StartAlertmanager(t, procs.AlertmanagerOptions{Config: string(cfg)})
	alert := func(severity, route string) procs.PostableAlert {
		return procs.PostableAlert{Labels: map[string]string{
			"alertname": render.AlertBurnRate, "namespace": "shop", "service_standard": "api", "service": "api",
			"objective": "availability", "route": route, "severity": severity, "owner": "shop",
		}, StartsAt: time.Now().Add(-time.Minute)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := am.PostAlerts(ctx, alert("page", "/pay"), alert("ticket", "/pay"), alert("ticket", "/cart")); err != nil {
		t.Fatal(err)
	}
	am.WaitForAlerts(t, func(as []procs.Alert) bool {
		return len(as) == 1 && len(as[0].Status.InhibitedBy) > 0
	}, 20*time.Second, `severity="ticket"`, `route="/pay"`)
	cart := am.WaitForAlerts(t, func(as []procs.Alert) bool {
		return len(as) == 1 && as[0].Status.State == "active"
	}, 20*time.Second, `severity="ticket"`, `route="/cart"`)
	if len(cart[0].Status.InhibitedBy) > 0 || len(cart[0].Receivers) != 1 || cart[0].Receivers[0].Name != "shop/api/on-call" {
		t.Errorf("/cart's ticket: inhibited by %v, receivers %v; want active, to the first tier (no tickets receiver)", cart[0].Status.InhibitedBy, cart[0].Receivers)
	}
}
