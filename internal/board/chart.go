package board

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Point is one sample of a chart line.
type Point struct {
	T time.Time
	V float64
}

// Line is one named series of a chart.
type Line struct {
	Name   string
	Points []Point
}

// Chart is a line chart laid out for an SVG viewBox; the template only draws it.
type Chart struct {
	Width, Height            float64
	Left, Right, Top, Bottom float64
	Lines                    []ChartLine
	YTicks, XTicks           []Tick
	// ZeroY is the y of the value 0 (the line below which the budget is overspent).
	ZeroY float64
}

// ChartLine is a line's polylines (points "x,y x,y …"; one per run of samples without a gap)
// and, for a sample alone between gaps, its dot.
type ChartLine struct {
	Name, Color string
	Polylines   []string
	// Dots holds the samples that have no neighbour to join (a gap on both sides).
	Dots []Dot
	// Last is the last value, formatted.
	Last string
}

// Dot is a lone sample.
type Dot struct{ X, Y float64 }

// Tick is an axis label at a position; Anchor is its SVG text-anchor on the x axis (the
// first and last labels do not overhang the plot).
type Tick struct {
	Pos           float64
	Label, Anchor string
}

// palette colours the lines of a chart, in order (readable on white, distinct in print).
var palette = []string{"#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0550ae", "#57606a"}

// LineChart lays out lines sampled every step from start to end. Values are percent of error
// budget left: the y axis spans 0 to 100 and stretches below 0 for overspent budgets. A gap
// of more than one step between samples breaks a line. It returns nil when no line has a
// sample: the page then says "no data" instead of drawing an empty chart.
func LineChart(lines []Line, start, end time.Time, step time.Duration) *Chart {
	c := &Chart{Width: 960, Height: 260, Left: 52, Right: 12, Top: 12, Bottom: 28}
	lo, hi := 0.0, 100.0
	any := false
	for _, l := range lines {
		for _, p := range l.Points {
			any = true
			lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
		}
	}
	if !any || !end.After(start) {
		return nil
	}
	stepY := niceStep((hi - lo) / 4)
	lo, hi = math.Floor(lo/stepY)*stepY, math.Ceil(hi/stepY)*stepY
	plotW, plotH := c.Width-c.Left-c.Right, c.Height-c.Top-c.Bottom
	x := func(t time.Time) float64 {
		return c.Left + plotW*float64(t.Sub(start))/float64(end.Sub(start))
	}
	y := func(v float64) float64 { return c.Top + plotH*(hi-v)/(hi-lo) }
	c.ZeroY = round2(y(0))
	for v := lo; v <= hi+stepY/2; v += stepY {
		c.YTicks = append(c.YTicks, Tick{Pos: round2(y(v)), Label: strconv.FormatFloat(v, 'f', -1, 64) + "%"})
	}
	for i := 0; i <= 4; i++ {
		t := start.Add(time.Duration(i) * end.Sub(start) / 4)
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		c.XTicks = append(c.XTicks, Tick{Pos: round2(x(t)), Label: t.UTC().Format("Jan 2 15:04"), Anchor: anchor})
	}
	for i, l := range lines {
		pts := slices.Clone(l.Points)
		slices.SortFunc(pts, func(a, b Point) int { return a.T.Compare(b.T) })
		cl := ChartLine{Name: l.Name, Color: palette[i%len(palette)]}
		var segs [][]Point
		for j, p := range pts {
			if j == 0 || p.T.Sub(pts[j-1].T) > step+step/2 {
				segs = append(segs, nil)
			}
			segs[len(segs)-1] = append(segs[len(segs)-1], p)
		}
		for _, seg := range segs {
			if len(seg) == 1 {
				cl.Dots = append(cl.Dots, Dot{X: round2(x(seg[0].T)), Y: round2(y(seg[0].V))})
				continue
			}
			var b strings.Builder
			for k, p := range seg {
				if k > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strconv.FormatFloat(round2(x(p.T)), 'f', -1, 64))
				b.WriteByte(',')
				b.WriteString(strconv.FormatFloat(round2(y(p.V)), 'f', -1, 64))
			}
			cl.Polylines = append(cl.Polylines, b.String())
		}
		if len(pts) > 0 {
			cl.Last = strconv.FormatFloat(pts[len(pts)-1].V, 'f', 1, 64) + "%"
		}
		c.Lines = append(c.Lines, cl)
	}
	return c
}

// niceStep rounds a raw tick step up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 25
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// BurnBar draws one alert pair: the burn rates over its long and short windows as bars, and
// the pair's threshold as a line across both. The pair fires while both bars cross the line.
type BurnBar struct {
	Width                 float64
	LongW, ShortW         float64
	ThresholdX            float64
	Long, Short           string
	LongKnown, ShortKnown bool
	Firing                bool
}

// NewBurnBar scales a pair's burn rates (NaN when not measured) against its threshold.
func NewBurnBar(long, short, threshold float64) BurnBar {
	b := BurnBar{Width: 240, LongKnown: !math.IsNaN(long), ShortKnown: !math.IsNaN(short)}
	top := 1.5 * threshold
	for _, v := range []float64{long, short} {
		if !math.IsNaN(v) && v*1.1 > top {
			top = v * 1.1
		}
	}
	scale := func(v float64) float64 {
		if math.IsNaN(v) || top <= 0 {
			return 0
		}
		return round2(b.Width * math.Max(0, v) / top)
	}
	b.LongW, b.ShortW, b.ThresholdX = scale(long), scale(short), scale(threshold)
	b.Long, b.Short = formatRate(long), formatRate(short)
	b.Firing = b.LongKnown && b.ShortKnown && long > threshold && short > threshold
	return b
}

func formatRate(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "×"
}
