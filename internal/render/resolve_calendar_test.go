package render_test

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// resolveAt decodes a standard written in YAML and resolves it for the period containing now.
func resolveAt(t *testing.T, doc string, now time.Time) *render.Standard {
	t.Helper()
	var std pledgev1.ServiceStandard
	if err := yaml.UnmarshalStrict([]byte(doc), &std); err != nil {
		t.Fatalf("decode: %v", err)
	}
	s, errs := render.ResolveAt(&std, nil, now)
	if len(errs) > 0 {
		t.Fatalf("resolve: %v", errs.ToAggregate())
	}
	return s
}

func calendarDoc(period, zone, target string) string {
	return `
metadata: {name: c, namespace: n}
spec:
  service: s
  calendar: {period: ` + period + `, timeZone: ` + zone + `}
  objectives:
    - name: o
      target: "` + target + `"
      ratio: {errors: 'x_total{code="500"}', total: x_total}
`
}

// TestCalendarFactorsFollowThePeriod: factors from the real length of the period containing
// now, in the standard's time zone; pairs that could never fire over a long period clamped to
// their 30-day factor; the warning kept when even that cannot fire.
func TestCalendarFactorsFollowThePeriod(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	cases := map[string]struct {
		doc      string
		now      time.Time
		window   time.Duration
		fast     float64 // page-fast
		slow     float64 // page-slow
		ticket   float64
		warnings int
	}{
		// 28 days: 2% × 672h ÷ 1h = 13.44; 5% × 672 ÷ 6 = 5.6; 10% × 672 ÷ 72 = 0.9333…
		"February": {calendarDoc("month", "UTC", "99.9"), time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), 672 * time.Hour, 13.44, 5.6, 0.9333333333333333, 0},
		// 31 days: 14.88, 6.2, 1.0333…
		"March": {calendarDoc("month", "UTC", "99.9"), time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC), 744 * time.Hour, 14.88, 6.2, 1.0333333333333334, 0},
		// October in Berlin has 745 hours (summer time ends on the 25th).
		"October in Berlin": {calendarDoc("month", "Europe/Berlin", "99.9"), time.Date(2026, 10, 31, 22, 30, 0, 0, time.UTC), 745 * time.Hour, 14.9, 6.208333333333333, 1.0347222222222223, 0},
		// 2026-10-31 23:30 UTC is already November in Berlin (CET, +1): 720 hours.
		"November in Berlin": {calendarDoc("month", "Europe/Berlin", "99.9"), time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC), 720 * time.Hour, 14.4, 6, 1, 0},
		// The first quarter of 2026: 90 days.
		"first quarter": {calendarDoc("quarter", "UTC", "99.9"), time.Date(2026, 2, 1, 0, 0, 0, 0, berlin), 2160 * time.Hour, 43.2, 18, 3, 0},
		// A 95% objective over the third quarter (92 days): page-fast (44.16 × 5% ≥ 1) is
		// clamped to 14.4; page-slow (18.4 × 5% = 0.92) can fire and keeps its factor.
		"quarterly 95%": {calendarDoc("quarter", "UTC", "95"), time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), 2208 * time.Hour, 14.4, 18.4, 3.066666666666667, 0},
		// A 90% objective: page-slow (18.4 × 10%) clamped to 6; page-fast clamped to 14.4 still
		// needs 144% errors: the warning stays.
		"quarterly 90%": {calendarDoc("quarter", "UTC", "90"), time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), 2208 * time.Hour, 14.4, 6, 3.066666666666667, 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := resolveAt(t, tc.doc, tc.now)
			if s.Window != tc.window {
				t.Errorf("window %v, want %v", s.Window, tc.window)
			}
			got := map[string]float64{}
			for _, w := range s.Windows {
				got[w.Name] = w.Factor
			}
			if got["page-fast"] != tc.fast || got["page-slow"] != tc.slow || got["ticket"] != tc.ticket {
				t.Errorf("factors %v, want page-fast %v, page-slow %v, ticket %v", got, tc.fast, tc.slow, tc.ticket)
			}
			if len(s.Warnings) != tc.warnings || (tc.warnings > 0 && !strings.Contains(s.Warnings[0], `"page-fast"`)) {
				t.Errorf("warnings %q, want %d about page-fast", s.Warnings, tc.warnings)
			}
		})
	}
	// Resolve (no time) keeps the nominal lengths: pledge render is reproducible.
	var std pledgev1.ServiceStandard
	if err := yaml.UnmarshalStrict([]byte(calendarDoc("quarter", "UTC", "99.9")), &std); err != nil {
		t.Fatal(err)
	}
	if s, _ := render.Resolve(&std, nil); s.Window != 90*24*time.Hour {
		t.Errorf("Resolve: window %v, want the nominal 90d", s.Window)
	}
}

func TestNextPeriodStart(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		now    time.Time
		period pledgev1.CalendarPeriod
		loc    *time.Location
		want   time.Time
	}{
		{time.Date(2026, 10, 31, 22, 59, 0, 0, time.UTC), pledgev1.CalendarMonth, berlin, time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)},
		{time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), pledgev1.CalendarMonth, berlin, time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), pledgev1.CalendarMonth, time.UTC, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC), pledgev1.CalendarQuarter, ny, time.Date(2026, 10, 1, 4, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), pledgev1.CalendarQuarter, ny, time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got := render.NextPeriodStart(c.now, c.period, c.loc); !got.Equal(c.want) {
			t.Errorf("NextPeriodStart(%v, %s, %s) = %v, want %v", c.now, c.period, c.loc, got.UTC(), c.want)
		}
	}
	spec := pledgev1.ServiceStandardSpec{Calendar: &pledgev1.CalendarWindow{Period: pledgev1.CalendarMonth, TimeZone: "Europe/Berlin"}}
	if got, ok := render.NextPeriodStartOf(&spec, cases[0].now); !ok || !got.Equal(cases[0].want) {
		t.Errorf("NextPeriodStartOf = %v, %v", got, ok)
	}
	if _, ok := render.NextPeriodStartOf(&pledgev1.ServiceStandardSpec{Window: "30d"}, cases[0].now); ok {
		t.Error("NextPeriodStartOf a rolling window must say there is none")
	}
}
