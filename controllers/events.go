package controllers

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	eventsclient "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record/util"
	"k8s.io/client-go/tools/reference"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
)

// Events writes the operator's events as events.k8s.io/v1 Events, each one its own Event with
// its own note, from a bounded queue.
//
// client-go's events recorder (what the manager's GetEventRecorder returns) folds events of one
// type, reason and action on one object within six minutes into a series that keeps the first
// one's note: two objectives breached in one poll showed as one event naming only one of them.
// It also keeps a copy of every event it wrote for six to twelve minutes (37.5 MB of the live
// heap while 10,000 standards were created). Pledge records events on transitions only, so each
// is written as it is; nothing is held once written.
type Events struct {
	client  eventsclient.EventsGetter
	scheme  *runtime.Scheme
	metrics *Metrics
	host    string
	queue   chan *eventsv1.Event
	workers int
	// retry is the wait before the second try of a write that failed for a reason that may pass.
	retry time.Duration
}

// EventQueue is how many events may wait to be written: at about 1 KB each, a bounded few MB.
const EventQueue = 4096

// eventTries is how many times a write that failed for a transient reason is tried.
const eventTries = 3

// NewEvents returns the event writer for cfg; add it to the manager (mgr.Add) to start writing.
// httpClient may be nil. Its requests have their own rate limit, as the manager's recorder's do,
// so that a burst of events does not slow the reconciles.
func NewEvents(cfg *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, m *Metrics) (*Events, error) {
	var c *eventsclient.EventsV1Client
	var err error
	if httpClient != nil {
		c, err = eventsclient.NewForConfigAndClient(cfg, httpClient)
	} else {
		c, err = eventsclient.NewForConfig(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("events client: %w", err)
	}
	host, _ := os.Hostname()
	return &Events{client: c, scheme: scheme, metrics: m, host: host,
		queue: make(chan *eventsv1.Event, EventQueue), workers: 4, retry: time.Second}, nil
}

// Recorder returns a recorder whose events name controller as their reportingController.
func (e *Events) Recorder(controller string) recorder.EventRecorder {
	instance := controller + "-" + e.host
	if len(instance) > 128 { // the API's limit on reportingInstance
		instance = instance[:128]
	}
	return &eventRecorder{events: e, controller: controller, instance: instance}
}

// NeedLeaderElection is false: a manager that is not the leader records no events, and one that
// becomes the leader must not wait for its writer.
func (e *Events) NeedLeaderElection() bool { return false }

// Start writes queued events until ctx is done, then what is still queued for up to five seconds.
func (e *Events) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("events")
	var wg sync.WaitGroup
	for range e.workers {
		wg.Go(func() {
			for {
				select {
				case ev := <-e.queue:
					e.write(ctx, log, ev)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	<-ctx.Done()
	wg.Wait()
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for {
		select {
		case ev := <-e.queue:
			e.write(drain, log, ev)
		default:
			return nil
		}
	}
}

// write creates ev, trying again when the failure may pass (the API server unreachable,
// overloaded or timing out); an event the server rejects is logged and counted as failed.
func (e *Events) write(ctx context.Context, log logr.Logger, ev *eventsv1.Event) {
	wait := e.retry
	for try := 1; ; try++ {
		_, err := e.client.Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
		if err == nil || (try > 1 && apierrors.IsAlreadyExists(err)) { // an earlier try wrote it after all
			e.metrics.event("written")
			return
		}
		transient := !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) && !apierrors.IsNotFound(err) &&
			!apierrors.IsAlreadyExists(err) && !apierrors.IsBadRequest(err)
		if !transient || try == eventTries || ctx.Err() != nil {
			log.Error(err, "event not written", "namespace", ev.Namespace, "regarding", ev.Regarding.Name,
				"reason", ev.Reason, "note", ev.Note)
			e.metrics.event("failed")
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// enqueue queues ev, or drops and counts it when the queue is full (the API server has not kept
// up with the last EventQueue events): reconciles never wait for an event.
func (e *Events) enqueue(ev *eventsv1.Event) {
	select {
	case e.queue <- ev:
	default:
		logf.Log.WithName("events").Error(nil, "event queue full: event dropped", "namespace", ev.Namespace,
			"regarding", ev.Regarding.Name, "reason", ev.Reason, "note", ev.Note)
		e.metrics.event("dropped")
	}
}

type eventRecorder struct {
	events               *Events
	controller, instance string
}

var _ recorder.EventRecorder = (*eventRecorder)(nil)

func (r *eventRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.AnnotatedEventf(regarding, related, nil, eventtype, reason, action, note, args...)
}

func (r *eventRecorder) AnnotatedEventf(regarding, related runtime.Object, annotations map[string]string, eventtype, reason, action, note string, args ...any) {
	log := logf.Log.WithName("events")
	ref, err := reference.GetReference(r.events.scheme, regarding)
	if err != nil {
		log.Error(err, "event not recorded: no reference to its object", "reason", reason)
		r.events.metrics.event("failed")
		return
	}
	if !util.ValidateEventType(eventtype) {
		log.Error(nil, "event not recorded: type is neither Normal nor Warning", "type", eventtype, "reason", reason)
		r.events.metrics.event("failed")
		return
	}
	var rel *corev1.ObjectReference
	if related != nil {
		if rel, err = reference.GetReference(r.events.scheme, related); err != nil {
			log.Error(err, "event recorded without its related object", "reason", reason)
		}
	}
	now := time.Now()
	ns := ref.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	r.events.enqueue(&eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:        util.GenerateEventName(ref.Name, now.UnixNano()),
			Namespace:   ns,
			Annotations: annotations,
		},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             rel,
		Note:                truncate(fmt.Sprintf(note, args...), 1024), // the API's limit on note
		Type:                eventtype,
	})
}
