package board

import (
	"context"
	"slices"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// maxEvents is how many of a standard's most recent events its page lists.
const maxEvents = 15

// The board lists Events with an uncached reader; the manager's cache does not hold them.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=list

// RegardingName is the field selector on an Event's object name; the API server serves it
// for events.k8s.io/v1, and tests register it as an index on fake clients.
const RegardingName = "regarding.name"

type eventsView struct {
	Events []eventRow
	// Error says why the events could not be read.
	Error string
}

type eventRow struct {
	Time, Type, Reason, Note, Reporter string
	Count                              int32
}

// events lists the standard's most recent events, newest first.
func (b *Board) events(ctx context.Context, std *pledgev1.ServiceStandard) eventsView {
	var list eventsv1.EventList
	if err := b.o.Events.List(ctx, &list, client.InNamespace(std.Namespace), client.MatchingFields{RegardingName: std.Name}); err != nil {
		return eventsView{Error: err.Error()}
	}
	type dated struct {
		at time.Time
		e  *eventsv1.Event
	}
	var evs []dated
	for i := range list.Items {
		e := &list.Items[i]
		if e.Regarding.Kind != "ServiceStandard" || e.Regarding.Name != std.Name || (e.Regarding.UID != "" && e.Regarding.UID != std.UID) {
			continue
		}
		evs = append(evs, dated{eventTime(e), e})
	}
	slices.SortStableFunc(evs, func(a, b dated) int { return b.at.Compare(a.at) })
	var out eventsView
	for _, d := range evs[:min(len(evs), maxEvents)] {
		count := d.e.DeprecatedCount
		if d.e.Series != nil {
			count = d.e.Series.Count
		}
		out.Events = append(out.Events, eventRow{
			Time: d.at.UTC().Format(time.RFC3339), Type: d.e.Type, Reason: d.e.Reason, Note: d.e.Note,
			Reporter: d.e.ReportingController, Count: max(count, 1),
		})
	}
	return out
}

// eventTime is when an event last happened.
func eventTime(e *eventsv1.Event) time.Time {
	t := e.EventTime.Time
	if e.Series != nil && e.Series.LastObservedTime.After(t) {
		t = e.Series.LastObservedTime.Time
	}
	if e.DeprecatedLastTimestamp.After(t) {
		t = e.DeprecatedLastTimestamp.Time
	}
	if t.IsZero() {
		t = e.CreationTimestamp.Time
	}
	return t
}
