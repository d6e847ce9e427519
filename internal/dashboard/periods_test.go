package dashboard

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// calendarCheckout is the checkout standard measured over calendar months in Berlin.
func calendarCheckout(t *testing.T) *render.Standard {
	t.Helper()
	s := loadStandards(t, filepath.Join(standardsDir, "checkout.yaml"))[0]
	s.Window, s.Calendar = 0, &pledgev1.CalendarWindow{Period: pledgev1.CalendarMonth, TimeZone: "Europe/Berlin"}
	return s
}

// TestClosedPeriodPanels: a calendar standard's dashboard built at a moment holds one panel per
// closed period, newest first, each reading the period's hourly totals (its hours after the
// first) at the period's end, as the status's periods do; a rolling standard's has none.
func TestClosedPeriodPanels(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, berlin)
	d, err := StandardAt(calendarCheckout(t), now, 3)
	if err != nil {
		t.Fatal(err)
	}
	var periods []panelQuery
	for _, q := range queries(t, d) {
		if strings.Contains(q.expr, " @ ") {
			periods = append(periods, q)
		}
	}
	nov := [2]time.Time{time.Date(2026, 11, 1, 0, 0, 0, 0, berlin), time.Date(2026, 12, 1, 0, 0, 0, 0, berlin)}
	want := []string{"2026-11-01 to 2026-12-01 (Europe/Berlin)", "2026-10-01 to 2026-11-01 (Europe/Berlin)", "2026-09-01 to 2026-10-01 (Europe/Berlin)"}
	if len(periods) != len(want) {
		t.Fatalf("%d closed-period queries, want %d: %+v", len(periods), len(want), periods)
	}
	for i, q := range periods {
		if q.panel != want[i] {
			t.Errorf("panel %d is %q, want %q", i, q.panel, want[i])
		}
		if _, err := parser.NewParser(parser.Options{}).ParseExpr(q.expr); err != nil {
			t.Errorf("panel %q: %v\n%s", q.panel, err, q.expr)
		}
	}
	// November: 30 days less its first hour, read at 1 December 00:00 in Berlin.
	wantRange := fmt.Sprintf("[%ds] @ %d", int((30*24-1)*3600), nov[1].Unix())
	if !strings.Contains(periods[0].expr, wantRange) || !strings.Contains(periods[0].expr, render.SeriesErrorsHourly) {
		t.Errorf("November's query %q lacks %s over the hourly totals", periods[0].expr, wantRange)
	}

	rolling, err := StandardAt(loadStandards(t, filepath.Join(standardsDir, "checkout.yaml"))[0], now, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries(t, rolling) {
		if strings.Contains(q.expr, " @ ") {
			t.Errorf("a rolling window's dashboard has a closed-period panel %q", q.panel)
		}
	}
}
