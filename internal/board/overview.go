package board

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// Unmeasured is the state of a standard whose status holds no objective yet (no
// --prometheus-url, or not polled yet).
const Unmeasured = "Unmeasured"

// States are the standard states the overview filters by, worst first.
var States = []string{string(pledgev1.StateBreached), string(pledgev1.StateAtRisk), string(pledgev1.StateMet), string(pledgev1.StateNoData), Unmeasured}

// StandardState sums up a standard's objectives: Breached when any is Breached, else AtRisk
// when any is AtRisk, else Met when any is Met, else NoData when it has objectives on its
// status, else Unmeasured. Objectives without data do not hide the standing of those with
// data, as in the Compliant condition.
func StandardState(st *pledgev1.ServiceStandardStatus) string {
	if len(st.Objectives) == 0 {
		return Unmeasured
	}
	has := func(s pledgev1.ObjectiveState) bool {
		return slices.ContainsFunc(st.Objectives, func(o pledgev1.ObjectiveStatus) bool { return o.State == s })
	}
	for _, s := range []pledgev1.ObjectiveState{pledgev1.StateBreached, pledgev1.StateAtRisk, pledgev1.StateMet} {
		if has(s) {
			return string(s)
		}
	}
	return string(pledgev1.StateNoData)
}

// overviewRow is one standard on the overview.
type overviewRow struct {
	Namespace, Name, Service, Score, Budget, State string
	// Conditions are the statuses of Ready, RulesLoaded, Compliant and BudgetExhausted, in
	// that order ("" when the condition is not set).
	Conditions   []string
	URL          string
	NamespaceURL string
}

// filterLink is one filter choice with its link and whether it is selected.
type filterLink struct {
	Label, URL string
	Selected   bool
}

type overviewPage struct {
	Rows             []overviewRow
	Total            int
	Namespace, State string
	Namespaces       []filterLink
	States           []filterLink
	ConditionTypes   []string
	ListError        string
}

// conditionTypes are the conditions shown for every standard.
var conditionTypes = []string{pledgev1.ConditionReady, pledgev1.ConditionRulesLoaded, pledgev1.ConditionCompliant, pledgev1.ConditionBudgetExhausted}

// StandardPath is the stable path of a standard's page.
func StandardPath(namespace, name string) string {
	return "/standards/" + url.PathEscape(namespace) + "/" + url.PathEscape(name)
}

// overviewURL is the overview's link with the given filters ("" for none).
func overviewURL(namespace, state string) string {
	v := url.Values{}
	if namespace != "" {
		v.Set("namespace", namespace)
	}
	if state != "" {
		v.Set("state", state)
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func (b *Board) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ns, state := r.URL.Query().Get("namespace"), r.URL.Query().Get("state")
	page := overviewPage{Namespace: ns, State: state, ConditionTypes: conditionTypes}
	var list pledgev1.ServiceStandardList
	if err := b.reader.List(ctx, &list); err != nil {
		page.ListError = err.Error()
		w.WriteHeader(http.StatusServiceUnavailable)
		b.execute(ctx, w, "overview.html", page)
		return
	}
	page.Total = len(list.Items)
	namespaces := map[string]bool{}
	for i := range list.Items {
		std := &list.Items[i]
		namespaces[std.Namespace] = true
		row := rowOf(std)
		if (ns != "" && std.Namespace != ns) || (state != "" && row.State != state) {
			continue
		}
		row.NamespaceURL = overviewURL(std.Namespace, state)
		page.Rows = append(page.Rows, row)
	}
	slices.SortFunc(page.Rows, func(a, b overviewRow) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	page.Namespaces = append(page.Namespaces, filterLink{Label: "all", URL: overviewURL("", state), Selected: ns == ""})
	for _, n := range sortedKeys(namespaces) {
		page.Namespaces = append(page.Namespaces, filterLink{Label: n, URL: overviewURL(n, state), Selected: n == ns})
	}
	page.States = append(page.States, filterLink{Label: "all", URL: overviewURL(ns, ""), Selected: state == ""})
	for _, s := range States {
		page.States = append(page.States, filterLink{Label: s, URL: overviewURL(ns, s), Selected: s == state})
	}
	b.execute(ctx, w, "overview.html", page)
}

func rowOf(std *pledgev1.ServiceStandard) overviewRow {
	row := overviewRow{
		Namespace: std.Namespace, Name: std.Name, Service: std.Spec.Service,
		Score: std.Status.Score, Budget: std.Status.ErrorBudgetRemaining,
		State: StandardState(&std.Status), URL: StandardPath(std.Namespace, std.Name),
	}
	for _, t := range conditionTypes {
		row.Conditions = append(row.Conditions, conditionStatus(std, t))
	}
	return row
}

func conditionStatus(std *pledgev1.ServiceStandard, t string) string {
	if c := meta.FindStatusCondition(std.Status.Conditions, t); c != nil {
		return string(c.Status)
	}
	return ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// stateClass is the CSS class of a state.
func stateClass(s string) string {
	switch s {
	case string(pledgev1.StateMet):
		return "good"
	case string(pledgev1.StateAtRisk):
		return "warn"
	case string(pledgev1.StateBreached):
		return "bad"
	}
	return "none"
}

// statusClass is the CSS class of a condition status; for BudgetExhausted, True is bad.
func statusClass(conditionType, status string) string {
	good := "True"
	if conditionType == pledgev1.ConditionBudgetExhausted {
		good = "False"
	}
	switch status {
	case "":
		return "none"
	case good:
		return "good"
	case "Unknown":
		return "none"
	}
	return "bad"
}
