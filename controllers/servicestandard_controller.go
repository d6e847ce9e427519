// Package controllers reconciles ServiceStandards into PrometheusRules and
// AlertmanagerConfigs, and validates EscalationPolicies.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/policies"
	"github.com/pledge-dev/pledge/internal/render"
)

// policyRefIndex indexes ServiceStandards by the EscalationPolicy they reference.
const policyRefIndex = "spec.escalation.policyRef.name"

// ServiceStandardReconciler resolves each ServiceStandard, hands it to the delivery target
// (PrometheusRule and AlertmanagerConfig, plain files, or ConfigMaps), and reports what it did on
// the standard's status.
type ServiceStandardReconciler struct {
	client.Client
	Recorder recorder.EventRecorder
	Metrics  *Metrics
	// Target delivers the rules and routing.
	Target Target
	// Cluster labels every generated series and alert (pledge manager --cluster-label).
	Cluster render.ClusterLabel
	// Workers is how many standards are reconciled at once (default 1).
	Workers int
}

// +kubebuilder:rbac:groups=pledge.dev,resources=servicestandards,verbs=get;list;watch
// +kubebuilder:rbac:groups=pledge.dev,resources=servicestandards/status,verbs=get;patch
// +kubebuilder:rbac:groups=pledge.dev,resources=servicestandards/finalizers,verbs=update
// +kubebuilder:rbac:groups=pledge.dev,resources=escalationpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=prometheusrules;alertmanagerconfigs,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings the generated objects of one standard up to date.
func (r *ServiceStandardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	log := logf.FromContext(ctx)
	std := &pledgev1.ServiceStandard{}
	if err := r.Get(ctx, req.NamespacedName, std); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		r.Metrics.Forget(req.NamespacedName)
		return ctrl.Result{}, r.Target.Remove(ctx, req.NamespacedName)
	}
	before := std.DeepCopy()
	defer func() {
		std.Status.ObservedGeneration = std.Generation
		r.Metrics.Observe(std)
		if semanticEqual(before.Status, std.Status) {
			return
		}
		// Optimistic locking: the compliance runner writes other parts of the status, and a merge
		// patch replaces the conditions list whole; a conflict is retried on fresh data.
		if err := r.Status().Patch(ctx, std, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, fmt.Errorf("writing status: %w", err))
		}
	}()

	now := time.Now()
	resolved, reason, msg, err := resolveStandard(ctx, r.Client, std, now, r.Cluster)
	if resolved == nil {
		r.setReady(std, false, reason, msg)
		if reason == pledgev1.ReasonInvalidSpec {
			log.Info("Spec is invalid; generated objects are left as they were", "reason", msg)
		}
		return ctrl.Result{}, err
	}

	generated, err := r.Target.Deliver(ctx, std, resolved)
	if err != nil {
		reason, retry, after := deliveryFailure(err)
		r.setReady(std, false, reason, err.Error())
		if !retry {
			return ctrl.Result{RequeueAfter: after}, nil
		}
		return ctrl.Result{}, err
	}
	std.Status.Generated = generated
	parts := make([]string, 0, len(generated))
	for _, g := range generated {
		parts = append(parts, fmt.Sprintf("%s %s (%d)", g.Kind, g.Name, g.Rules))
	}
	msg = "Applied " + strings.Join(parts, ", ")
	if w := strings.Join(resolved.Warnings, "; "); w != "" {
		r.warnOnChange(std, w)
		msg += warningsMarker + w
	}
	r.setReady(std, true, pledgev1.ReasonApplied, msg)
	// A calendar standard's burn-rate factors follow the length of the current period: render
	// it again when the next one starts.
	if next, ok := render.NextPeriodStartOf(&std.Spec, now); ok {
		return ctrl.Result{RequeueAfter: next.Sub(now) + time.Second}, nil
	}
	return ctrl.Result{}, nil
}

// warningsMarker introduces the render warnings in the Ready message.
const warningsMarker = "; warnings: "

// warnOnChange records a RenderWarning event when the render warnings differ from those the
// Ready message names, so that unchanged warnings are not repeated on every reconcile.
func (r *ServiceStandardReconciler) warnOnChange(std *pledgev1.ServiceStandard, warnings string) {
	if old := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionReady); old != nil {
		if _, prev, _ := strings.Cut(old.Message, warningsMarker); prev == warnings {
			return
		}
	}
	if r.Recorder != nil {
		r.Recorder.Eventf(std, nil, corev1.EventTypeWarning, pledgev1.ReasonRenderWarning, "Render", "%s", truncate(warnings, 1024))
	}
}

// setReady sets the Ready condition and records an event when it changes.
func (r *ServiceStandardReconciler) setReady(std *pledgev1.ServiceStandard, ready bool, reason, msg string) {
	if !setCondition(&std.Status.Conditions, readyCondition(std, ready, reason, msg)) {
		return
	}
	eventType := corev1.EventTypeNormal
	if !ready {
		eventType = corev1.EventTypeWarning
	}
	if r.Recorder != nil {
		r.Recorder.Eventf(std, nil, eventType, reason, "Reconcile", "%s", truncate(msg, 1024))
	}
}

// resolveStandard validates the standard with its referenced policy, for the calendar period
// that contains now, with the cluster label (an objective grouped by its name is invalid). On
// failure it returns nil with the reason and message for the Ready condition, and an error
// when it should be retried (the policy could not be read).
func resolveStandard(ctx context.Context, c client.Reader, std *pledgev1.ServiceStandard, now time.Time, cluster render.ClusterLabel) (*render.Standard, string, string, error) {
	resolved, errs := render.ResolveAt(std, policies.From(ctx, c), now)
	errs = append(errs, render.CheckClusterLabel(&std.Spec, cluster)...)
	if len(errs) == 0 {
		resolved.Cluster = cluster
		return resolved, "", "", nil
	}
	for _, e := range errs {
		if e.Type == field.ErrorTypeInternal {
			return nil, pledgev1.ReasonApplyFailed, e.Error(), e
		}
	}
	if len(errs) == 1 && errs[0].Type == field.ErrorTypeNotFound && render.OnlyPolicyProblems(errs) {
		return nil, pledgev1.ReasonPolicyNotFound, fmt.Sprintf("%s: EscalationPolicy %q not found in namespace %s", errs[0].Field, errs[0].BadValue, std.Namespace), nil
	}
	return nil, pledgev1.ReasonInvalidSpec, errs.ToAggregate().Error(), nil
}

// SetupWithManager registers the controller: standards, the policies they reference (through
// a field index), and what the target watches (the generated objects, so that hand edits are
// put back).
func (r *ServiceStandardReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &pledgev1.ServiceStandard{}, policyRefIndex, func(o client.Object) []string {
		if e := o.(*pledgev1.ServiceStandard).Spec.Escalation; e != nil && e.PolicyRef != nil {
			return []string{e.PolicyRef.Name}
		}
		return nil
	}); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&pledgev1.ServiceStandard{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&pledgev1.EscalationPolicy{}, handler.EnqueueRequestsFromMapFunc(r.standardsForPolicy),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("servicestandard").
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Workers, 1)})
	b, start := r.Target.watch(mgr, b)
	c, err := b.Build(r)
	if err != nil || start == nil {
		return err
	}
	return start(c)
}

// standardsForPolicy maps a policy to the standards that reference it.
func (r *ServiceStandardReconciler) standardsForPolicy(ctx context.Context, o client.Object) []ctrl.Request {
	var list pledgev1.ServiceStandardList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{policyRefIndex: o.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "Listing standards for policy", "policy", client.ObjectKeyFromObject(o))
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}
