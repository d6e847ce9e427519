package openslo

import (
	"fmt"
	"math/big"
	"net/mail"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// Names of Pledge's default window pairs: imported page conditions take the first two (the
// shorter lookback first), a ticket condition the third; a fourth condition keeps its name.
const (
	slotPageFast = "page-fast"
	slotPageSlow = "page-slow"
	slotTicket   = "ticket"
	// maxWindows is the most window pairs spec.alerting.windows holds.
	maxWindows = 4
	// firstTier is the name of the escalation tier that imported notification targets form.
	firstTier = "on-call"
)

// pair is an imported burn-rate condition.
type pair struct {
	name   string
	window pledgev1.BurnRateWindow
	long   time.Duration
}

// policyUse is an alert policy of an SLO, found inline or by reference.
type policyUse struct {
	spec   *AlertPolicySpec
	object string // where findings about it go
	path   string // its path within object ("" for an AlertPolicy document)
}

func (u policyUse) at(p string) string {
	if u.path == "" {
		return p
	}
	return u.path + "." + p
}

// alerting maps the SLO's alert policies: burn-rate conditions become window pairs, the
// notification targets of page conditions the first escalation tier, those of ticket
// conditions the ticket receivers.
func (im *importer) alerting(name string, spec *SLOSpec, std *pledgev1.ServiceStandard) *pledgev1.EscalationPolicy {
	if len(spec.AlertPolicies) == 0 {
		return nil
	}
	window, err := render.WindowLength(&std.Spec)
	if err != nil {
		return nil
	}
	var pairs []pair
	var pages, tickets []pledgev1.Receiver
	noData := false
	for i, use := range spec.AlertPolicies {
		u, ok := im.policyUse(use, fmt.Sprintf("spec.alertPolicies[%d]", i))
		if !ok {
			continue
		}
		if u.spec.AlertWhenNoData != nil && *u.spec.AlertWhenNoData {
			noData = true
		}
		if u.spec.Description != "" {
			im.fs.note(u.object, u.at("spec.description"), "not imported: Pledge writes its own alert descriptions")
		}
		if use.Metadata != nil && use.Metadata.DisplayName != "" {
			im.fs.note(u.object, u.at("metadata.displayName"), "not imported: Pledge objects have no display name")
		}
		if b := u.spec.AlertWhenBreaching; b != nil && !*b {
			im.fs.add(u.object, u.at("spec.alertWhenBreaching"), "false is not supported: Pledge alerts while the budget burns; the policy's condition and targets are not imported")
			continue
		}
		pr, ok := im.condition(u, window, windowText(&std.Spec))
		receivers := im.receivers(u, ok)
		if !ok {
			continue
		}
		pairs = append(pairs, pr)
		if pr.window.Severity == pledgev1.SeverityPage {
			pages = mergeReceivers(im, u, pages, receivers)
		} else {
			tickets = mergeReceivers(im, u, tickets, receivers)
		}
	}
	if len(pairs) == 0 {
		im.fs.add(im.object, "spec.alertPolicies", "no alert condition maps; Pledge's default burn-rate alerts apply")
		return nil
	}
	windows := im.slots(pairs)
	alerting := &pledgev1.Alerting{}
	if !reflect.DeepEqual(windows, defaultWindows()) {
		alerting.Windows = windows
	}
	if !noData {
		alerting.NoData = &pledgev1.NoDataAlert{Disabled: true}
	}
	if !reflect.DeepEqual(alerting, &pledgev1.Alerting{}) {
		std.Spec.Alerting = alerting
	}
	if len(pages) == 0 && len(tickets) == 0 {
		return nil
	}
	policy := &pledgev1.EscalationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: pledgev1.GroupVersion.String(), Kind: "EscalationPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: std.Namespace},
	}
	tier := pledgev1.EscalationTier{Name: firstTier, After: "0m", Receivers: pages}
	switch {
	case len(pages) == 0:
		tier.Receivers = tickets
	case !reflect.DeepEqual(pages, tickets):
		// Tickets go to the first tier's receivers unless the policy names its own.
		policy.Spec.Tickets = tickets
	}
	policy.Spec.Tiers = []pledgev1.EscalationTier{tier}
	std.Spec.Escalation = &pledgev1.Escalation{PolicyRef: &pledgev1.PolicyReference{Name: name}}
	return policy
}

// defaultWindows are Pledge's defaults as explicit entries, to recognise an import that
// reproduces them.
func defaultWindows() []pledgev1.BurnRateWindow {
	return slices.Clone(render.DefaultWindows)
}

func (im *importer) policyUse(use AlertPolicyUse, p string) (policyUse, bool) {
	if use.AlertPolicyRef != "" {
		if use.Spec != nil || use.Metadata != nil {
			im.fs.add(im.object, p, "set either alertPolicyRef or an inline policy; the reference is used")
		}
		s, ok := im.policies[use.AlertPolicyRef]
		if !ok {
			im.fs.add(im.object, p+".alertPolicyRef", fmt.Sprintf("AlertPolicy %q is not among the documents", use.AlertPolicyRef))
			return policyUse{}, false
		}
		return policyUse{spec: s, object: objectName(KindAlertPolicy, use.AlertPolicyRef)}, true
	}
	if use.Spec == nil || (use.Kind != "" && use.Kind != KindAlertPolicy) {
		im.fs.add(im.object, p, "needs alertPolicyRef or an inline AlertPolicy (kind, metadata, spec)")
		return policyUse{}, false
	}
	return policyUse{spec: use.Spec, object: im.object, path: p}, true
}

// condition maps the policy's burn-rate condition to a window pair.
func (im *importer) condition(u policyUse, window time.Duration, windowText string) (pair, bool) {
	conds := u.spec.Conditions
	if len(conds) == 0 {
		im.fs.add(u.object, u.at("spec.conditions"), "the policy has no condition")
		return pair{}, false
	}
	for i := range conds[1:] {
		im.fs.add(u.object, u.at(fmt.Sprintf("spec.conditions[%d]", i+1)), "OpenSLO allows one condition per policy; ignored")
	}
	c := conds[0]
	object, p := u.object, u.at("spec.conditions[0]")
	var name string
	var spec *AlertConditionSpec
	if c.ConditionRef != "" {
		s, ok := im.conditions[c.ConditionRef]
		if !ok {
			im.fs.add(object, p+".conditionRef", fmt.Sprintf("AlertCondition %q is not among the documents", c.ConditionRef))
			return pair{}, false
		}
		name, spec, object, p = c.ConditionRef, s, objectName(KindAlertCondition, c.ConditionRef), ""
	} else {
		if c.Spec == nil || c.Metadata == nil || (c.Kind != "" && c.Kind != KindAlertCondition) {
			im.fs.add(object, p, "needs conditionRef or an inline AlertCondition (kind, metadata, spec)")
			return pair{}, false
		}
		name, spec = c.Metadata.Name, c.Spec
		if c.Metadata.DisplayName != "" {
			im.fs.note(object, p+".metadata.displayName", "not imported: Pledge objects have no display name")
		}
	}
	at := func(f string) string {
		if p == "" {
			return f
		}
		return p + "." + f
	}
	if spec.Description != "" {
		im.fs.note(object, at("spec.description"), "not imported: Pledge writes its own alert descriptions")
	}
	var sev pledgev1.Severity
	switch spec.Severity {
	case "page":
		sev = pledgev1.SeverityPage
	case "ticket":
		sev = pledgev1.SeverityTicket
	default:
		im.fs.add(object, at("spec.severity"), fmt.Sprintf("%q is not supported: Pledge alerts are page or ticket; condition not imported", spec.Severity))
		return pair{}, false
	}
	rule := spec.Condition
	cp := at("spec.condition")
	if rule.Kind != "" && rule.Kind != "burnrate" {
		im.fs.add(object, cp+".kind", fmt.Sprintf("%q is not supported: Pledge alerts on burn rates; condition not imported", rule.Kind))
		return pair{}, false
	}
	if rule.Op != "gt" && rule.Op != "gte" {
		im.fs.add(object, cp+".op", fmt.Sprintf("%q is not supported: a burn-rate alert fires when the rate exceeds the threshold (gt or gte); condition not imported", rule.Op))
		return pair{}, false
	}
	long, err := fixedDuration(rule.LookbackWindow)
	if err != nil {
		im.fs.add(object, cp+".lookbackWindow", err.Error()+"; condition not imported")
		return pair{}, false
	}
	if long > window || long <= 5*time.Minute {
		im.fs.add(object, cp+".lookbackWindow", fmt.Sprintf("%s is not supported: Pledge needs a lookback longer than 5m and within the %s window; condition not imported", rule.LookbackWindow, windowText))
		return pair{}, false
	}
	if rule.AlertAfter != "" {
		if d, err := fixedDuration(rule.AlertAfter); err != nil || d > 0 {
			im.fs.add(object, cp+".alertAfter", rule.AlertAfter+" is not supported: Pledge confirms a burn with a short window instead of waiting; ignored")
		}
	}
	if rule.Threshold == nil {
		im.fs.add(object, cp+".threshold", "a burn-rate threshold is required; condition not imported")
		return pair{}, false
	}
	factor, ok := rat(*rule.Threshold)
	if !ok || factor.Sign() <= 0 {
		im.fs.add(object, cp+".threshold", fmt.Sprintf("%s is not a positive burn rate; condition not imported", *rule.Threshold))
		return pair{}, false
	}
	// budgetPercent is the share of the window's budget spent within the lookback at this rate.
	bp := budgetShare(factor, long, window)
	if bp.Cmp(big.NewRat(100, 1)) >= 0 {
		im.fs.add(object, cp+".threshold", fmt.Sprintf("%s over %s spends the whole %s budget: it can never fire; condition not imported", *rule.Threshold, rule.LookbackWindow, windowText))
		return pair{}, false
	}
	share, exact := decimal(bp)
	if !exact {
		im.fs.note(object, cp+".threshold", fmt.Sprintf("burn rate %s over %s is %s%% of the budget, rounded to %d decimals", *rule.Threshold, rule.LookbackWindow, share, maxDecimals))
	}
	short := max(5*time.Minute, (long / 12).Truncate(time.Minute))
	im.fs.note(object, cp+".lookbackWindow", fmt.Sprintf("Pledge confirms the %s lookback with a %s short window (a twelfth, at least 5m)", rule.LookbackWindow, promDuration(short)))
	return pair{name: name, long: long, window: pledgev1.BurnRateWindow{
		Severity: sev, Long: pledgev1.PromDuration(promDuration(long)), Short: pledgev1.PromDuration(promDuration(short)),
		BudgetPercent: pledgev1.Percent(share),
	}}, true
}

// windowText names the standard's window as written: "28d", "month", "quarter".
func windowText(s *pledgev1.ServiceStandardSpec) string {
	switch {
	case s.Calendar != nil:
		return string(s.Calendar.Period)
	case s.Window != "":
		return string(s.Window)
	}
	return promDuration(render.DefaultWindow)
}

// budgetShare is the percentage of the window's error budget spent within long at a burn rate
// of factor: factor × long ÷ window × 100.
func budgetShare(factor *big.Rat, long, window time.Duration) *big.Rat {
	return new(big.Rat).Mul(factor, big.NewRat(100*int64(long/time.Minute), int64(window/time.Minute)))
}

// slots names the pairs: pages by lookback take page-fast and page-slow, the first ticket
// takes ticket, one more pair keeps its condition's name; unused default slots are disabled.
func (im *importer) slots(pairs []pair) []pledgev1.BurnRateWindow {
	slices.SortStableFunc(pairs, func(a, b pair) int { return int(a.long - b.long) })
	free := map[pledgev1.Severity][]string{pledgev1.SeverityPage: {slotPageFast, slotPageSlow}, pledgev1.SeverityTicket: {slotTicket}}
	byName := map[string]pledgev1.BurnRateWindow{}
	var extra []pledgev1.BurnRateWindow
	for _, pr := range pairs {
		w := pr.window
		if f := free[w.Severity]; len(f) > 0 {
			w.Name, free[w.Severity] = f[0], f[1:]
			byName[w.Name] = w
			continue
		}
		if len(extra) == maxWindows-3 {
			im.fs.add(objectName(KindAlertCondition, pr.name), "", fmt.Sprintf("not imported: Pledge holds at most %d window pairs", maxWindows))
			continue
		}
		w.Name = windowName(pr.name)
		extra = append(extra, w)
	}
	var out []pledgev1.BurnRateWindow
	for _, slot := range []string{slotPageFast, slotPageSlow, slotTicket} {
		w, ok := byName[slot]
		if !ok {
			w = pledgev1.BurnRateWindow{Name: slot, Disabled: true}
		}
		out = append(out, w)
	}
	return append(out, extra...)
}

// windowName makes a window pair name (a DNS label of at most 40 characters) that is none of
// the default slots.
func windowName(s string) string {
	n := strings.Trim(strings.ReplaceAll(strings.ReplaceAll(slug(s), "_", "-"), ".", "-"), "-")
	if len(n) > 36 {
		n = strings.Trim(n[:36], "-")
	}
	if n == "" || slices.Contains([]string{slotPageFast, slotPageSlow, slotTicket}, n) || len(validation.IsDNS1123Label(n)) > 0 {
		n = "extra-" + n
		n = strings.Trim(n, "-")
	}
	return n
}

// receivers maps the policy's notification targets: a URL becomes a webhook, an e-mail address
// an e-mail receiver. used is false when the policy's condition did not map.
func (im *importer) receivers(u policyUse, used bool) []pledgev1.Receiver {
	var out []pledgev1.Receiver
	for i, t := range u.spec.NotificationTargets {
		object, p := u.object, u.at(fmt.Sprintf("spec.notificationTargets[%d]", i))
		var name string
		var spec *TargetSpec
		if t.TargetRef != "" {
			s, ok := im.targets[t.TargetRef]
			if !ok {
				im.fs.add(object, p+".targetRef", fmt.Sprintf("AlertNotificationTarget %q is not among the documents", t.TargetRef))
				continue
			}
			name, spec, object, p = t.TargetRef, s, objectName(KindAlertNotificationTarget, t.TargetRef), "spec"
		} else {
			if t.Spec == nil || t.Metadata == nil || (t.Kind != "" && t.Kind != KindAlertNotificationTarget) {
				im.fs.add(object, p, "needs targetRef or an inline AlertNotificationTarget (kind, metadata, spec)")
				continue
			}
			if t.Metadata.DisplayName != "" {
				im.fs.note(object, p+".metadata.displayName", "not imported: Pledge objects have no display name")
			}
			name, spec, p = t.Metadata.Name, t.Spec, p+".spec"
		}
		if !used {
			im.fs.add(object, p, "not imported: its policy's condition does not map")
			continue
		}
		r, ok := receiver(name, spec.Target, u.spec.AlertWhenResolved)
		if !ok {
			im.fs.add(object, p+".target", fmt.Sprintf("%q names no address: Pledge maps an http(s) URL to a webhook and an e-mail address to e-mail; add this receiver to the EscalationPolicy by hand", spec.Target))
			continue
		}
		if spec.Description != "" {
			im.fs.note(object, p+".description", "not imported: receivers have no description")
		}
		out = append(out, r)
	}
	return out
}

// receiver builds an Alertmanager receiver for a target that is a URL or an e-mail address.
func receiver(name, target string, resolved *bool) (pledgev1.Receiver, bool) {
	r := pledgev1.Receiver{Receiver: monitoringv1alpha1.Receiver{Name: name}}
	if u, err := url.Parse(target); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		r.WebhookConfigs = []monitoringv1alpha1.WebhookConfig{{URL: &target, SendResolved: resolved}}
		return r, true
	}
	addr := strings.TrimPrefix(target, "mailto:")
	if a, err := mail.ParseAddress(addr); err == nil && a.Name == "" && a.Address == addr {
		r.EmailConfigs = []monitoringv1alpha1.EmailConfig{{To: &addr, SendResolved: resolved}}
		return r, true
	}
	return r, false
}

// mergeReceivers adds receivers by name; one name with two different configurations is a
// finding.
func mergeReceivers(im *importer, u policyUse, into, add []pledgev1.Receiver) []pledgev1.Receiver {
	for _, r := range add {
		i := slices.IndexFunc(into, func(o pledgev1.Receiver) bool { return o.Name == r.Name })
		switch {
		case i < 0:
			into = append(into, r)
		case !reflect.DeepEqual(into[i].Receiver, r.Receiver):
			im.fs.add(u.object, u.at("spec.notificationTargets"), fmt.Sprintf("target %q is used with two configurations (alertWhenResolved differs); the first is kept", r.Name))
		}
	}
	return into
}
