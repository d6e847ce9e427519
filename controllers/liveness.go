package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// RuleGroupReader reads the names of the rule groups the query API shows loaded
// (*compliance.PrometheusQuerier).
type RuleGroupReader interface {
	LoadedRuleGroups(ctx context.Context, cluster render.ClusterLabel) (map[string]bool, error)
}

// ReceiverReader reads the receiver names of Alertmanager's running configuration
// (*compliance.AlertmanagerReader).
type ReceiverReader interface {
	Receivers(ctx context.Context) (map[string]bool, error)
}

// LivenessChecker confirms once per interval that Prometheus (and Alertmanager) run what was
// generated for every standard, and writes the RulesLoaded condition: one request to each per
// poll, whatever the number of standards. It runs apart from the compliance measurement, so
// that a standard whose standing cannot be measured is still checked.
type LivenessChecker struct {
	Client client.Client
	// Reader reads fresh objects after a write conflict; Client when nil.
	Reader client.Reader
	// Prometheus reads the loaded rule groups; nil when the manager has no --prometheus-url
	// (RulesLoaded is then Unknown).
	Prometheus RuleGroupReader
	// Alertmanager reads the running receivers; nil when they are not checked.
	Alertmanager ReceiverReader
	// Cluster, when set, counts only the rule groups whose rules carry it (--cluster-label).
	Cluster  render.ClusterLabel
	Interval time.Duration
	// Grace is how long something generated may be missing before RulesLoaded is False.
	Grace time.Duration
	// Hints name the likely cause of what is missing, for the delivery target (set by Setup).
	Hints    compliance.Hints
	Recorder recorder.EventRecorder
	Metrics  *Metrics
	// Now returns the current time (time.Now when nil).
	Now func() time.Time

	// missing records since when each standard (at a generation) has lacked something.
	missing map[types.NamespacedName]missingSince
}

type missingSince struct {
	generation int64
	since      time.Time
}

// Start polls until the context ends.
func (l *LivenessChecker) Start(ctx context.Context) error {
	t := time.NewTicker(l.Interval)
	defer t.Stop()
	for {
		if err := l.Poll(ctx); err != nil {
			logf.FromContext(ctx).WithName("liveness").Error(err, "Checking that the generated configuration is loaded")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// NeedLeaderElection makes only the leader check.
func (l *LivenessChecker) NeedLeaderElection() bool { return true }

// Poll checks every standard once and writes the RulesLoaded conditions that changed.
func (l *LivenessChecker) Poll(ctx context.Context) error {
	// The list shares the cache's standards rather than copying every one at once (10,000
	// standards are tens of MiB); a standard is copied only to write its status.
	var list pledgev1.ServiceStandardList
	if err := l.Client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return err
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	running, unchecked, err := l.read(ctx)
	missing := map[types.NamespacedName]missingSince{}
	counts := map[metav1.ConditionStatus]int{}
	for i := range list.Items {
		std := &list.Items[i]
		cond := unchecked
		if cond.Reason == "" {
			cond = l.check(ctx, std, running, now, missing)
		}
		cond.Type, cond.ObservedGeneration = pledgev1.ConditionRulesLoaded, std.Generation
		ctx := logf.IntoContext(ctx, logf.FromContext(ctx).WithName("liveness"))
		writeStatus(ctx, l.Client, l.Reader, std.DeepCopy(), func(s *pledgev1.ServiceStandard) { l.set(s, cond) })
		counts[cond.Status]++
	}
	l.missing = missing
	l.Metrics.RulesLoaded(counts)
	return err
}

// read reads what Prometheus and Alertmanager run. When they cannot be read, it returns the
// Unknown condition every standard gets instead.
func (l *LivenessChecker) read(ctx context.Context) (compliance.Running, metav1.Condition, error) {
	r := compliance.Running{Hints: l.Hints}
	if l.Prometheus == nil {
		return r, metav1.Condition{Status: metav1.ConditionUnknown, Reason: pledgev1.ReasonNotChecked,
			Message: "Not checked: the manager runs without --prometheus-url"}, nil
	}
	var err error
	if r.Groups, err = l.Prometheus.LoadedRuleGroups(ctx, l.Cluster); err != nil {
		return r, metav1.Condition{Status: metav1.ConditionUnknown, Reason: pledgev1.ReasonPrometheusUnavailable,
			Message: truncate(err.Error(), 1024)}, err
	}
	if l.Alertmanager != nil {
		if r.Receivers, err = l.Alertmanager.Receivers(ctx); err != nil {
			return r, metav1.Condition{Status: metav1.ConditionUnknown, Reason: pledgev1.ReasonAlertmanagerUnavailable,
				Message: truncate(err.Error(), 1024)}, err
		}
	}
	return r, metav1.Condition{}, nil
}

// check decides the condition of one standard and records in missing since when it lacks
// something. A standard already NotLoaded at its generation gets no new grace period (after a
// restart or a change of leader, say).
func (l *LivenessChecker) check(ctx context.Context, std *pledgev1.ServiceStandard, running compliance.Running, now time.Time, missing map[types.NamespacedName]missingSince) metav1.Condition {
	ready := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionReady)
	if ready == nil || ready.Status != metav1.ConditionTrue || ready.ObservedGeneration != std.Generation {
		msg := "Not checked: the generated objects are not applied yet"
		if ready != nil && ready.Status == metav1.ConditionFalse {
			msg = "Not checked: the generated objects are not applied (Ready is False: " + ready.Reason + ")"
		}
		return metav1.Condition{Status: metav1.ConditionUnknown, Reason: pledgev1.ReasonNotChecked, Message: msg}
	}
	resolved, reason, msg, _ := resolveStandard(ctx, l.Client, std, now, l.Cluster)
	if resolved == nil {
		return metav1.Condition{Status: metav1.ConditionUnknown, Reason: reason, Message: "Not checked: " + truncate(msg, 1024)}
	}
	want := compliance.WantLive(resolved)
	key := client.ObjectKeyFromObject(std)
	m, ok := l.missing[key]
	if !ok || m.generation != std.Generation {
		m = missingSince{generation: std.Generation, since: now}
		if old := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionRulesLoaded); old != nil &&
			old.Reason == pledgev1.ReasonNotLoaded && old.ObservedGeneration == std.Generation {
			m.since = now.Add(-l.Grace)
		}
	}
	status, reason, msg := running.RulesLoaded(want, now.Sub(m.since), l.Grace)
	if status != metav1.ConditionTrue {
		missing[key] = m
	}
	return metav1.Condition{Status: status, Reason: reason, Message: truncate(msg, 32768)}
}

// set puts the condition on the standard and records an event when its status or reason
// changes.
func (l *LivenessChecker) set(std *pledgev1.ServiceStandard, cond metav1.Condition) {
	old := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionRulesLoaded)
	changed := old == nil || old.Status != cond.Status || old.Reason != cond.Reason
	setCondition(&std.Status.Conditions, cond)
	if !changed || l.Recorder == nil {
		return
	}
	eventType := corev1.EventTypeNormal
	if cond.Status == metav1.ConditionFalse {
		eventType = corev1.EventTypeWarning
	}
	l.Recorder.Eventf(std, nil, eventType, cond.Reason, "CheckLoaded", "RulesLoaded %s: %s", cond.Status, truncate(cond.Message, 1024))
}
