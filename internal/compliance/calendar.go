package compliance

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// PeriodStart is the start of the calendar period (month or quarter) that contains t, in loc.
func PeriodStart(t time.Time, period pledgev1.CalendarPeriod, loc *time.Location) time.Time {
	return render.PeriodStart(t, period, loc)
}

// ClosedPeriods returns the n most recent closed periods before the one containing now,
// newest first, as [start, end) pairs.
func ClosedPeriods(now time.Time, period pledgev1.CalendarPeriod, loc *time.Location, n int) [][2]time.Time {
	var out [][2]time.Time
	end := PeriodStart(now, period, loc)
	for range n {
		start := PeriodStart(end.Add(-time.Nanosecond), period, loc)
		out = append(out, [2]time.Time{start, end})
		end = start
	}
	return out
}

func metaTime(t time.Time) metav1.Time { return metav1.Time{Time: t.UTC()} }

// PeriodRange is the range of hourly totals, ending at a closed period's end, from which the
// period is measured (its hours after the first; see periodRange): what the status's periods
// and the dashboards' closed-period panels both read.
func PeriodRange(c [2]time.Time) time.Duration { return periodRange(c) }
