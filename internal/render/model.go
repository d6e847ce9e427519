package render

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// Names of the generated series and alerts. They are part of Pledge's public contract.
const (
	// SeriesErrors is the recorded rate of bad events per second over 5m.
	SeriesErrors = "pledge:objective_errors:rate5m"
	// SeriesEvents is the recorded rate of all events per second over 5m.
	SeriesEvents = "pledge:objective_events:rate5m"
	// SeriesErrorsHourly is the number of bad events in the last hour, recorded hourly.
	SeriesErrorsHourly = "pledge:objective_errors:increase1h"
	// SeriesEventsHourly is the number of all events in the last hour, recorded hourly.
	SeriesEventsHourly = "pledge:objective_events:increase1h"
	// SeriesBudget is an objective's allowed share of bad events (1 - target/100), recorded
	// hourly, so that dashboards and queries over many standards need no per-objective constant.
	SeriesBudget = "pledge:objective_budget:ratio"
	// SeriesWeight is an objective's weight in its standard's score (see ScoreWeights),
	// recorded hourly.
	SeriesWeight = "pledge:objective_weight:score"
	// AlertBurnRate is the multi-window burn-rate alert (one rule per window pair).
	AlertBurnRate = "PledgeErrorBudgetBurn"
	// AlertEscalation is the escalation-tier alert (one rule per tier).
	AlertEscalation = "PledgeEscalation"
	// AlertNoData is the ticket raised while an objective's series is absent.
	AlertNoData = "PledgeObjectiveNoData"
	// AlertBudgetLow is the ticket raised while an objective's budget left over the window is
	// at or below a threshold (one rule per threshold).
	AlertBudgetLow = "PledgeErrorBudgetLow"

	LabelStandard  = "service_standard"
	LabelNamespace = "namespace"
	LabelService   = "service"
	LabelObjective = "objective"
	LabelSeverity  = "severity"
	LabelLong      = "long_window"
	LabelShort     = "short_window"
	LabelTier      = "escalation_tier"
	LabelTierName  = "escalation_tier_name"
	// LabelBudgetLeft is the threshold (percent of budget left) of a PledgeErrorBudgetLow rule.
	LabelBudgetLeft = "budget_left_threshold"

	// baseWindow is the range of the recorded rates; every other window is built from them.
	baseWindow = 5 * time.Minute
	// fallbackWindow is the range the recorded rates fall back to when the 5m range holds fewer
	// than two samples of a series (series sampled every 2.5m to 5m). Four samples of a series
	// sampled every 5m fit in it, as Prometheus advises for rate().
	fallbackWindow = 20 * time.Minute
	// maxSampleInterval is the longest sampleInterval a standard may declare.
	maxSampleInterval = 15 * time.Minute
	// DefaultKeepFiringFor is how long pages and tiers keep firing after the page condition clears.
	DefaultKeepFiringFor = 10 * time.Minute
	// DefaultNoDataAfter is how long an objective's series must be absent before PledgeObjectiveNoData fires.
	DefaultNoDataAfter = 10 * time.Minute
	// DefaultWindow is the rolling window when a standard sets neither window nor calendar.
	DefaultWindow = 30 * 24 * time.Hour
)

// DefaultWindows are the burn-rate window pairs of the Google SRE workbook (for a 30d window:
// page at 14.4× over 1h/5m and 6× over 6h/30m, ticket at 1× over 3d/6h). They are expressed as
// the share of the whole budget spent within the long window, so the factors follow the
// standard's real window length.
var DefaultWindows = []pledgev1.BurnRateWindow{
	{Name: "page-fast", Severity: pledgev1.SeverityPage, Long: "1h", Short: "5m", BudgetPercent: "2"},
	{Name: "page-slow", Severity: pledgev1.SeverityPage, Long: "6h", Short: "30m", BudgetPercent: "5"},
	{Name: "ticket", Severity: pledgev1.SeverityTicket, Long: "3d", Short: "6h", BudgetPercent: "10"},
}

// Objective is one expanded objective (graded objectives become one per class), with its
// indicator reduced to the two PromQL expressions that are recorded.
type Objective struct {
	Name        string
	Description string
	// Target is the promised percentage as written, e.g. "99.9".
	Target string
	// Budget is the allowed share of bad events, 1 - target/100, e.g. 0.001.
	Budget float64
	// Weight is the objective's weight as written; the Classes classes of a graded objective
	// share it (Classes is 1 for any other objective), each counting Weight/Classes in the
	// score, so a graded objective counts once.
	Weight  int32
	Classes int
	// ErrorsExpr and EventsExpr yield the bad-event and all-event rates per second over 5m
	// (over the fallback range where 5m holds too few samples).
	ErrorsExpr string
	EventsExpr string
	// SampleInterval is the declared sample interval, zero when none is declared (5m or less).
	SampleInterval time.Duration
	// Presence selects the raw series whose absence means the objective is not measured at
	// all (a typo in a selector, a renamed metric, a wrong le bound): the total counter, the
	// threshold bucket, or the 0/1 gauge. PledgeObjectiveNoData fires while it is absent.
	Presence string
	// GroupBy are the labels whose values each get a standing of their own (spec groupBy):
	// the recorded rates keep them, and so every series and alert built from the rates.
	GroupBy []string
}

// Window is one resolved burn-rate window pair.
type Window struct {
	Name     string
	Severity pledgev1.Severity
	Long     time.Duration
	Short    time.Duration
	// Factor is the burn rate above which the pair fires: budget share × window ÷ long.
	Factor float64
}

// Tier is one resolved escalation tier.
type Tier struct {
	Index int
	pledgev1.EscalationTier
	After time.Duration
}

// Standard is a validated, fully resolved standard, ready to render.
type Standard struct {
	Name, Namespace, Service string
	Window                   time.Duration
	Calendar                 *pledgev1.CalendarWindow
	Objectives               []Objective
	Windows                  []Window
	AlertsDisabled           bool
	MinEvents                int64
	RunbookURL               string
	ExtraLabels              map[string]string
	// Cluster is set by the caller after Resolve (pledge manager/render --cluster-label): it
	// labels every generated series and alert and is matched by every selector of them.
	Cluster ClusterLabel
	// KeepFiringFor holds pages and reached tiers after the page condition clears.
	KeepFiringFor time.Duration
	// NoDataAfter is how long an objective's series must be absent before PledgeObjectiveNoData
	// fires; zero disables the alert.
	NoDataAfter time.Duration
	// BudgetLeft are the PledgeErrorBudgetLow thresholds (percent of budget left, as written),
	// highest first; none for a calendar window.
	BudgetLeft []string
	// Escalation is nil when the standard has no escalation.
	Escalation *Escalation
	// Warnings are problems that do not stop rendering (for example a pair that cannot fire).
	Warnings []string
}

// Escalation is the resolved escalation of a standard.
type Escalation struct {
	Tiers []Tier
	pledgev1.EscalationRouting
}

var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// parsePercent parses a decimal percentage strictly between 0 and 100, exactly.
func parsePercent(s string) (*big.Rat, error) {
	// big.Rat also reads fractions, exponents and hexadecimal ("1/2", "1e1", "0x10").
	r, ok := new(big.Rat).SetString(s)
	if !ok || !decimalRE.MatchString(s) {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	if r.Sign() <= 0 || r.Cmp(big.NewRat(100, 1)) >= 0 {
		return nil, fmt.Errorf("%q must be strictly between 0 and 100", s)
	}
	return r, nil
}

// parseTarget returns the budget share 1 - target/100, computed exactly and rounded once, so
// that "99.9" gives the float nearest to 0.001.
func parseTarget(s string) (float64, error) {
	r, err := parsePercent(s)
	if err != nil {
		return 0, err
	}
	budget := new(big.Rat).Sub(big.NewRat(100, 1), r)
	f, _ := budget.Quo(budget, big.NewRat(100, 1)).Float64()
	return f, nil
}

// burnFactor is percent/100 × window ÷ long, computed exactly and rounded once, so the default
// factors for 30d come out as exactly 14.4, 6 and 1.
func burnFactor(percent *big.Rat, window, long time.Duration) float64 {
	f := new(big.Rat).Quo(percent, big.NewRat(100, 1))
	f.Mul(f, new(big.Rat).SetFrac64(int64(window), int64(long)))
	v, _ := f.Float64()
	return v
}

// parsePromDuration parses a positive Prometheus duration ("30d", "300ms").
func parsePromDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be a positive duration", s)
	}
	return time.Duration(d), nil
}

// promDuration formats a duration the way Prometheus writes it ("1h", "2d23h55m").
func promDuration(d time.Duration) string { return model.Duration(d).String() }

// formatFloat writes a float with the fewest digits that read back as the same value.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// WindowLength is the length used for burn-rate factors: the rolling window, or the nominal
// length of a calendar period (30d for a month, 90d for a quarter). WindowLengthAt gives a
// calendar period's real length.
func WindowLength(spec *pledgev1.ServiceStandardSpec) (time.Duration, error) {
	return WindowLengthAt(spec, time.Time{})
}

// WindowLengthAt is WindowLength with the real length of the calendar period that contains
// now (28 to 31 days for a month, 90 to 92 for a quarter, in the standard's time zone); the
// nominal length when now is zero.
func WindowLengthAt(spec *pledgev1.ServiceStandardSpec, now time.Time) (time.Duration, error) {
	if spec.Calendar != nil {
		var nominal time.Duration
		switch spec.Calendar.Period {
		case pledgev1.CalendarMonth:
			nominal = 30 * 24 * time.Hour
		case pledgev1.CalendarQuarter:
			nominal = 90 * 24 * time.Hour
		default:
			return 0, fmt.Errorf("unsupported period %q: use month or quarter", spec.Calendar.Period)
		}
		if now.IsZero() {
			return nominal, nil
		}
		loc, err := time.LoadLocation(spec.Calendar.TimeZone)
		if err != nil {
			return 0, err
		}
		return periodLength(now, spec.Calendar.Period, loc), nil
	}
	if spec.Window == "" {
		return DefaultWindow, nil
	}
	return parsePromDuration(string(spec.Window))
}

// clampWindow is the window whose factor a pair falls back to when, over a longer window, it
// could never fire (see resolvePair).
const clampWindow = 30 * 24 * time.Hour

// mergeWindows applies the user's overrides (by name) on the defaults; new names add pairs.
func mergeWindows(user []pledgev1.BurnRateWindow) []pledgev1.BurnRateWindow {
	out := slices.Clone(DefaultWindows)
	for _, u := range user {
		i := slices.IndexFunc(out, func(w pledgev1.BurnRateWindow) bool { return w.Name == u.Name })
		if i < 0 {
			out = append(out, u)
			continue
		}
		w := &out[i]
		if u.Severity != "" {
			w.Severity = u.Severity
		}
		if u.Long != "" {
			w.Long = u.Long
		}
		if u.Short != "" {
			w.Short = u.Short
		}
		if u.BudgetPercent != "" {
			w.BudgetPercent = u.BudgetPercent
		}
		w.Disabled = u.Disabled
	}
	return out
}
