package render

import (
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// PeriodStart is the start of the calendar period (month or quarter) that contains t, in loc:
// midnight on the first day of the month or quarter.
func PeriodStart(t time.Time, period pledgev1.CalendarPeriod, loc *time.Location) time.Time {
	t = t.In(loc)
	m := t.Month()
	if period == pledgev1.CalendarQuarter {
		m = time.Month((int(m)-1)/3*3 + 1)
	}
	return time.Date(t.Year(), m, 1, 0, 0, 0, 0, loc)
}

// NextPeriodStart is the start of the period after the one that contains t. A calendar
// standard's burn-rate factors follow the real length of the current period, so its rules must
// be rendered again then (ResolveAt with a time in the new period).
func NextPeriodStart(t time.Time, period pledgev1.CalendarPeriod, loc *time.Location) time.Time {
	s := PeriodStart(t, period, loc)
	months := 1
	if period == pledgev1.CalendarQuarter {
		months = 3
	}
	return time.Date(s.Year(), s.Month()+time.Month(months), 1, 0, 0, 0, 0, loc)
}

// NextPeriodStartOf is NextPeriodStart for a standard's spec; ok is false for a rolling
// window (or an unknown time zone, which Resolve reports).
func NextPeriodStartOf(spec *pledgev1.ServiceStandardSpec, t time.Time) (time.Time, bool) {
	if spec.Calendar == nil {
		return time.Time{}, false
	}
	loc, err := time.LoadLocation(spec.Calendar.TimeZone)
	if err != nil {
		return time.Time{}, false
	}
	return NextPeriodStart(t, spec.Calendar.Period, loc), true
}

// periodLength is the real length of the period that contains t: 28 to 31 days for a month,
// 90 to 92 for a quarter, an hour more or less across a change of daylight saving time.
func periodLength(t time.Time, period pledgev1.CalendarPeriod, loc *time.Location) time.Duration {
	return NextPeriodStart(t, period, loc).Sub(PeriodStart(t, period, loc))
}
