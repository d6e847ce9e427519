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
	// Compliance measures standards against Prometheus; nil disables it.
	Compliance *ComplianceRunner
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
	if err := (&EscalationPolicyReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if c := o.Compliance; c != nil {
		c.Client, c.Reader, c.Metrics = mgr.GetClient(), mgr.GetAPIReader(), o.Metrics
		if c.Recorder == nil {
			c.Recorder = mgr.GetEventRecorder("pledge-compliance")
		}
		if c.Interval <= 0 {
			c.Interval = time.Minute
		}
		if c.MaxAge <= 0 {
			c.MaxAge = 10 * c.Interval
		}
		return mgr.Add(c)
	}
	return nil
}
