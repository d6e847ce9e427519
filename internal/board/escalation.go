package board

import (
	"fmt"
	"strings"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// escalationView is who is called, and when, while an objective's budget burns at page level.
type escalationView struct {
	// Source is "EscalationPolicy <name>" or "inline".
	Source    string
	Tiers     []tierRow
	Informed  []string
	Tickets   []string
	Intervals []intervalRow
}

type tierRow struct {
	Index               int
	Name, After, Repeat string
	Receivers, ActiveIn []string
}

type intervalRow struct {
	Name  string
	Lines []string
}

// escalationOf reads the resolved escalation; nil when the standard escalates to no one.
func escalationOf(s *render.Standard, spec *pledgev1.Escalation) *escalationView {
	if s.Escalation == nil {
		return nil
	}
	v := &escalationView{Source: "inline"}
	if spec != nil && spec.PolicyRef != nil {
		v.Source = "EscalationPolicy " + spec.PolicyRef.Name
	}
	for _, t := range s.Escalation.Tiers {
		row := tierRow{Index: t.Index, Name: t.Name, After: promDuration(t.After), Repeat: string(t.RepeatInterval), ActiveIn: t.ActiveTimeIntervals}
		row.Receivers = receiverNames(t.Receivers)
		v.Tiers = append(v.Tiers, row)
	}
	v.Informed = receiverNames(s.Escalation.Informed)
	v.Tickets = receiverNames(s.Escalation.Tickets)
	for _, ti := range s.Escalation.TimeIntervals {
		row := intervalRow{Name: ti.Name}
		for _, t := range ti.TimeIntervals {
			row.Lines = append(row.Lines, timeIntervalText(t))
		}
		v.Intervals = append(v.Intervals, row)
	}
	return v
}

// receiverNames names each receiver with the kinds of its configs, e.g. "pager (webhook)".
func receiverNames(rs []pledgev1.Receiver) []string {
	var out []string
	for _, r := range rs {
		var kinds []string
		for _, k := range []struct {
			name string
			n    int
		}{
			{"webhook", len(r.WebhookConfigs)}, {"email", len(r.EmailConfigs)}, {"slack", len(r.SlackConfigs)},
			{"pagerduty", len(r.PagerDutyConfigs)}, {"opsgenie", len(r.OpsGenieConfigs)}, {"msteams", len(r.MSTeamsConfigs)},
			{"victorops", len(r.VictorOpsConfigs)}, {"pushover", len(r.PushoverConfigs)}, {"telegram", len(r.TelegramConfigs)},
			{"webex", len(r.WebexConfigs)}, {"discord", len(r.DiscordConfigs)}, {"sns", len(r.SNSConfigs)},
		} {
			if k.n > 0 {
				kinds = append(kinds, k.name)
			}
		}
		name := r.Name
		if len(kinds) > 0 {
			name += " (" + strings.Join(kinds, ", ") + ")"
		}
		out = append(out, name)
	}
	return out
}

// timeIntervalText writes one time interval as a person reads it: "monday:friday 09:00–18:00
// UTC". Alertmanager evaluates AlertmanagerConfig intervals in UTC.
func timeIntervalText(t monitoringv1alpha1.TimeInterval) string {
	var parts []string
	if len(t.Weekdays) > 0 {
		parts = append(parts, joinAny(t.Weekdays))
	}
	if len(t.DaysOfMonth) > 0 {
		var ds []string
		for _, d := range t.DaysOfMonth {
			if d.End != 0 && d.End != d.Start {
				ds = append(ds, fmt.Sprintf("%d:%d", d.Start, d.End))
			} else {
				ds = append(ds, fmt.Sprint(d.Start))
			}
		}
		parts = append(parts, "days "+strings.Join(ds, ", "))
	}
	if len(t.Months) > 0 {
		parts = append(parts, joinAny(t.Months))
	}
	if len(t.Years) > 0 {
		parts = append(parts, joinAny(t.Years))
	}
	if len(t.Times) > 0 {
		var ts []string
		for _, r := range t.Times {
			ts = append(ts, fmt.Sprintf("%s–%s", r.StartTime, r.EndTime))
		}
		parts = append(parts, strings.Join(ts, ", ")+" UTC")
	}
	if len(parts) == 0 {
		return "always"
	}
	return strings.Join(parts, ", ")
}

func joinAny[S ~string](xs []S) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return strings.Join(out, ", ")
}
