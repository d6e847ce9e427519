package render

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// RuleGroup is a Prometheus rule group in a neutral form, converted to both the
// PrometheusRule and the plain rule-file format.
type RuleGroup struct {
	Name string
	// Interval overrides the global evaluation interval when set.
	Interval time.Duration
	Rules    []Rule
}

// Rule is a recording or alerting rule.
type Rule struct {
	Record string
	Alert  string
	Expr   string
	For    time.Duration
	// KeepFiringFor keeps a firing alert firing for this long after its condition clears.
	KeepFiringFor time.Duration
	Labels        map[string]string
	Annotations   map[string]string
}

// seriesLabels are the contract labels of one objective, and the cluster label when set.
func (s *Standard) seriesLabels(o *Objective) map[string]string {
	l := map[string]string{
		LabelStandard: s.Name, LabelNamespace: s.Namespace, LabelService: s.Service, LabelObjective: o.Name,
	}
	if s.Cluster.Name != "" {
		l[s.Cluster.Name] = s.Cluster.Value
	}
	return l
}

// standardSelector selects the recorded series of all the standard's objectives (of this
// cluster, with a cluster label).
func (s *Standard) standardSelector() string {
	return fmt.Sprintf("{%s=%s,%s=%s%s}", LabelNamespace, strconv.Quote(s.Namespace), LabelStandard, strconv.Quote(s.Name), s.Cluster.matcher())
}

// selector selects one objective's recorded series (of this cluster, with a cluster label).
func (s *Standard) selector(o *Objective) string {
	return fmt.Sprintf("{%s=%s,%s=%s,%s=%s%s}",
		LabelNamespace, strconv.Quote(s.Namespace), LabelStandard, strconv.Quote(s.Name), LabelObjective, strconv.Quote(o.Name), s.Cluster.matcher())
}

// ErrorRatioExpr is the share of bad events over window w, built from the recorded 5m rates,
// for the objectives that sel selects ("" for all). A sum over w-5m of 5m rates covers exactly
// w of raw samples, so the ratio is occurrence based (bad events ÷ all events) rather than an
// average of ratios.
func ErrorRatioExpr(sel string, w time.Duration) string { return errorRatio(sel, w) }

func errorRatio(sel string, w time.Duration) string {
	if w == baseWindow {
		return fmt.Sprintf("%s%s / %s%s", SeriesErrors, sel, SeriesEvents, sel)
	}
	r := promDuration(w - baseWindow)
	return fmt.Sprintf("sum_over_time(%s%s[%s]) / sum_over_time(%s%s[%s])", SeriesErrors, sel, r, SeriesEvents, sel, r)
}

// thresholdMargin lifts every burn-rate threshold by a relative 1e-9. Rates, sums and ratios
// are floating point, so traffic that burns exactly at a factor (budget-neutral traffic at the
// 1x ticket threshold, say) computes to 1 ± 1e-14 and would flap; the margin is far above that
// noise and far below any burn rate that matters.
const thresholdMargin = 1e-9

// burnCondition is true (and yields the long window's burn rate) while both windows of the
// pair burn faster than the pair's factor. A tiled pair (see Tiled) sums the 5m rates at the
// 5m-aligned instants of each window; any other sums them at every evaluation.
func (s *Standard) burnCondition(o *Objective, w Window) string {
	sel := s.selector(o)
	budget := formatFloat(o.Budget)
	factor := strconv.FormatFloat(w.Factor*(1+thresholdMargin), 'g', 12, 64)
	ratio := errorRatio
	if w.Tiled() {
		ratio = tiledErrorRatio
	}
	expr := fmt.Sprintf("(%s) / %s > %s\nand\n(%s) / %s > %s", ratio(sel, w.Long), budget, factor, ratio(sel, w.Short), budget, factor)
	switch {
	case s.MinEvents <= 0:
	case w.Tiled():
		expr += fmt.Sprintf("\nand\n%s >= %d", overTime(SeriesEvents+sel, promDuration(w.Long)), s.MinEvents)
	default:
		expr += fmt.Sprintf("\nand\navg_over_time(%s%s[%s]) * %s >= %d",
			SeriesEvents, sel, promDuration(w.Long-baseWindow), formatFloat(w.Long.Seconds()), s.MinEvents)
	}
	return expr
}

// TileInterval is the evaluation interval of the group that holds the tiled (ticket) pairs.
const TileInterval = baseWindow

// Tiled reports whether the pair is evaluated every 5m from the 5m rates at the 5m-aligned
// instants of its windows, which tile them exactly, rather than at every evaluation from every
// recorded rate: a ticket pair whose windows are whole multiples of 5m and whose short window is
// at least 30m. Such a pair is evaluated a tenth as often (at a 30s interval) and sums a tenth
// of the samples (864 for 3d); it fires at most one step (5m) and one evaluation later than
// summed at every evaluation, which a ticket can afford and a page cannot.
func (w Window) Tiled() bool {
	return w.Severity == pledgev1.SeverityTicket && w.Short >= 6*baseWindow &&
		w.Long%baseWindow == 0 && w.Short%baseWindow == 0
}

// tiledErrorRatio is the share of bad events over window w from the 5m rates at the 5m-aligned
// instants of w, each the rate of the 5m before it: together they cover w exactly.
func tiledErrorRatio(sel string, w time.Duration) string {
	r := promDuration(w)
	return fmt.Sprintf("sum_over_time(%s%s[%s:5m]) / sum_over_time(%s%s[%s:5m])", SeriesErrors, sel, r, SeriesEvents, sel, r)
}

// HourlyInterval is the evaluation interval of the hourly totals group.
const HourlyInterval = time.Hour

// ScoreWeights are the weights of the standard's objectives in its score, in order: a graded
// objective's classes share its weight, each weighing Weight/Classes, scaled to whole numbers
// by the least common multiple of the class counts so that the shares are exact (three classes
// of weight 3 weigh what one objective of weight 3 does). Only their ratios matter.
func (s *Standard) ScoreWeights() []float64 {
	return ScoreWeights(len(s.Objectives), func(i int) (int32, int) { return s.Objectives[i].Weight, s.Objectives[i].Classes })
}

// ScoreWeights is Standard.ScoreWeights for n objectives described by of (weight as written,
// class count; 0 classes count as 1).
func ScoreWeights(n int, of func(i int) (weight int32, classes int)) []float64 {
	lcm := 1
	for i := range n {
		_, c := of(i)
		c = max(c, 1)
		lcm = lcm / gcd(lcm, c) * c
	}
	out := make([]float64, n)
	for i := range n {
		w, c := of(i)
		out[i] = float64(int(w) * (lcm / max(c, 1)))
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// hourlyTotal sums a recorded 5m rate over the last hour into a count of events: the rates at
// the twelve 5m-aligned instants of the hour tile it exactly.
func hourlyTotal(series, sel string) string { return overTime(series+sel, "1h") }

// overTime sums the per-second rate expr yields at the 5m-aligned instants of the last rng
// into a count of events.
func overTime(expr, rng string) string {
	return fmt.Sprintf("sum_over_time(%s[%s:5m]) * 300", expr, rng)
}

// RawHourlyTotal is the count of events in the hour before each instant computed from the raw
// series: the hourly total's own expression with the objective's rate expression (ErrorsExpr or
// EventsExpr) in place of the recorded 5m rate. Evaluated at the instants of a recorded hourly
// total, or whole hours before them, it tiles with the recorded totals; compliance measures the
// part of a window before an objective's recorded totals begin with it.
func RawHourlyTotal(rateExpr string) string { return overTime("("+rateExpr+")", "1h") }

// RuleGroups renders two or three rule groups per standard. The first, at the global interval,
// holds per objective two recording rules, one burn-rate alert per enabled window pair that is
// not tiled, the no-data alert and one escalation alert per tier. The second, evaluated every
// 5m and only when a pair is tiled (the default ticket pair is), holds the tiled pairs' alerts.
// The last, evaluated hourly, records each objective's hourly totals, from which compliance
// measures whole windows cheaply (720 samples for 30 days), and its budget and score weight as
// series (read with last_over_time over two hours: the dashboards' overview needs no constant
// per objective), and holds the budget-left alerts read from the totals (one per threshold).
func (s *Standard) RuleGroups() []RuleGroup {
	g := RuleGroup{Name: fmt.Sprintf("pledge/%s/%s", s.Namespace, s.Name)}
	hourly := RuleGroup{Name: g.Name + "/hourly", Interval: HourlyInterval}
	tiles := RuleGroup{Name: g.Name + "/5m", Interval: TileInterval}
	weights := s.ScoreWeights()
	for i := range s.Objectives {
		o := &s.Objectives[i]
		g.Rules = append(g.Rules,
			Rule{Record: SeriesErrors, Expr: o.ErrorsExpr, Labels: s.seriesLabels(o)},
			Rule{Record: SeriesEvents, Expr: o.EventsExpr, Labels: s.seriesLabels(o)},
		)
		hourly.Rules = append(hourly.Rules,
			Rule{Record: SeriesErrorsHourly, Expr: hourlyTotal(SeriesErrors, s.selector(o)), Labels: s.seriesLabels(o)},
			Rule{Record: SeriesEventsHourly, Expr: hourlyTotal(SeriesEvents, s.selector(o)), Labels: s.seriesLabels(o)},
			Rule{Record: SeriesBudget, Expr: "vector(" + formatFloat(o.Budget) + ")", Labels: s.seriesLabels(o)},
			Rule{Record: SeriesWeight, Expr: "vector(" + formatFloat(weights[i]) + ")", Labels: s.seriesLabels(o)},
		)
		if s.AlertsDisabled {
			continue
		}
		var firstPage *Window
		for _, w := range s.Windows {
			labels := s.alertLabels(o)
			labels[LabelSeverity] = string(w.Severity)
			labels[LabelLong] = promDuration(w.Long)
			labels[LabelShort] = promDuration(w.Short)
			r := Rule{Alert: AlertBurnRate, Expr: s.burnCondition(o, w), Labels: labels, Annotations: s.burnAnnotations(o, w)}
			if w.Severity == pledgev1.SeverityPage {
				r.KeepFiringFor = s.KeepFiringFor
				if firstPage == nil {
					firstPage = &w
				}
			}
			if w.Tiled() {
				tiles.Rules = append(tiles.Rules, r)
				continue
			}
			g.Rules = append(g.Rules, r)
		}
		if after := s.NoDataFor(o); after > 0 {
			labels := s.alertLabels(o)
			labels[LabelSeverity] = string(pledgev1.SeverityTicket)
			// absent() with for: rather than absent_over_time(): a Prometheus that has just
			// started, before its first scrape, must not raise a ticket for every objective.
			g.Rules = append(g.Rules, Rule{
				Alert: AlertNoData, Expr: fmt.Sprintf("sum(absent(%s))", o.Presence), For: after,
				Labels: labels, Annotations: s.noDataAnnotations(o, after),
			})
		}
		if s.Escalation == nil || firstPage == nil {
			continue
		}
		tier := s.tierCondition(o, *firstPage)
		for _, t := range s.Escalation.Tiers {
			labels := s.alertLabels(o)
			labels[LabelSeverity] = string(pledgev1.SeverityPage)
			labels[LabelTier] = strconv.Itoa(t.Index)
			labels[LabelTierName] = t.Name
			g.Rules = append(g.Rules, Rule{
				Alert: AlertEscalation, Expr: tier, For: t.After, Labels: labels,
				Annotations: s.tierAnnotations(o, t),
			})
		}
	}
	if !s.AlertsDisabled && len(s.Objectives) > 0 {
		for _, threshold := range s.BudgetLeft {
			// The objective label comes from the hourly totals, one alert per objective.
			labels := s.alertLabels(&Objective{})
			delete(labels, LabelObjective)
			labels[LabelSeverity] = string(pledgev1.SeverityTicket)
			labels[LabelBudgetLeft] = threshold
			hourly.Rules = append(hourly.Rules, Rule{
				Alert: AlertBudgetLow, Expr: s.budgetLeftCondition(threshold),
				Labels: labels, Annotations: s.budgetLeftAnnotations(threshold),
			})
		}
	}
	if len(tiles.Rules) == 0 {
		return []RuleGroup{g, hourly}
	}
	return []RuleGroup{g, tiles, hourly}
}

// budgetLeftCondition yields, per objective, the percent of error budget left over the window
// while it is at or below threshold. One rule serves all objectives of the standard (the
// budgets join by objective), so the alert costs one rule per threshold, not per objective,
// and carries the contract labels of the hourly totals it reads. The totals are recorded just
// before it in the same group. The margin lets budget left of exactly the threshold
// (budget-neutral traffic over a whole window at "0") count despite floating-point noise.
func (s *Standard) budgetLeftCondition(threshold string) string {
	sel := s.standardSelector()
	w := promDuration(s.Window)
	budgets := make([]string, len(s.Objectives))
	for i, o := range s.Objectives {
		budgets[i] = fmt.Sprintf("label_replace(vector(%s), %q, %s, \"\", \"\")", formatFloat(o.Budget), LabelObjective, strconv.Quote(o.Name))
	}
	t, _ := strconv.ParseFloat(threshold, 64)
	return fmt.Sprintf("100 * (1 - sum_over_time(%s%s[%s]) / sum_over_time(%s%s[%s]) / on (%s) group_left ()\n(\n  %s\n)) <= %s",
		SeriesErrorsHourly, sel, w, SeriesEventsHourly, sel, w, LabelObjective, strings.Join(budgets, "\n  or\n  "),
		strconv.FormatFloat(t+100*thresholdMargin, 'g', 12, 64))
}

// tierCondition holds while a page of the objective is firing, and yields the burn rate over
// the first page pair's long window. It reads the page alerts' own ALERTS series, which the
// rules above write earlier in the same evaluation: a page keeps firing for KeepFiringFor
// after its condition clears, so a burn that dips for a moment does not send the tiers'
// for: timers back to zero, and the tiers resolve KeepFiringFor after the burn really ends.
// A grouped objective's pages are matched by its groupBy labels, so each value escalates on
// its own page only.
func (s *Standard) tierCondition(o *Objective, first Window) string {
	alerts := fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",%s=%q,%s=%q,%s=%q,%s="page"%s}`,
		AlertBurnRate, LabelNamespace, s.Namespace, LabelStandard, s.Name, LabelObjective, o.Name, LabelSeverity, s.Cluster.matcher())
	by := strings.Join(o.GroupBy, ", ")
	count := "count"
	if by != "" {
		count = "count by (" + by + ") "
	}
	return fmt.Sprintf("(%s) / %s\nand on (%s)\n%s(%s)", errorRatio(s.selector(o), first.Long), formatFloat(o.Budget), by, count, alerts)
}

// valuesText names, in an alert's summary, the value of each groupBy label of a grouped
// objective ("" for any other objective): " route={{ $labels.route }}".
func valuesText(by []string) string {
	var b strings.Builder
	for _, l := range by {
		fmt.Fprintf(&b, " %s={{ $labels.%s }}", l, l)
	}
	return b.String()
}

// NoDataFor is how long the objective's series must be absent before PledgeObjectiveNoData
// fires: the standard's setting, and at least two declared sample intervals; zero when off.
func (s *Standard) NoDataFor(o *Objective) time.Duration {
	if s.NoDataAfter <= 0 || o.Presence == "" {
		return 0
	}
	return max(s.NoDataAfter, 2*o.SampleInterval)
}

// alertLabels are the series labels and the standard's own labels; the cluster label wins
// over an own label of the same name, so the cluster's selectors find its alerts.
func (s *Standard) alertLabels(o *Objective) map[string]string {
	l := maps.Clone(s.ExtraLabels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, s.seriesLabels(o))
	return l
}

// horizon is a template that prints how long the whole window's budget lasts at the burn rate
// in $value. Prometheus templates cannot divide, so the division is a scalar query.
func (s *Standard) horizon() string {
	return fmt.Sprintf(`{{ with printf "%s / %%f" $value | query }}{{ . | first | value | humanizeDuration }}{{ end }}`,
		strconv.FormatFloat(s.Window.Seconds(), 'f', -1, 64))
}

func (s *Standard) windowText() string {
	if s.Calendar != nil {
		return "the calendar " + string(s.Calendar.Period)
	}
	return promDuration(s.Window)
}

func (s *Standard) burnAnnotations(o *Objective, w Window) map[string]string {
	a := map[string]string{
		"summary": fmt.Sprintf("%s %s%s: error budget burning at {{ $value | printf \"%%.1f\" }}x (%s, %s/%s)",
			s.Service, o.Name, valuesText(o.GroupBy), w.Name, promDuration(w.Long), promDuration(w.Short)),
		"description": fmt.Sprintf("Objective %s of %s promises %s%% good events over %s. Over the last %s and %s "+
			"the error budget burned at {{ $value | printf \"%%.2f\" }}x the sustainable rate (threshold %sx). "+
			"At this rate the whole budget lasts %s.",
			o.Name, s.Service, o.Target, s.windowText(), promDuration(w.Long), promDuration(w.Short), formatFloat(round(w.Factor, 4)), s.horizon()),
	}
	if s.RunbookURL != "" {
		a["runbook_url"] = s.RunbookURL
	}
	return a
}

func (s *Standard) noDataAnnotations(o *Objective, after time.Duration) map[string]string {
	a := map[string]string{
		"summary": fmt.Sprintf("%s %s: no data for %s, the objective is not measured", s.Service, o.Name, promDuration(after)),
		"description": fmt.Sprintf("Objective %s of %s promises %s%% good events over %s, but no sample of %s has been seen "+
			"for %s, so its burn rate and budget-exhaustion horizon are unknown and no burn-rate alert can fire. "+
			"Check the selector, the metric name and the bucket bound, and that the target is scraped.",
			o.Name, s.Service, o.Target, s.windowText(), templateLiteral(o.Presence), promDuration(after)),
	}
	if s.RunbookURL != "" {
		a["runbook_url"] = s.RunbookURL
	}
	return a
}

func (s *Standard) budgetLeftAnnotations(threshold string) map[string]string {
	// Templates cannot look the target up, so they choose it by objective.
	var target strings.Builder
	for i, o := range s.Objectives {
		if i > 0 {
			target.WriteString("{{ else ")
		} else {
			target.WriteString("{{ ")
		}
		fmt.Fprintf(&target, "if eq $labels.%s %q }}%s", LabelObjective, o.Name, o.Target)
	}
	target.WriteString("{{ end }}")
	w := promDuration(s.Window)
	a := map[string]string{
		"summary": fmt.Sprintf("%s {{ $labels.%s }}%s: {{ $value | printf \"%%.1f\" }}%% of the error budget left over %s (threshold %s%%)",
			s.Service, LabelObjective, s.groupedValuesText(), w, threshold),
		"description": fmt.Sprintf("Objective {{ $labels.%s }} of %s promises %s%% good events over %s. Over the last %s "+
			"{{ $value | printf \"%%.1f\" }}%% of its error budget is left, at or below the %s%% threshold; at 0%% or below "+
			"the standard's BudgetExhausted condition is True. The budget comes back only as the bad events of the last %s leave the window.",
			LabelObjective, s.Service, target.String(), w, w, threshold, w),
	}
	if s.RunbookURL != "" {
		a["runbook_url"] = s.RunbookURL
	}
	return a
}

// groupByLabels are the groupBy labels of all the standard's objectives, each once, in order
// of appearance; none when no objective is grouped.
func (s *Standard) groupByLabels() []string {
	var by []string
	for _, o := range s.Objectives {
		for _, l := range o.GroupBy {
			if !slices.Contains(by, l) {
				by = append(by, l)
			}
		}
	}
	return by
}

// groupedValuesText names, in a summary shared by all objectives, the value of every groupBy
// label that the alert carries: "{{ with $labels.route }} route={{ . }}{{ end }}".
func (s *Standard) groupedValuesText() string {
	var b strings.Builder
	for _, l := range s.groupByLabels() {
		fmt.Fprintf(&b, "{{ with $labels.%s }} %s={{ . }}{{ end }}", l, l)
	}
	return b.String()
}

func (s *Standard) tierAnnotations(o *Objective, t Tier) map[string]string {
	a := map[string]string{
		"summary": fmt.Sprintf("%s %s%s: escalation tier %d (%s) after %s of fast budget burn",
			s.Service, o.Name, valuesText(o.GroupBy), t.Index, t.Name, promDuration(t.After)),
		"description": fmt.Sprintf("Objective %s of %s promises %s%% good events over %s. The error budget has burned "+
			"at page level for %s, at {{ $value | printf \"%%.2f\" }}x the sustainable rate; the whole budget lasts %s at this rate. "+
			"Tier %d (%s) is notified now. A silence on service_standard=%q acknowledges every tier.",
			o.Name, s.Service, o.Target, s.windowText(), promDuration(t.After), s.horizon(), t.Index, t.Name, s.Name),
	}
	if s.RunbookURL != "" {
		a["runbook_url"] = s.RunbookURL
	}
	return a
}

// templateLiteral makes s print as itself when Prometheus expands it as a template (a selector
// may hold "{{" in a label value).
func templateLiteral(s string) string { return strings.ReplaceAll(s, "{{", `{{ "{{" }}`) }

func round(f float64, digits int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', digits, 64), 64)
	return v
}

// sortedKeys returns the keys of m in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
