package compliance

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// Live is what must be running for one standard's alerting to be live.
type Live struct {
	// Groups are the names of the generated rule groups, as the renderer names them.
	Groups []string
	// Receivers are the standard's receivers, each under every name it may carry in a running
	// Alertmanager configuration (see render.Standard.RunningReceiverNames).
	Receivers [][]string
}

// WantLive is what a resolved standard needs running.
func WantLive(s *render.Standard) Live {
	var l Live
	for _, g := range s.RuleGroups() {
		l.Groups = append(l.Groups, g.Name)
	}
	l.Receivers = s.RunningReceiverNames()
	return l
}

// Running is what the query API and Alertmanager run, read once per poll for all standards.
type Running struct {
	// Groups are the names of the rule groups the query API shows loaded.
	Groups map[string]bool
	// Receivers are the receiver names of Alertmanager's running configuration; nil when
	// Alertmanager is not checked.
	Receivers map[string]bool
	// Hints name the likely cause of what is missing for the delivery target in use;
	// OperatorHints when empty.
	Hints Hints
}

// Hints name the likely cause of a missing rule group and a missing receiver; part of the
// RulesLoaded message.
type Hints struct{ Groups, Receivers string }

// OperatorHints are the hints of the prometheus-operator target.
var OperatorHints = Hints{Groups: groupHint, Receivers: receiverHint}

// Hints name the likely cause of what is missing; part of the condition message.
const (
	groupHint = "check the Prometheus ruleSelector / ruleNamespaceSelector (kube-prometheus-stack selects release=<release name>: " +
		"set it with pledge manager --rule-labels, or set ruleSelectorNilUsesHelmValues=false), or that the rule file is loaded"
	receiverHint = "check the Alertmanager alertmanagerConfigSelector / alertmanagerConfigNamespaceSelector " +
		"(set matching labels with pledge manager --alertmanagerconfig-labels), or that the configuration is loaded"
)

// Missing lists, in order, the rule groups and receivers of l that are not running; receivers
// by their own names (the last of their names).
func (r Running) Missing(l Live) (groups, receivers []string) {
	for _, g := range l.Groups {
		if !r.Groups[g] {
			groups = append(groups, g)
		}
	}
	if r.Receivers == nil {
		return groups, nil
	}
	for _, names := range l.Receivers {
		found := false
		for _, n := range names {
			found = found || r.Receivers[n]
		}
		if !found && len(names) > 0 {
			receivers = append(receivers, names[len(names)-1])
		}
	}
	return groups, receivers
}

// RulesLoaded is the RulesLoaded condition of a standard: True when everything is running;
// while something is missing, Unknown (LoadPending) for the first grace of missingFor — the
// time prometheus-operator and the config reloaders need — and False (NotLoaded) after,
// with a message naming what is missing and the likely cause.
func (r Running) RulesLoaded(l Live, missingFor, grace time.Duration) (metav1.ConditionStatus, string, string) {
	groups, receivers := r.Missing(l)
	if len(groups) == 0 && len(receivers) == 0 {
		msg := fmt.Sprintf("Prometheus loaded %s", strings.Join(l.Groups, ", "))
		switch {
		case r.Receivers == nil:
			msg += "; Alertmanager not checked (no --alertmanager-url)"
		case len(l.Receivers) > 0:
			msg += fmt.Sprintf("; Alertmanager runs the standard's %d receivers", len(l.Receivers))
		}
		return metav1.ConditionTrue, pledgev1.ReasonLoaded, msg
	}
	hints := r.Hints
	if hints == (Hints{}) {
		hints = OperatorHints
	}
	var parts []string
	if len(groups) > 0 {
		parts = append(parts, fmt.Sprintf("no Prometheus loaded group %s; %s", strings.Join(groups, ", "), hints.Groups))
	}
	if len(receivers) > 0 {
		parts = append(parts, fmt.Sprintf("Alertmanager's running configuration lacks receiver %s (as written, or prefixed <namespace>/<AlertmanagerConfig>/ by prometheus-operator); %s",
			strings.Join(receivers, ", "), hints.Receivers))
	}
	msg := strings.Join(parts, ". ")
	if missingFor < grace {
		return metav1.ConditionUnknown, pledgev1.ReasonLoadPending,
			fmt.Sprintf("Waiting up to %s for the configuration to load: %s", grace, msg)
	}
	return metav1.ConditionFalse, pledgev1.ReasonNotLoaded, msg
}
