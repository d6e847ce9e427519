package render

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// Route is one Alertmanager route in a neutral form.
type Route struct {
	Receiver            string
	Matchers            [][2]string // label, value (equality)
	Continue            bool
	RepeatInterval      time.Duration
	ActiveTimeIntervals []string
	Routes              []Route
}

// Routing is the Alertmanager routing of one standard: a subtree that matches only the
// standard's alerts, its receivers and time intervals, and an inhibition of tickets by pages.
type Routing struct {
	Route         Route
	GroupBy       []string
	Receivers     []monitoringv1alpha1.Receiver
	TimeIntervals []monitoringv1alpha1.MuteTimeInterval
	// Inhibit: while the standard pages for an objective, its tickets for that objective are held back.
	Inhibit InhibitRule
}

// InhibitRule holds back target alerts while a source alert fires.
type InhibitRule struct {
	Source, Target [][2]string
	Equal          []string
}

// ReceiverName is the stable, readable name of a generated receiver (and, in the plain
// Alertmanager format, of a time interval): <namespace>/<standard>/<part>. Namespace, standard,
// tier and time interval names are DNS labels, which cannot hold '/', so two standards never
// share a name (with '-' as separator, a-b/c and a/b-c did). prometheus-operator names what it
// generates from an AlertmanagerConfig the same way.
func (s *Standard) ReceiverName(part string) string {
	return s.Namespace + "/" + s.Name + "/" + part
}

// Routing renders the escalation as a route tree, or nil when the standard has no escalation.
//
// Tier alerts (escalation_tier=N) go to tier N's receivers; the informed receivers get a copy of
// tier 1 (continue: true) and nothing else; tickets go to the ticket receivers (or tier 1's);
// burn-rate page alerts, which tier 1 already covers, stop at a receiver without configs.
func (s *Standard) Routing() *Routing {
	if s.Escalation == nil {
		return nil
	}
	esc := s.Escalation
	// Alerts are grouped, and pages hold back tickets, per objective and, for a grouped
	// objective, per value of its groupBy labels (absent labels compare equal).
	objective := append([]string{LabelNamespace, LabelStandard, LabelObjective}, s.groupByLabels()...)
	r := &Routing{
		GroupBy:       objective,
		TimeIntervals: esc.TimeIntervals,
		Inhibit: InhibitRule{
			Source: [][2]string{{LabelNamespace, s.Namespace}, {LabelStandard, s.Name}, {LabelSeverity, "page"}},
			Target: [][2]string{{LabelNamespace, s.Namespace}, {LabelStandard, s.Name}, {LabelSeverity, "ticket"}},
			Equal:  slices.Clone(objective),
		},
	}
	unrouted := s.ReceiverName("unrouted")
	r.Route = Route{Receiver: unrouted, Matchers: [][2]string{{LabelNamespace, s.Namespace}, {LabelStandard, s.Name}}}
	r.Receivers = append(r.Receivers, monitoringv1alpha1.Receiver{Name: unrouted})

	tier1 := s.ReceiverName(esc.Tiers[0].Name)
	if len(esc.Informed) > 0 {
		name := s.ReceiverName("informed")
		r.Receivers = append(r.Receivers, mergeReceivers(name, esc.Informed))
		r.Route.Routes = append(r.Route.Routes, Route{
			Receiver: name, Matchers: [][2]string{{LabelTier, "1"}}, Continue: true,
		})
	}
	for _, t := range esc.Tiers {
		name := s.ReceiverName(t.Name)
		r.Receivers = append(r.Receivers, mergeReceivers(name, t.Receivers))
		rt := Route{
			Receiver: name, Matchers: [][2]string{{LabelTier, strconv.Itoa(t.Index)}},
			ActiveTimeIntervals: t.ActiveTimeIntervals,
		}
		if t.RepeatInterval != "" {
			rt.RepeatInterval, _ = time.ParseDuration(string(t.RepeatInterval))
		}
		r.Route.Routes = append(r.Route.Routes, rt)
	}
	ticket := tier1
	if len(esc.Tickets) > 0 {
		ticket = s.ReceiverName("tickets")
		r.Receivers = append(r.Receivers, mergeReceivers(ticket, esc.Tickets))
	}
	r.Route.Routes = append(r.Route.Routes, Route{Receiver: ticket, Matchers: [][2]string{{LabelSeverity, "ticket"}}})
	return r
}

// mergeReceivers folds several receivers into one named receiver holding all their
// notification configs, so that one route notifies all of them. It works on the JSON fields so
// that every kind of receiver prometheus-operator knows is carried over.
func mergeReceivers(name string, rs []pledgev1.Receiver) monitoringv1alpha1.Receiver {
	merged := map[string]any{}
	for _, r := range rs {
		for k, v := range receiverMap(r.Receiver) {
			if list, ok := v.([]any); ok {
				prev, _ := merged[k].([]any)
				merged[k] = append(prev, list...)
			}
		}
	}
	merged["name"] = name
	var out monitoringv1alpha1.Receiver
	if b, err := json.Marshal(merged); err == nil {
		_ = json.Unmarshal(b, &out)
	}
	out.Name = name
	return out
}
