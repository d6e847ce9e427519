package controllers

import (
	"context"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

var monitoringKinds = []schema.GroupVersionKind{
	monitoringv1.SchemeGroupVersion.WithKind(monitoringv1.PrometheusRuleKind),
	monitoringv1alpha1.SchemeGroupVersion.WithKind(monitoringv1alpha1.AlertmanagerConfigKind),
}

// monitoringCRDsInstalled reports whether the API server serves both generated kinds.
func monitoringCRDsInstalled(mapper meta.RESTMapper) bool {
	for _, gvk := range monitoringKinds {
		if _, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return false
		}
	}
	return true
}

// ownedWatchStarter waits for the prometheus-operator CRDs to be installed and then starts
// watching the generated objects, so that the manager starts (and stays up) without them.
type ownedWatchStarter struct {
	mgr      ctrl.Manager
	ctrl     controller.Controller
	owner    client.Object
	interval time.Duration
}

// Start polls until the CRDs are served, adds the watches and returns.
func (w *ownedWatchStarter) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("crd-watch")
	log.Info("prometheus-operator CRDs are not installed; waiting for them", "interval", w.interval)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if !monitoringCRDsInstalled(w.mgr.GetRESTMapper()) {
			continue
		}
		for _, obj := range []client.Object{&monitoringv1.PrometheusRule{}, &monitoringv1alpha1.AlertmanagerConfig{}} {
			h := handler.EnqueueRequestForOwner(w.mgr.GetScheme(), w.mgr.GetRESTMapper(), w.owner, handler.OnlyControllerOwner())
			if err := w.ctrl.Watch(source.Kind(w.mgr.GetCache(), obj, h, notCreated)); err != nil {
				return err
			}
		}
		log.Info("prometheus-operator CRDs installed; watching generated objects")
		return nil
	}
}

// NeedLeaderElection: only the leader reconciles, so only the leader needs the watches.
func (w *ownedWatchStarter) NeedLeaderElection() bool { return true }
