package board_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pledge-dev/pledge/internal/board"
)

func TestLineChartGapsAndScale(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	// Hours 0-2 joined, hour 5 alone between gaps, hours 8-9 joined; one value overspent.
	line := board.Line{Name: "availability", Points: []board.Point{
		{T: at(9), V: -40}, {T: at(0), V: 100}, {T: at(1), V: 90}, {T: at(2), V: 80}, {T: at(5), V: 50}, {T: at(8), V: 10},
	}}
	c := board.LineChart([]board.Line{line, {Name: "no data"}}, start, at(10), time.Hour)
	if c == nil {
		t.Fatal("no chart")
	}
	l := c.Lines[0]
	if len(l.Polylines) != 2 || len(strings.Fields(l.Polylines[0])) != 3 || len(strings.Fields(l.Polylines[1])) != 2 {
		t.Errorf("polylines %q, want runs of 3 and 2 points", l.Polylines)
	}
	if len(l.Dots) != 1 {
		t.Errorf("dots %v, want the lone sample at hour 5", l.Dots)
	}
	if l.Last != "-40.0%" {
		t.Errorf("last %q, want the latest sample, -40.0%%", l.Last)
	}
	// The y axis stretches below 0 to a whole tick: -50% at the bottom of the plot.
	if first, last := c.YTicks[0], c.YTicks[len(c.YTicks)-1]; first.Label != "-50%" || last.Label != "100%" ||
		math.Abs(first.Pos-(c.Height-c.Bottom)) > 0.01 || math.Abs(last.Pos-c.Top) > 0.01 {
		t.Errorf("y ticks %v, want -50%% at the bottom and 100%% at the top", c.YTicks)
	}
	if len(c.Lines[1].Polylines)+len(c.Lines[1].Dots) != 0 {
		t.Error("a line without samples is drawn")
	}
	if board.LineChart([]board.Line{{Name: "a"}}, start, at(10), time.Hour) != nil {
		t.Error("a chart without any sample, want nil (the page says no data)")
	}
}

func TestBurnBar(t *testing.T) {
	for name, tc := range map[string]struct {
		long, short, threshold float64
		firing                 bool
	}{
		"both above":         {20, 30, 14.4, true},
		"long only":          {20, 3, 14.4, false},
		"short not measured": {20, math.NaN(), 14.4, false},
		"at the threshold":   {6, 6, 6, false},
	} {
		t.Run(name, func(t *testing.T) {
			b := board.NewBurnBar(tc.long, tc.short, tc.threshold)
			if b.Firing != tc.firing {
				t.Errorf("firing %v, want %v", b.Firing, tc.firing)
			}
			if b.ThresholdX <= 0 || b.ThresholdX >= b.Width || b.LongW > b.Width || b.ShortW > b.Width {
				t.Errorf("bar out of scale: %+v", b)
			}
		})
	}
}
