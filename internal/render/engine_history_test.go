package render_test

import (
	"math"
	"testing"
	"time"

	"github.com/pledge-dev/pledge/internal/render"
)

// TestRawHourlyTotalIsTheRecordedTotal: compliance measures the hours before an objective's
// recorded hourly totals begin with render.RawHourlyTotal over the objective's raw rate
// expressions. Evaluated at the instants of the hourly totals, in Prometheus's own engine over
// traffic whose error share changes every 20 minutes, it equals the recorded totals: the two
// sources tile without a gap or an overlap.
func TestRawHourlyTotalIsTheRecordedTotal(t *testing.T) {
	std := resolve(t, ratioStandard)
	o := std.Objectives[0]
	share := func(at time.Duration) float64 { return []float64{0, 0.01, 0.3, 0.002}[int(at/(20*time.Minute))%4] }
	tl := simulate(t, []*render.Standard{std}, ratioTraffic(share), 5*time.Hour, time.Minute)
	for h := 2 * time.Hour; h <= 5*time.Hour; h += time.Hour {
		for _, c := range []struct{ recorded, raw string }{
			{render.SeriesErrorsHourly, o.ErrorsExpr},
			{render.SeriesEventsHourly, o.EventsExpr},
		} {
			rec, raw := tl.query(c.recorded, h), tl.query(render.RawHourlyTotal(c.raw), h)
			if len(rec) != 1 || len(raw) != 1 {
				t.Fatalf("%s at %v: recorded %v, raw %v", c.recorded, h, rec, raw)
			}
			if rec[0].F <= 0 || math.Abs(rec[0].F-raw[0].F) > 1e-9*rec[0].F {
				t.Errorf("%s at %v: recorded %v, from the raw series %v", c.recorded, h, rec[0].F, raw[0].F)
			}
		}
	}
}
