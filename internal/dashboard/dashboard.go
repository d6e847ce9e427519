// Package dashboard builds Grafana dashboards for resolved standards with the Grafana
// Foundation SDK's typed builders: one dashboard per standard and one overview of many. Every
// panel reads the series Pledge records (internal/render) or Prometheus's ALERTS series of
// Pledge's alerts; nothing here queries or writes anything.
package dashboard

//lint:file-ignore SA1019 dashboard.Dashboard is the classic JSON model, which Grafana's file provisioning (the sidecar) reads on every version, before 12 too; dashboardv2 is Grafana 12's new schema.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// Tag is on every dashboard Pledge generates.
const Tag = "pledge"

// OverviewUID is the UID of the overview dashboard.
const OverviewUID = "pledge-overview"

// DefaultAtRiskBudget is the budget left (percent) below which the overview shows a met
// standard as AtRisk, as pledge manager's --at-risk-budget default.
const DefaultAtRiskBudget = 25

// datasourceVariable names the dashboards' Prometheus data source variable.
const datasourceVariable = "datasource"

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + datasourceVariable + "}")}

// UID is the stable dashboard UID of a standard: "pledge-" and 24 hex digits of the SHA-256
// of namespace/name (and of the cluster label when set, so two clusters' dashboards of one
// standard do not replace each other in one Grafana). Grafana allows 40 characters.
func UID(s *render.Standard) string {
	key := s.Namespace + "/" + s.Name
	if c := s.Cluster.Matcher(); c != "" {
		key += "/" + c
	}
	sum := sha256.Sum256([]byte(key))
	return "pledge-" + hex.EncodeToString(sum[:])[:24]
}

// panels builds a dashboard's panels in order, numbering them so the JSON is stable.
type panels struct {
	b  *dashboard.DashboardBuilder
	id uint32
}

type panelBuilder interface {
	cog.Builder[dashboard.Panel]
}

func (p *panels) row(title string) {
	p.id++
	p.b.WithRow(dashboard.NewRowBuilder(title).Id(p.id))
}

func (p *panels) add(b panelBuilder) {
	p.b.WithPanel(b)
}

func (p *panels) next() uint32 {
	p.id++
	return p.id
}

func newDashboard(uid, title string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{Tag}).
		Editable().
		Refresh("5m").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder(datasourceVariable).Label("Prometheus").Type("prometheus"))
}

// query is a Prometheus range query with a legend.
func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Datasource(datasource).Expr(expr).LegendFormat(legend).Range()
}

// tableQuery is an instant Prometheus query in table format.
func tableQuery(ref, expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Datasource(datasource).Expr(expr).Instant().Format(prometheus.PromQueryFormatTable)
}

func thresholds(steps ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func step(value *float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: value, Color: color}
}

// below colours values under limit red and the others green.
func below(limit float64) *dashboard.ThresholdsConfigBuilder {
	return thresholds(step(nil, "red"), step(cog.ToPtr(limit), "green"))
}

// above colours values over limit red and the others green.
func above(limit float64) *dashboard.ThresholdsConfigBuilder {
	return thresholds(step(nil, "green"), step(cog.ToPtr(limit), "red"))
}

func lineThresholds() *common.GraphThresholdsStyleConfigBuilder {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)
}

// windowRange is the range the standard is measured over in the time-series panels: the
// rolling window, or the nominal length of a calendar period (30d, 90d).
func windowRange(s *render.Standard) string { return promDuration(s.Window) }

// timeRange is a dashboard's default time range: the rolling window up to now, or the
// calendar period to date in the period's time zone.
func timeRange(b *dashboard.DashboardBuilder, s *render.Standard) {
	if s.Calendar == nil {
		b.Time("now-"+windowRange(s), "now").Timezone(common.TimeZoneUtc)
		return
	}
	tz := s.Calendar.TimeZone
	if tz == "" {
		tz = common.TimeZoneUtc
	}
	from := "now/M"
	if s.Calendar.Period == pledgev1.CalendarQuarter {
		// Grafana's fiscal quarter is the calendar quarter with the fiscal year starting in January.
		from = "now/fQ"
		b.FiscalYearStartMonth(0)
	}
	b.Time(from, "now").Timezone(tz)
}

// Standard is the dashboard of one standard: a row with the score and the attainment and
// budget left of every objective over the selected time range, then one row per objective
// with its attainment against the target and its budget left over the window, and its burn
// rate per alert window pair against the pair's threshold; a row with the escalation tiers
// firing when the standard escalates.
func Standard(s *render.Standard) (dashboard.Dashboard, error) {
	return StandardAt(s, time.Time{}, 0)
}

// StandardAt is Standard with, for a calendar window, a row of the last periods closed before
// now (at most periods of them, as pledge manager --periods keeps on the status): each
// objective's attainment over each whole period, measured from the same hourly totals and
// range as the status's periods. The panels hold the periods' end as a fixed time, so the
// dashboard is built again when a period closes.
func StandardAt(s *render.Standard, now time.Time, periods int) (dashboard.Dashboard, error) {
	b := newDashboard(UID(s), fmt.Sprintf("Pledge: %s (%s/%s)", s.Service, s.Namespace, s.Name)).
		Description(fmt.Sprintf("Service standard %s/%s of service %s, generated by Pledge.", s.Namespace, s.Name, s.Service))
	timeRange(b, s)
	p := &panels{b: b}
	w := windowRange(s)
	k := keysFor(s.Cluster.Name)

	p.row("Standing over the selected time range")
	p.add(stat.NewPanelBuilder().Id(p.next()).
		Title("Score").
		Description("Weighted attainment over the selected time range, as the status's score: each objective's weight, shared by the classes of a graded objective.").
		Unit("percent").Decimals(2).Height(6).Span(6).
		Thresholds(thresholds(step(nil, "blue"))).
		WithTarget(tableQuery("A", scoreQuery(selector(s, ""), k, RangeVariable)).Format(prometheus.PromQueryFormatTimeSeries).LegendFormat("score")))
	p.add(table.NewPanelBuilder().Id(p.next()).
		Title("Objectives over the selected time range").
		Description("Attainment and error budget left of each objective over the selected time range. Choose a closed calendar period in the time picker (for example Previous month) to see how that period closed.").
		Height(6).Span(18).
		WithTarget(tableQuery("A", attainmentQuery(selector(s, ""), RangeVariable))).
		WithTarget(tableQuery("B", budgetLeftByObjectiveQuery(selector(s, ""), k, RangeVariable))).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true, "__name__": true},
			"renameByName":  map[string]string{"Value #A": "Attainment %", "Value #B": "Budget left %"},
		}}))

	for i, o := range s.Objectives {
		sel := selector(s, o.Name)
		values := valuesLegend(o.GroupBy)
		target, _ := strconv.ParseFloat(o.Target, 64)
		p.row(fmt.Sprintf("Objective %s (target %s%%)", o.Name, o.Target))
		p.add(timeseries.NewPanelBuilder().Id(p.next()).
			Title(fmt.Sprintf("%s: attainment over %s", o.Name, w)).
			Description(fmt.Sprintf("Percentage of good events over the last %s at each instant; the dashed line is the target, %s%%.", w, o.Target)).
			Unit("percent").Decimals(3).Height(8).Span(8).
			Thresholds(below(target)).ThresholdsStyle(lineThresholds()).
			WithTarget(query("A", attainmentQuery(sel, w), "attainment"+values)))
		p.add(timeseries.NewPanelBuilder().Id(p.next()).
			Title(fmt.Sprintf("%s: error budget left over %s", o.Name, w)).
			Description(fmt.Sprintf("Percentage of the error budget (%s%% of events) left over the last %s; below 0 the objective is breached.", formatFloat(100*o.Budget), w)).
			Unit("percent").Decimals(1).Height(8).Span(8).
			Thresholds(below(0)).ThresholdsStyle(lineThresholds()).
			WithTarget(query("A", budgetLeftQuery(sel, w, o.Budget), "budget left"+values)))
		if s.AlertsDisabled {
			continue
		}
		for _, pair := range s.Windows {
			p.add(timeseries.NewPanelBuilder().Id(p.next()).
				Title(fmt.Sprintf("%s: burn rate %s (%s/%s)", o.Name, pair.Name, promDuration(pair.Long), promDuration(pair.Short))).
				Description(fmt.Sprintf("Burn rate over the pair's long and short windows; the %s alert of the pair (severity %s) fires while both are above the dashed threshold, %sx.",
					render.AlertBurnRate, pair.Severity, formatFloat(round(pair.Factor))),
				).
				Unit("x").Decimals(2).Height(8).Span(8).Min(0).
				Thresholds(above(pair.Factor)).ThresholdsStyle(lineThresholds()).
				WithTarget(query("A", burnRateQuery(sel, pair.Long, s.Objectives[i].Budget), promDuration(pair.Long)+values)).
				WithTarget(query("B", burnRateQuery(sel, pair.Short, s.Objectives[i].Budget), promDuration(pair.Short)+values)))
		}
	}

	if s.Calendar != nil && !now.IsZero() && periods > 0 {
		loc, err := time.LoadLocation(s.Calendar.TimeZone)
		if err != nil {
			return dashboard.Dashboard{}, err
		}
		p.row("Closed periods")
		for _, c := range compliance.ClosedPeriods(now, s.Calendar.Period, loc, periods) {
			p.add(stat.NewPanelBuilder().Id(p.next()).
				Title(fmt.Sprintf("%s to %s (%s)", c[0].In(loc).Format("2006-01-02"), c[1].In(loc).Format("2006-01-02"), loc)).
				Description("Each objective's attainment over this closed period, as status.periods holds it; the target line is the objective's.").
				Unit("percent").Decimals(3).Height(6).Span(8).
				Thresholds(thresholds(step(nil, "blue"))).
				WithTarget(tableQuery("A", closedPeriodQuery(selector(s, ""), c)).Format(prometheus.PromQueryFormatTimeSeries).
					LegendFormat("{{" + render.LabelObjective + "}}")))
		}
	}

	if s.Escalation != nil && !s.AlertsDisabled {
		p.row("Escalation")
		p.add(statetimeline.NewPanelBuilder().Id(p.next()).
			Title("Escalation tiers firing").
			Description(fmt.Sprintf("The %s alerts firing, per objective and tier; a silence matching %s=%q stops every tier.", render.AlertEscalation, render.LabelStandard, s.Name)).
			Height(8).Span(24).
			WithTarget(query("A", alertsQuery(s, render.AlertEscalation),
				fmt.Sprintf("{{%s}} tier {{%s}} {{%s}}", render.LabelObjective, render.LabelTier, render.LabelTierName))))
	}
	return b.Build()
}

func round(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 4, 64), 64)
	return v
}

// Overview is the scoreboard of every standard whose series the data source holds: per
// standard its service, score, lowest budget left and state over the selected time range.
// Its queries read the objectives' budgets and weights from the series Pledge records, so the
// dashboard is the same for one standard or ten thousand and needs no rebuilding when
// standards come and go. cluster is the --cluster-label name ("" without one): standards are
// told apart by it. atRisk is the budget left (percent) below which a met standard shows AtRisk.
func Overview(cluster string, atRisk float64) (dashboard.Dashboard, error) {
	b := newDashboard(OverviewUID, "Pledge: service standards").
		Description("Score, lowest error budget left and state of every service standard over the selected time range, generated by Pledge.").
		Time("now-30d", "now").Timezone(common.TimeZoneUtc)
	p := &panels{b: b}
	mappings, err := untyped(stateMappings(atRisk))
	if err != nil {
		return dashboard.Dashboard{}, fmt.Errorf("state mappings: %w", err)
	}
	k := keysFor(cluster)
	budgetLeft := minBudgetLeftQuery("", k, RangeVariable)
	p.add(table.NewPanelBuilder().Id(p.next()).
		Title("Service standards over the selected time range").
		Description(fmt.Sprintf("State from the lowest budget left over the selected time range: Breached below 0%%, AtRisk below %s%%, Met otherwise (the status also counts a firing burn-rate alert as AtRisk).", formatFloat(atRisk))).
		Height(16).Span(24).
		WithTarget(tableQuery("A", scoreQuery("", k, RangeVariable))).
		WithTarget(tableQuery("B", budgetLeft)).
		WithTarget(tableQuery("C", budgetLeft)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true},
			"renameByName":  map[string]string{"Value #A": "Score %", "Value #B": "Budget left %"},
		}}).
		// Named by the override rather than renamed, so that the override finds the field.
		OverrideByName("Value #C", []dashboard.DynamicConfigValue{{Id: "mappings", Value: mappings}, {Id: "displayName", Value: "State"}}))
	return b.Build()
}

// stateMappings show the lowest budget left as the state it implies.
func stateMappings(atRisk float64) []dashboard.ValueMapping {
	r := func(from, to *float64, text, color string) dashboard.ValueMapping {
		return dashboard.ValueMapping{RangeMap: &dashboard.RangeMap{Type: dashboard.MappingTypeRangeToText, Options: dashboard.DashboardRangeMapOptions{
			From: from, To: to, Result: dashboard.ValueMappingResult{Text: cog.ToPtr(text), Color: cog.ToPtr(color)},
		}}}
	}
	// Grafana's ranges include both ends; budget left of exactly 0 is Met, as in the status.
	return []dashboard.ValueMapping{
		r(nil, cog.ToPtr(-1e-9), string(pledgev1.StateBreached), "red"),
		r(cog.ToPtr(0.0), cog.ToPtr(atRisk-1e-9), string(pledgev1.StateAtRisk), "orange"),
		r(cog.ToPtr(atRisk), nil, string(pledgev1.StateMet), "green"),
	}
}

// untyped is v as encoding/json reads it back into an any: the form an override's value (of
// type any) has after a dashboard is read, so that the dashboard reads back as built.
func untyped(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// JSON is the dashboard as Grafana reads it, indented.
func JSON(d dashboard.Dashboard) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
