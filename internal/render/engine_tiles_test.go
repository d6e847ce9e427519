package render_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// untiledTicket is the ticket pair's condition summed from the 5m rates at every evaluation,
// as the ticket was generated before it was tiled: the reference the tiled ticket must follow.
func untiledTicket(t *testing.T, s *render.Standard) string {
	t.Helper()
	for _, w := range s.Windows {
		if w.Severity != pledgev1.SeverityTicket {
			continue
		}
		if !w.Tiled() {
			t.Fatalf("the default ticket pair %s is not tiled", w.Name)
		}
		sel := fmt.Sprintf(`{namespace=%q,service_standard=%q,objective=%q}`, s.Namespace, s.Name, s.Objectives[0].Name)
		budget := strconv.FormatFloat(s.Objectives[0].Budget, 'g', -1, 64)
		factor := strconv.FormatFloat(w.Factor*(1+1e-9), 'g', 12, 64)
		return fmt.Sprintf("(%s) / %s > %s and (%s) / %s > %s",
			render.ErrorRatioExpr(sel, w.Long), budget, factor, render.ErrorRatioExpr(sel, w.Short), budget, factor)
	}
	t.Fatal("no ticket pair")
	return ""
}

// TestTiledTicketLagsAtMostOneTile: the ticket pair, evaluated every 5m from the 5m tiles,
// starts and stops firing at most one tile (5m) and one evaluation after the same pair summed
// from the 5m rates at every evaluation would, and never before it, at a 30s and a 1m
// evaluation interval: a clean start, a burn at 3× that crosses the 3d window's threshold,
// and recovery.
func TestTiledTicketLagsAtMostOneTile(t *testing.T) {
	std := resolve(t, ratioStandard)
	ref := untiledTicket(t, std)
	for _, step := range []time.Duration{30 * time.Second, time.Minute} {
		t.Run(step.String(), func(t *testing.T) {
			t.Parallel()
			// 6h clean, 3× burn for 6h (the 3d ratio, over the data there is, passes 1× after
			// 3h of it), then clean: the 6h short window clears 6h later at the latest.
			warm, burn := 6*time.Hour, 6*time.Hour
			tl := simulate(t, []*render.Standard{std}, ratioTraffic(stepFn(0, 0.003, warm, warm+burn)), warm+burn+8*time.Hour, step)
			var refFirst, refLast time.Duration = -1, -1
			for at := time.Duration(0); at <= warm+burn+8*time.Hour; at += step {
				if len(tl.query(ref, at)) > 0 {
					if refFirst < 0 {
						refFirst = at
					}
					refLast = at
				}
			}
			if refFirst < warm+2*time.Hour || refFirst > warm+4*time.Hour {
				t.Fatalf("reference ticket condition first true at %v, want about 3h into the burn (%v)", refFirst, warm+3*time.Hour)
			}
			k := key("availability", ticket)
			first, last := tl.first(k), tl.lastFiring(k)
			if first < refFirst || first > refFirst+render.TileInterval+step {
				t.Errorf("tiled ticket first fired at %v, want within one tile and one evaluation after the reference's %v", first, refFirst)
			}
			if last < refLast || last > refLast+render.TileInterval+step {
				t.Errorf("tiled ticket last fired at %v, want within one tile and one evaluation after the reference's %v", last, refLast)
			}
			never(t, tl, key("availability", pageFast), key("availability", pageSlow))
			t.Logf("reference %v..%v, tiled %v..%v", refFirst, refLast, first, last)
		})
	}
}
