package controllers

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// EscalationPolicyReconciler validates policies and reports the result on their status; the
// standards that reference a policy are reconciled by the ServiceStandard controller.
type EscalationPolicyReconciler struct {
	client.Client
}

// +kubebuilder:rbac:groups=pledge.dev,resources=escalationpolicies/status,verbs=get;patch

// Reconcile sets the policy's Ready condition.
func (r *EscalationPolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	p := &pledgev1.EscalationPolicy{}
	if err := r.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := p.DeepCopy()
	c := metav1.Condition{Type: pledgev1.ConditionReady, Status: metav1.ConditionTrue, Reason: pledgev1.ReasonApplied,
		Message: fmt.Sprintf("%d tiers", len(p.Spec.Tiers)), ObservedGeneration: p.Generation}
	if errs := render.ValidatePolicy(p); len(errs) > 0 {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, pledgev1.ReasonInvalidSpec, truncate(errs.ToAggregate().Error(), 32768)
	}
	setCondition(&p.Status.Conditions, c)
	p.Status.ObservedGeneration = p.Generation
	if semanticEqual(before.Status, p.Status) {
		return ctrl.Result{}, nil
	}
	if err := r.Status().Patch(ctx, p, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		retErr = errors.Join(retErr, err)
	}
	return ctrl.Result{}, retErr
}

// SetupWithManager registers the controller.
func (r *EscalationPolicyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&pledgev1.EscalationPolicy{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("escalationpolicy").
		Complete(r)
}
