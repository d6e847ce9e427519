package controllers

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the controllers.
type Options struct {
	// CRDRetryInterval is how often standards are retried while the prometheus-operator CRDs
	// are missing.
	CRDRetryInterval time.Duration
	// Metrics records the pledge_ series; NewMetrics(nil) when nil.
	Metrics *Metrics
}

// Setup registers every Pledge controller with the manager.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if err := (&ServiceStandardReconciler{
		Client:           mgr.GetClient(),
		Scheme:           mgr.GetScheme(),
		Recorder:         mgr.GetEventRecorder("pledge"),
		Metrics:          o.Metrics,
		CRDRetryInterval: o.CRDRetryInterval,
	}).SetupWithManager(ctx, mgr); err != nil {
		return err
	}
	return (&EscalationPolicyReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)
}
