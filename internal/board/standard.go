package board

import (
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// standardPage is everything a standard's page shows.
type standardPage struct {
	Namespace, Name, Service, Description string
	Window                                string
	Score, Budget, State                  string
	Owners                                *pledgev1.Owners
	Conditions                            []conditionRow
	// Problems are why the standard does not resolve (it is then not rendered either).
	Problems    []string
	Warnings    []string
	Objectives  []objectiveRow
	BudgetChart budgetChart
	Escalation  *escalationView
	Calendar    bool
	Periods     []periodRow
	Events      eventsView
	Overview    string
}

type conditionRow struct{ Type, Status, Reason, Message, Since string }

type objectiveRow struct {
	Name, Description, Target, Attainment, Budget, State, Coverage, Message string
	// BudgetW is the width (of 100) of the budget-left gauge.
	BudgetW float64
	Pairs   []pairRow
	// Values are an objective with groupBy's worst values, as the status lists them, of
	// ValueCount.
	Values     []valueRow
	ValueCount int32
}

// valueRow is one value of a grouped objective: its labels as name=value, comma-separated.
type valueRow struct {
	Labels, Attainment, Budget, State string
}

type pairRow struct {
	Name, Severity, Windows, Threshold string
	Bar                                BurnBar
}

type periodRow struct {
	Start, End, Attainment string
	Met                    bool
}

func (b *Board) standard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key := types.NamespacedName{Namespace: r.PathValue("namespace"), Name: r.PathValue("name")}
	var std pledgev1.ServiceStandard
	if err := b.reader.Get(ctx, key, &std); err != nil {
		if apierrors.IsNotFound(err) {
			b.fail(ctx, w, http.StatusNotFound, "No such standard", "There is no ServiceStandard "+key.String()+".")
			return
		}
		b.fail(ctx, w, http.StatusServiceUnavailable, "Cannot read the standard", err.Error())
		return
	}
	now := b.o.Now()
	page := standardPage{
		Namespace: std.Namespace, Name: std.Name, Service: std.Spec.Service, Description: std.Spec.Description,
		Window: windowText(&std.Spec), Score: std.Status.Score, Budget: std.Status.ErrorBudgetRemaining,
		State: StandardState(&std.Status), Owners: std.Spec.Owners, Calendar: std.Spec.Calendar != nil,
		Overview: overviewURL(std.Namespace, ""),
	}
	for _, t := range conditionTypes {
		row := conditionRow{Type: t}
		for _, c := range std.Status.Conditions {
			if c.Type == t {
				row.Status, row.Reason, row.Message = string(c.Status), c.Reason, c.Message
				if !c.LastTransitionTime.IsZero() {
					row.Since = c.LastTransitionTime.UTC().Format(time.RFC3339)
				}
			}
		}
		page.Conditions = append(page.Conditions, row)
	}

	resolved, problems := b.resolve(ctx, &std, now)
	page.Problems = problems
	if resolved != nil {
		page.Warnings = resolved.Warnings
		page.Escalation = escalationOf(resolved, std.Spec.Escalation)
	}
	page.Objectives = objectiveRows(resolved, &std.Status)
	page.BudgetChart = b.budgetChart(ctx, resolved, now)
	for _, p := range std.Status.Periods {
		page.Periods = append(page.Periods, periodRow{
			Start: p.Start.UTC().Format("2006-01-02"), End: p.End.UTC().Format("2006-01-02"), Attainment: p.Attainment, Met: p.Met,
		})
	}
	page.Events = b.events(ctx, &std)
	b.execute(ctx, w, "standard.html", page)
}

func windowText(spec *pledgev1.ServiceStandardSpec) string {
	if c := spec.Calendar; c != nil {
		tz := c.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		return "calendar " + string(c.Period) + " (" + tz + ")"
	}
	if spec.Window == "" {
		return promDuration(render.DefaultWindow) + " rolling"
	}
	return string(spec.Window) + " rolling"
}

func promDuration(d time.Duration) string { return model.Duration(d).String() }

// objectiveRows joins the resolved objectives (descriptions, budgets, alert pairs) with their
// standing on the status. Objectives only on the status (the standard no longer resolves)
// are shown with what the status says.
func objectiveRows(resolved *render.Standard, st *pledgev1.ServiceStandardStatus) []objectiveRow {
	status := map[string]pledgev1.ObjectiveStatus{}
	for _, o := range st.Objectives {
		status[o.Name] = o
	}
	var rows []objectiveRow
	seen := map[string]bool{}
	add := func(name, description, target string, windows []render.Window) {
		s, ok := status[name]
		row := objectiveRow{Name: name, Description: description, Target: target, State: string(pledgev1.StateNoData)}
		if ok {
			row.Attainment, row.Budget, row.Coverage, row.Message = s.Attainment, s.ErrorBudgetRemaining, s.WindowCoverage, s.Message
			row.ValueCount = s.ValueCount
			for _, v := range s.Values {
				var l []string
				for _, k := range slices.Sorted(maps.Keys(v.Labels)) {
					l = append(l, k+"="+v.Labels[k])
				}
				row.Values = append(row.Values, valueRow{Labels: strings.Join(l, ", "), Attainment: v.Attainment, Budget: v.ErrorBudgetRemaining, State: string(v.State)})
			}
			if s.State != "" {
				row.State = string(s.State)
			}
			if s.Target != "" {
				row.Target = s.Target
			}
		}
		if v, err := strconv.ParseFloat(row.Budget, 64); err == nil {
			row.BudgetW = round2(math.Max(0, math.Min(100, v)))
		}
		rates := map[string]float64{}
		for _, br := range s.BurnRates {
			if v, err := strconv.ParseFloat(br.Value, 64); err == nil {
				rates[br.Window] = v
			}
		}
		rate := func(d time.Duration) float64 {
			if v, ok := rates[promDuration(d)]; ok {
				return v
			}
			return math.NaN()
		}
		for _, w := range windows {
			pair := pairRow{
				Name: w.Name, Severity: string(w.Severity),
				Windows:   promDuration(w.Long) + " / " + promDuration(w.Short),
				Threshold: strconv.FormatFloat(w.Factor, 'g', 4, 64) + "×",
				Bar:       NewBurnBar(rate(w.Long), rate(w.Short), w.Factor),
			}
			row.Pairs = append(row.Pairs, pair)
		}
		seen[name] = true
		rows = append(rows, row)
	}
	if resolved != nil {
		for _, o := range resolved.Objectives {
			add(o.Name, o.Description, o.Target, resolved.Windows)
		}
	}
	for _, o := range st.Objectives {
		if !seen[o.Name] {
			add(o.Name, "", o.Target, nil)
		}
	}
	return rows
}
