package controllers

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/dashboard"
	"github.com/pledge-dev/pledge/internal/render"
)

// DashboardFieldManager is the server-side apply field manager of the dashboards controller.
const DashboardFieldManager = "pledge-dashboards"

// LabelObjectNamespace names the namespace of the standard a dashboard ConfigMap shows (its
// name is in render.LabelObjectStandard), so that a ConfigMap in another namespace finds its
// standard.
const LabelObjectNamespace = "pledge.dev/service-standard-namespace"

// DefaultDashboardLabels are the labels the Grafana sidecar (kiwigrid k8s-sidecar, as the
// Grafana Helm chart configures it) looks for by default.
var DefaultDashboardLabels = map[string]string{"grafana_dashboard": "1"}

// DashboardOptions configure the publishing of Grafana dashboards as ConfigMaps.
type DashboardOptions struct {
	// Enabled starts the dashboards controller.
	Enabled bool
	// Labels are on every dashboard ConfigMap, for the Grafana sidecar; DefaultDashboardLabels
	// when empty.
	Labels map[string]string
	// Namespace holds the ConfigMaps; "" puts each in its standard's namespace.
	Namespace string
	// Periods is how many closed calendar periods a calendar standard's dashboard shows (as
	// pledge manager --periods keeps on the status).
	Periods int
}

// DashboardReconciler publishes one ConfigMap per ServiceStandard holding its Grafana
// dashboard (internal/dashboard), labelled for the Grafana sidecar. In the standard's own
// namespace the ConfigMap is owned by the standard, so deletion cascades; in another namespace
// (owner references cannot cross namespaces) the controller deletes it when the standard is
// gone, finding it by its labels.
type DashboardReconciler struct {
	client.Client
	// APIReader reads past the cache, which holds only ConfigMaps labelled as Pledge's.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Options   DashboardOptions
	Cluster   render.ClusterLabel
}

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete

// Reconcile writes or deletes the dashboard ConfigMap of one standard.
func (r *DashboardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	key := r.configMapKey(req.Namespace, req.Name)
	var std pledgev1.ServiceStandard
	if err := r.Get(ctx, req.NamespacedName, &std); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, r.deleteOrphan(ctx, req.NamespacedName, key)
	}
	if !std.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	now := time.Now()
	resolved, reason, msg, _ := resolveStandard(ctx, r.Client, &std, now)
	if resolved == nil {
		// The standard's Ready condition reports it; the last good dashboard stays.
		log.Info("Dashboard not rendered", "reason", reason, "message", msg)
		return ctrl.Result{}, nil
	}
	resolved.Cluster = r.Cluster
	desired, err := r.desired(&std, resolved, key, now)
	if err != nil {
		return ctrl.Result{}, err
	}
	// A calendar standard's dashboard shows its closed periods: build it again when the next
	// one closes.
	var result ctrl.Result
	if next, ok := render.NextPeriodStartOf(&std.Spec, now); ok {
		result.RequeueAfter = next.Sub(now) + time.Second
	}
	var current corev1.ConfigMap
	err = r.Get(ctx, key, &current)
	if apierrors.IsNotFound(err) {
		err = r.APIReader.Get(ctx, key, &current)
	}
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return ctrl.Result{}, err
	case !r.ours(&current, &std):
		return ctrl.Result{}, errConflict{"ConfigMap", key.Namespace, key.Name}
	case maps.Equal(current.Data, desired.Data) && labelsInclude(current.Labels, desired.Labels) &&
		semanticEqual(current.OwnerReferences, desired.OwnerReferences):
		return result, nil
	}
	u, err := toUnstructured(desired)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(DashboardFieldManager), client.ForceOwnership); err != nil {
		return ctrl.Result{}, fmt.Errorf("applying dashboard ConfigMap %s: %w", key, err)
	}
	log.Info("Dashboard written", "configMap", key)
	return result, nil
}

// configMapKey is where a standard's dashboard lives: pledge-dashboard-<namespace>.<name>
// (a namespace holds no dot, so two standards never share a name), in the configured
// namespace or the standard's own; the dashboard's UID when that name would be too long.
func (r *DashboardReconciler) configMapKey(namespace, name string) types.NamespacedName {
	ns := r.Options.Namespace
	if ns == "" {
		ns = namespace
	}
	cm := "pledge-dashboard-" + namespace + "." + name
	if len(cm) > 253 {
		cm = dashboard.UID(&render.Standard{Namespace: namespace, Name: name, Cluster: r.Cluster})
	}
	return types.NamespacedName{Namespace: ns, Name: cm}
}

// dashboardKey is the ConfigMap's data key, the file the Grafana sidecar writes: the same name
// pledge render --format grafana -o DIR gives the dashboard.
func dashboardKey(s *render.Standard) string {
	return s.Namespace + "_" + s.Name + ".grafana.json"
}

func (r *DashboardReconciler) desired(std *pledgev1.ServiceStandard, s *render.Standard, key types.NamespacedName, now time.Time) (*corev1.ConfigMap, error) {
	periods := r.Options.Periods
	if periods <= 0 {
		periods = 3
	}
	d, err := dashboard.StandardAt(s, now, periods)
	if err != nil {
		return nil, fmt.Errorf("building the dashboard: %w", err)
	}
	js, err := dashboard.JSON(d)
	if err != nil {
		return nil, err
	}
	labels := maps.Clone(r.Options.Labels)
	if len(labels) == 0 {
		labels = maps.Clone(DefaultDashboardLabels)
	}
	maps.Copy(labels, map[string]string{
		render.LabelManagedBy: render.ManagedByValue, render.LabelObjectStandard: std.Name, LabelObjectNamespace: std.Namespace,
	})
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: labels},
		Data:       map[string]string{dashboardKey(s): string(js)},
	}
	if key.Namespace == std.Namespace {
		if err := controllerutil.SetControllerReference(std, cm, r.Scheme); err != nil {
			return nil, err
		}
	}
	return cm, nil
}

// ours reports whether the ConfigMap is the dashboard of std: owned by it, or, in another
// namespace, labelled with it by Pledge.
func (r *DashboardReconciler) ours(cm *corev1.ConfigMap, std *pledgev1.ServiceStandard) bool {
	if cm.Namespace == std.Namespace {
		return metav1IsControlledBy(cm, std)
	}
	l := cm.Labels
	return l[render.LabelManagedBy] == render.ManagedByValue && l[render.LabelObjectStandard] == std.Name && l[LabelObjectNamespace] == std.Namespace
}

// deleteOrphan deletes the dashboard of a standard that is gone, when it lives in another
// namespace (in the standard's own, the garbage collector follows the owner reference).
func (r *DashboardReconciler) deleteOrphan(ctx context.Context, std, key types.NamespacedName) error {
	if key.Namespace == std.Namespace {
		return nil
	}
	var cm corev1.ConfigMap
	if err := r.Get(ctx, key, &cm); err != nil {
		return client.IgnoreNotFound(err)
	}
	l := cm.Labels
	if l[render.LabelManagedBy] != render.ManagedByValue || l[render.LabelObjectStandard] != std.Name || l[LabelObjectNamespace] != std.Namespace {
		return nil
	}
	if err := r.Delete(ctx, &cm); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	logf.FromContext(ctx).Info("Dashboard deleted", "configMap", key)
	return nil
}

// standardOfConfigMap maps a dashboard ConfigMap to its standard, so that a hand edit is put
// back and, when the manager starts, a ConfigMap whose standard went away meanwhile is deleted.
func standardOfConfigMap(_ context.Context, o client.Object) []ctrl.Request {
	l := o.GetLabels()
	name, ns := l[render.LabelObjectStandard], l[LabelObjectNamespace]
	if name == "" || ns == "" || !strings.HasPrefix(o.GetName(), "pledge-") {
		return nil
	}
	return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
}

// SetupWithManager registers the controller: standards (on spec changes), the policies they
// reference (whether a standard escalates decides the escalation row) and the dashboard
// ConfigMaps. It uses the policy index the ServiceStandard controller registers.
func (r *DashboardReconciler) SetupWithManager(mgr ctrl.Manager) error {
	policies := &ServiceStandardReconciler{Client: r.Client}
	return ctrl.NewControllerManagedBy(mgr).
		For(&pledgev1.ServiceStandard{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&pledgev1.EscalationPolicy{}, handler.EnqueueRequestsFromMapFunc(policies.standardsForPolicy),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(standardOfConfigMap)).
		Named("dashboards").
		Complete(r)
}
