package controllers

import (
	"context"
	"fmt"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// operatorTarget delivers a standard as a PrometheusRule and, when it escalates, an
// AlertmanagerConfig, for prometheus-operator to load.
type operatorTarget struct {
	applier
	Metrics *Metrics
	// RuleLabels and AlertmanagerConfigLabels are platform labels on the generated objects (see
	// render.AddLabels), for the Prometheus ruleSelector and alertmanagerConfigSelector.
	RuleLabels, AlertmanagerConfigLabels map[string]string
	// RetryInterval is how often a standard is retried while the prometheus-operator CRDs are
	// missing (default 30s).
	RetryInterval time.Duration
}

func newOperatorTarget(mgr ctrl.Manager, o Options, m *Metrics) *operatorTarget {
	return &operatorTarget{applier: applier{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme()},
		Metrics: m, RuleLabels: o.RuleLabels, AlertmanagerConfigLabels: o.AlertmanagerConfigLabels, RetryInterval: o.CRDRetryInterval}
}

func (t *operatorTarget) Name() string { return TargetPrometheusOperator }

func (t *operatorTarget) retryInterval() time.Duration {
	if t.RetryInterval > 0 {
		return t.RetryInterval
	}
	return 30 * time.Second
}

// crdsMissing is the error of a standard delivered while the CRDs are not installed.
func (t *operatorTarget) crdsMissing(err error) error {
	return &reasonedError{reason: pledgev1.ReasonCRDsMissing, requeueAfter: t.retryInterval(), err: fmt.Errorf(
		"the prometheus-operator CRDs (monitoring.coreos.com PrometheusRule, AlertmanagerConfig) are not installed; retrying every %s: %w", t.retryInterval(), err)}
}

// Deliver applies the PrometheusRule and the AlertmanagerConfig (or removes the latter when
// the standard no longer escalates).
func (t *operatorTarget) Deliver(ctx context.Context, std *pledgev1.ServiceStandard, s *render.Standard) ([]pledgev1.GeneratedObject, error) {
	out, err := t.deliver(ctx, std, s)
	if meta.IsNoMatchError(err) {
		return nil, t.crdsMissing(err)
	}
	return out, err
}

func (t *operatorTarget) deliver(ctx context.Context, std *pledgev1.ServiceStandard, s *render.Standard) ([]pledgev1.GeneratedObject, error) {
	rule := s.PrometheusRule()
	render.AddLabels(rule, t.RuleLabels)
	amc, err := s.AlertmanagerConfig()
	if err != nil {
		return nil, err
	}
	if amc != nil {
		render.AddLabels(amc, t.AlertmanagerConfigLabels)
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
	wrote, err := t.applyGenerated(ctx, std, generated{
		kind: monitoringv1.PrometheusRuleKind, desired: rule, current: &monitoringv1.PrometheusRule{},
		same: func(c, d client.Object) bool {
			return sameSpec(c, c.(*monitoringv1.PrometheusRule).Spec, d.(*monitoringv1.PrometheusRule).Spec)
		},
	})
	if err != nil {
		return nil, err
	}
	t.Metrics.Wrote(wrote)
	out := []pledgev1.GeneratedObject{{Kind: monitoringv1.PrometheusRuleKind, Name: rule.Name, Rules: int32(rules)}}

	if amc == nil {
		stale := &monitoringv1alpha1.AlertmanagerConfig{}
		stale.Namespace, stale.Name = std.Namespace, render.ObjectName(std.Name)
		deleted, err := t.deleteGenerated(ctx, std, stale)
		t.Metrics.Wrote(deleted)
		return out, err
	}
	wrote, err = t.applyGenerated(ctx, std, generated{
		kind: monitoringv1alpha1.AlertmanagerConfigKind, desired: amc, current: &monitoringv1alpha1.AlertmanagerConfig{},
		same: func(c, d client.Object) bool {
			return sameSpec(c, c.(*monitoringv1alpha1.AlertmanagerConfig).Spec, d.(*monitoringv1alpha1.AlertmanagerConfig).Spec)
		},
	})
	if err != nil {
		return nil, err
	}
	t.Metrics.Wrote(wrote)
	return append(out, pledgev1.GeneratedObject{Kind: monitoringv1alpha1.AlertmanagerConfigKind, Name: amc.Name, Rules: int32(len(amc.Spec.Route.Routes))}), nil
}

// Remove does nothing: the generated objects are owned by the standard and go with it.
func (t *operatorTarget) Remove(context.Context, types.NamespacedName) error { return nil }

// watch watches the generated objects; when the prometheus-operator CRDs are missing at start,
// from the moment they appear.
func (t *operatorTarget) watch(mgr ctrl.Manager, b *builder.Builder) (*builder.Builder, func(controller.Controller) error) {
	if monitoringCRDsInstalled(mgr.GetRESTMapper()) {
		return b.Owns(&monitoringv1.PrometheusRule{}, builder.WithPredicates(notCreated)).
			Owns(&monitoringv1alpha1.AlertmanagerConfig{}, builder.WithPredicates(notCreated)), nil
	}
	return b, func(c controller.Controller) error {
		return mgr.Add(&ownedWatchStarter{mgr: mgr, ctrl: c, owner: &pledgev1.ServiceStandard{}, interval: t.retryInterval()})
	}
}

// notCreated passes every event of a generated object but its creation: the manager created
// it, in the reconcile that is running or has just run, so reconciling the standard again
// would only find it as wanted (half of all reconciles otherwise). Edits and deletions by
// others still bring the standard back; the standards themselves are all reconciled at start.
var notCreated = predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }}

func (t *operatorTarget) hints() compliance.Hints { return compliance.OperatorHints }
