package render

// Alerting: the burn-rate window pairs with their factors, the budget-left thresholds and the
// alert labels and annotations of spec.alerting.

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/template"
	"k8s.io/apimachinery/pkg/util/validation/field"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// resolveBudgetLeft sets the PledgeErrorBudgetLow thresholds, highest first. A calendar window
// gets none: its budget is counted from the period's start, which a fixed range cannot express.
func resolveBudgetLeft(b *pledgev1.BudgetLeftAlerts, p *field.Path, out *Standard) field.ErrorList {
	if b == nil {
		return nil
	}
	var errs field.ErrorList
	value := map[string]float64{}
	var thresholds []string
	for i, t := range b.Thresholds {
		v, err := strconv.ParseFloat(t, 64)
		switch {
		case !budgetLeftRE.MatchString(t) || err != nil:
			errs = append(errs, field.Invalid(p.Child("thresholds").Index(i), t, "must be a decimal percentage from 0 up to below 100, such as \"25\""))
		case slices.ContainsFunc(thresholds, func(u string) bool { return value[u] == v }):
			errs = append(errs, field.Duplicate(p.Child("thresholds").Index(i), t))
		default:
			value[t] = v
			thresholds = append(thresholds, t)
		}
	}
	if len(thresholds) > 0 {
		slices.SortFunc(thresholds, func(x, y string) int { return cmp.Compare(value[y], value[x]) })
		out.BudgetLeft = thresholds
	}
	switch {
	case b.Disabled:
		out.BudgetLeft = nil
	case out.Calendar != nil && len(b.Thresholds) > 0:
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s: no budget-left alerts for a calendar window (its budget counts from the period's start, which a rule's fixed range cannot express); status.objectives[].errorBudgetRemaining and the BudgetExhausted condition show it", p.Child("thresholds")))
		out.BudgetLeft = nil
	}
	return errs
}

func resolveAlerting(a *pledgev1.Alerting, p *field.Path, out *Standard) field.ErrorList {
	var errs field.ErrorList
	var user []pledgev1.BurnRateWindow
	out.KeepFiringFor, out.NoDataAfter = DefaultKeepFiringFor, DefaultNoDataAfter
	if out.Calendar == nil {
		out.BudgetLeft = DefaultBudgetLeft
	}
	if a != nil {
		if a.KeepFiringFor != "" {
			d, err := parsePromDuration(string(a.KeepFiringFor))
			if err != nil || d > 24*time.Hour {
				errs = append(errs, field.Invalid(p.Child("keepFiringFor"), a.KeepFiringFor, "must be a positive duration of at most 1d, such as 10m"))
			}
			out.KeepFiringFor = d
		}
		if nd := a.NoData; nd != nil {
			if nd.After != "" {
				d, err := parsePromDuration(string(nd.After))
				if err != nil || d < 2*time.Minute || d > 24*time.Hour {
					errs = append(errs, field.Invalid(p.Child("noData", "after"), nd.After, "must be a duration between 2m and 1d, such as 10m"))
				}
				out.NoDataAfter = d
			}
			if nd.Disabled {
				out.NoDataAfter = 0
			}
		}
		errs = append(errs, resolveBudgetLeft(a.BudgetLeft, p.Child("budgetLeft"), out)...)
		out.AlertsDisabled = a.Disabled
		out.MinEvents = a.MinEvents
		out.RunbookURL = a.RunbookURL
		out.ExtraLabels = a.Labels
		if a.MinEvents < 0 {
			errs = append(errs, field.Invalid(p.Child("minEvents"), a.MinEvents, "must not be negative"))
		}
		if a.RunbookURL != "" {
			if u, err := url.Parse(a.RunbookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, field.Invalid(p.Child("runbookURL"), a.RunbookURL, "must be an absolute http(s) URL"))
			} else if err := checkTemplate(a.RunbookURL); err != nil {
				errs = append(errs, field.Invalid(p.Child("runbookURL"), a.RunbookURL, err.Error()))
			}
		}
		for k, v := range a.Labels {
			if !labelNameRE.MatchString(k) || slices.Contains(reserved, k) {
				errs = append(errs, field.Invalid(p.Child("labels").Key(k), k, "must be a valid label name that Pledge does not set itself"))
			} else if strings.Contains(v, "{{") {
				errs = append(errs, field.Invalid(p.Child("labels").Key(k), v,
					"must not contain \"{{\": Prometheus expands alert label values as templates, a value that changes between evaluations (such as {{ $value }}) resets the alert's for: duration, and {{ query }} runs arbitrary PromQL"))
			}
		}
		names := map[string]bool{}
		for i, w := range a.Windows {
			if names[w.Name] {
				errs = append(errs, field.Duplicate(p.Child("windows").Index(i).Child("name"), w.Name))
			}
			names[w.Name] = true
			if !dnsLabelRE.MatchString(w.Name) {
				errs = append(errs, field.Invalid(p.Child("windows").Index(i).Child("name"), w.Name, "must be lower-case alphanumerics and '-'"))
			}
		}
		user = a.Windows
	}
	for _, w := range mergeWindows(user) {
		// Report against the user's entry when there is one, else against the defaults.
		wp := p.Child("windows")
		if ui := slices.IndexFunc(user, func(u pledgev1.BurnRateWindow) bool { return u.Name == w.Name }); ui >= 0 {
			wp = wp.Index(ui)
		}
		if w.Disabled {
			continue // not rendered, so its windows need not fit the compliance window
		}
		userPair := slices.ContainsFunc(user, func(u pledgev1.BurnRateWindow) bool { return u.Name == w.Name })
		if !userPair {
			// A default pair whose long window exceeds a short compliance window is left out.
			if long, err := parsePromDuration(string(w.Long)); err == nil && long > out.Window {
				out.Warnings = append(out.Warnings, fmt.Sprintf("default window pair %q (%s/%s) is longer than the %s compliance window and is left out",
					w.Name, w.Long, w.Short, promDuration(out.Window)))
				continue
			}
		}
		rw, werrs := resolvePair(w, wp, out.Window, maxBudget(out.Objectives))
		errs = append(errs, werrs...)
		if len(werrs) > 0 {
			continue
		}
		if !out.AlertsDisabled && rw.Factor*maxBudget(out.Objectives) >= 1 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%s: window pair %q needs an error ratio of %s%% or more for the loosest objective and can never fire",
				wp.String(), w.Name, formatFloat(100*rw.Factor*maxBudget(out.Objectives))))
		}
		out.Windows = append(out.Windows, rw)
	}
	return errs
}

// checkTemplate reports whether s, which Prometheus expands as an alert template, parses as
// Prometheus parses it when it loads rules.
func checkTemplate(s string) error {
	if !strings.Contains(s, "{{") {
		return nil
	}
	te := template.NewTemplateExpander(context.Background(), alertTemplateDefs+s, "value", nil, 0, nil, nil, nil)
	if err := te.ParseTest(); err != nil {
		return fmt.Errorf("must be a valid Prometheus template: %s", strings.TrimPrefix(err.Error(), "template: value:1: "))
	}
	return nil
}

func maxBudget(objs []Objective) float64 {
	m := 0.0
	for _, o := range objs {
		m = max(m, o.Budget)
	}
	return m
}

// resolvePair resolves one window pair for a compliance window. Its factor is the budget share
// × window ÷ long; when that could never fire for the loosest objective (factor × budget ≥ 1:
// the fast page pair of a quarterly 95% objective needs 2% × 92d ÷ 1h = 44×, an error ratio of
// 220%) and the window is longer than 30d, the pair uses its factor over 30d instead (14.4×),
// so that long windows still page on a burn that would spend a month's budget.
func resolvePair(w pledgev1.BurnRateWindow, p *field.Path, window time.Duration, budget float64) (Window, field.ErrorList) {
	var errs field.ErrorList
	if w.Severity != pledgev1.SeverityPage && w.Severity != pledgev1.SeverityTicket {
		errs = append(errs, field.NotSupported(p.Child("severity"), w.Severity, []string{"page", "ticket"}))
	}
	long, lerr := parsePromDuration(string(w.Long))
	if lerr != nil {
		errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must be a positive duration such as 1h"))
	}
	short, serr := parsePromDuration(string(w.Short))
	if serr != nil {
		errs = append(errs, field.Invalid(p.Child("short"), w.Short, "must be a positive duration such as 5m"))
	}
	share, berr := parsePercent(string(w.BudgetPercent))
	if berr != nil {
		errs = append(errs, field.Invalid(p.Child("budgetPercent"), w.BudgetPercent, "must be a percentage strictly between 0 and 100"))
	}
	if lerr == nil && serr == nil {
		switch {
		case short < baseWindow || short%time.Minute != 0:
			errs = append(errs, field.Invalid(p.Child("short"), w.Short, "must be a whole number of minutes, at least 5m"))
		case long%time.Minute != 0:
			errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must be a whole number of minutes"))
		case long <= short:
			errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must be longer than the short window "+string(w.Short)))
		case long > window:
			errs = append(errs, field.Invalid(p.Child("long"), w.Long, "must not be longer than the compliance window "+promDuration(window)))
		}
	}
	if len(errs) > 0 {
		return Window{}, errs
	}
	factor := burnFactor(share, window, long)
	if factor*budget >= 1 && window > clampWindow {
		factor = min(factor, burnFactor(share, clampWindow, long))
	}
	return Window{Name: w.Name, Severity: w.Severity, Long: long, Short: short, Factor: factor}, nil
}
