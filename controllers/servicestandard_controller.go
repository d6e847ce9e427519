// Package controllers reconciles ServiceStandards into PrometheusRules and
// AlertmanagerConfigs, and validates EscalationPolicies.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// policyRefIndex indexes ServiceStandards by the EscalationPolicy they reference.
const policyRefIndex = "spec.escalation.policyRef.name"

// ServiceStandardReconciler turns each ServiceStandard into a PrometheusRule and, when it has
// an escalation, an AlertmanagerConfig, and reports what it did on the standard's status.
type ServiceStandardReconciler struct {
	client.Client
	// APIReader reads from the API server, past the cache: the cache holds only the generated
	// objects labelled as Pledge's.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  recorder.EventRecorder
	Metrics   *Metrics
	// CRDRetryInterval is how often a standard is retried while the prometheus-operator CRDs
	// are missing (default 30s).
	CRDRetryInterval time.Duration
	// RuleLabels and AlertmanagerConfigLabels are platform labels on the generated objects (see
	// render.AddLabels), for the Prometheus ruleSelector and alertmanagerConfigSelector.
	RuleLabels, AlertmanagerConfigLabels map[string]string
	// Cluster labels every generated series and alert (pledge manager --cluster-label).
	Cluster render.ClusterLabel
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
		if apierrors.IsNotFound(err) {
			r.Metrics.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
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

	resolved, reason, msg := resolveStandard(ctx, r.Client, std)
	if resolved == nil {
		r.setReady(std, false, reason, msg)
		if reason == pledgev1.ReasonInvalidSpec {
			log.Info("Spec is invalid; generated objects are left as they were", "reason", msg)
		}
		return ctrl.Result{}, nil
	}
	resolved.Cluster = r.Cluster

	generated, err := r.applyAll(ctx, std, resolved)
	var conflict errConflict
	var tooLarge *render.TooLargeError
	switch {
	case errors.As(err, &conflict):
		r.setReady(std, false, pledgev1.ReasonConflict, conflict.Error())
		return ctrl.Result{}, nil
	case errors.As(err, &tooLarge):
		r.setReady(std, false, pledgev1.ReasonTooLarge, tooLarge.Error())
		return ctrl.Result{}, nil
	case errors.Is(err, errCRDsMissing) || meta.IsNoMatchError(err):
		r.setReady(std, false, pledgev1.ReasonCRDsMissing,
			"the prometheus-operator CRDs (monitoring.coreos.com PrometheusRule, AlertmanagerConfig) are not installed; retrying every "+r.retryInterval().String())
		return ctrl.Result{RequeueAfter: r.retryInterval()}, nil
	case err != nil:
		r.setReady(std, false, pledgev1.ReasonApplyFailed, err.Error())
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

func (r *ServiceStandardReconciler) retryInterval() time.Duration {
	if r.CRDRetryInterval > 0 {
		return r.CRDRetryInterval
	}
	return 30 * time.Second
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

// resolveStandard fetches the referenced policy and validates the standard. On failure it
// returns nil with the reason and message for the Ready condition.
func resolveStandard(ctx context.Context, c client.Reader, std *pledgev1.ServiceStandard) (*render.Standard, string, string) {
	var policy *pledgev1.EscalationPolicy
	if e := std.Spec.Escalation; e != nil && e.PolicyRef != nil {
		policy = &pledgev1.EscalationPolicy{}
		err := c.Get(ctx, types.NamespacedName{Namespace: std.Namespace, Name: e.PolicyRef.Name}, policy)
		if apierrors.IsNotFound(err) {
			return nil, pledgev1.ReasonPolicyNotFound, fmt.Sprintf("spec.escalation.policyRef.name: EscalationPolicy %q not found in namespace %s", e.PolicyRef.Name, std.Namespace)
		}
		if err != nil {
			return nil, pledgev1.ReasonApplyFailed, err.Error()
		}
	}
	resolved, errs := render.Resolve(std, policy)
	if len(errs) > 0 {
		return nil, pledgev1.ReasonInvalidSpec, errs.ToAggregate().Error()
	}
	return resolved, "", ""
}

// applyAll applies the PrometheusRule and the AlertmanagerConfig (or removes the latter when
// the standard no longer escalates) and returns what was generated.
func (r *ServiceStandardReconciler) applyAll(ctx context.Context, std *pledgev1.ServiceStandard, s *render.Standard) ([]pledgev1.GeneratedObject, error) {
	rule := s.PrometheusRule()
	render.AddLabels(rule, r.RuleLabels)
	amc, err := s.AlertmanagerConfig()
	if err != nil {
		return nil, err
	}
	if amc != nil {
		render.AddLabels(amc, r.AlertmanagerConfigLabels)
	}
	// Nothing is applied when either object would not fit in etcd (a *render.TooLargeError).
	if err := render.CheckSize(rule.Kind, rule.Name, rule); err != nil {
		return nil, err
	}
	if amc != nil {
		if err := render.CheckSize(amc.Kind, amc.Name, amc); err != nil {
			return nil, err
		}
	}
	rules := 0
	for _, g := range rule.Spec.Groups {
		rules += len(g.Rules)
	}
	wrote, err := r.applyGenerated(ctx, std, generated{
		kind: monitoringv1.PrometheusRuleKind, desired: rule, current: &monitoringv1.PrometheusRule{},
		same: func(c, d client.Object) bool {
			return sameSpec(c, c.(*monitoringv1.PrometheusRule).Spec, d.(*monitoringv1.PrometheusRule).Spec)
		},
	})
	if err != nil {
		return nil, err
	}
	r.Metrics.Wrote(wrote)
	out := []pledgev1.GeneratedObject{{Kind: monitoringv1.PrometheusRuleKind, Name: rule.Name, Rules: int32(rules)}}

	if amc == nil {
		stale := &monitoringv1alpha1.AlertmanagerConfig{}
		stale.Namespace, stale.Name = std.Namespace, render.ObjectName(std.Name)
		deleted, err := r.deleteGenerated(ctx, std, stale)
		r.Metrics.Wrote(deleted)
		return out, err
	}
	wrote, err = r.applyGenerated(ctx, std, generated{
		kind: monitoringv1alpha1.AlertmanagerConfigKind, desired: amc, current: &monitoringv1alpha1.AlertmanagerConfig{},
		same: func(c, d client.Object) bool {
			return sameSpec(c, c.(*monitoringv1alpha1.AlertmanagerConfig).Spec, d.(*monitoringv1alpha1.AlertmanagerConfig).Spec)
		},
	})
	if err != nil {
		return nil, err
	}
	r.Metrics.Wrote(wrote)
	return append(out, pledgev1.GeneratedObject{Kind: monitoringv1alpha1.AlertmanagerConfigKind, Name: amc.Name, Rules: int32(len(amc.Spec.Route.Routes))}), nil
}

// SetupWithManager registers the controller: standards, the policies they reference (through
// a field index), and the generated objects (so that hand edits are put back). When the
// prometheus-operator CRDs are missing at start, the generated objects are watched from the
// moment they appear.
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
		Named("servicestandard")
	watching := monitoringCRDsInstalled(mgr.GetRESTMapper())
	if watching {
		b = b.Owns(&monitoringv1.PrometheusRule{}).Owns(&monitoringv1alpha1.AlertmanagerConfig{})
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	if !watching {
		return mgr.Add(&ownedWatchStarter{mgr: mgr, ctrl: c, owner: &pledgev1.ServiceStandard{}, interval: r.retryInterval()})
	}
	return nil
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
