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
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

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
	// OverviewNamespace holds the overview dashboard's ConfigMap (OverviewConfigMap); no
	// overview is published when empty.
	OverviewNamespace string
	// AtRiskBudget is the budget left (percent) below which the overview shows a met standard
	// as AtRisk, as the status's --at-risk-budget; dashboard.DefaultAtRiskBudget when 0.
	AtRiskBudget float64
}

// OverviewConfigMap is the name of the overview dashboard's ConfigMap; its data key is
// overview.grafana.json, the file pledge render --format grafana writes.
const OverviewConfigMap = "pledge-dashboard-overview"

// overviewRequest stands for the overview in the dashboards controller's queue: requests for
// standards always have a namespace.
var overviewRequest = ctrl.Request{NamespacedName: types.NamespacedName{Name: OverviewConfigMap}}

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

// Reconcile writes or deletes the dashboard ConfigMap of one standard, or writes the overview.
func (r *DashboardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if req == overviewRequest {
		return ctrl.Result{}, r.reconcileOverview(ctx)
	}
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
	resolved, reason, msg, _ := resolveStandard(ctx, r.Client, &std, now, r.Cluster)
	if resolved == nil {
		// The standard's Ready condition reports it; the last good dashboard stays.
		log.Info("Dashboard not rendered", "reason", reason, "message", msg)
		return ctrl.Result{}, nil
	}
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
	if err := r.apply(ctx, desired); err != nil {
		return ctrl.Result{}, err
	}
	log.Info("Dashboard written", "configMap", key)
	return result, nil
}

// reconcileOverview writes the overview dashboard's ConfigMap when it is missing or differs.
// The overview reads every standard's budgets and weights from the series Pledge records, so
// it is one fixed document whatever the number of standards: it is written at start-up and
// put back when edited or deleted. It is read past the cache, whose namespaces may not hold it.
func (r *DashboardReconciler) reconcileOverview(ctx context.Context) error {
	key := types.NamespacedName{Namespace: r.Options.OverviewNamespace, Name: OverviewConfigMap}
	atRisk := r.Options.AtRiskBudget
	if atRisk == 0 {
		atRisk = dashboard.DefaultAtRiskBudget
	}
	d, err := dashboard.Overview(r.Cluster.Name, atRisk)
	if err != nil {
		return fmt.Errorf("building the overview dashboard: %w", err)
	}
	js, err := dashboard.JSON(d)
	if err != nil {
		return err
	}
	desired := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: r.labels(nil)},
		Data:       map[string]string{OverviewKey: string(js)},
	}
	if err := render.CheckDataSize("ConfigMap", key.Name, desired.Data); err != nil {
		return err
	}
	var current corev1.ConfigMap
	err = r.APIReader.Get(ctx, key, &current)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return err
	case current.Labels[render.LabelManagedBy] != render.ManagedByValue:
		return errConflict{"ConfigMap", key.Namespace, key.Name}
	case maps.Equal(current.Data, desired.Data) && labelsInclude(current.Labels, desired.Labels):
		return nil
	}
	if err := r.apply(ctx, desired); err != nil {
		return err
	}
	logf.FromContext(ctx).Info("Overview dashboard written", "configMap", key)
	return nil
}

// OverviewKey is the overview's data key in its ConfigMap.
const OverviewKey = "overview.grafana.json"

// labels are the dashboard ConfigMaps' labels: the sidecar's, Pledge's, and extra.
func (r *DashboardReconciler) labels(extra map[string]string) map[string]string {
	labels := maps.Clone(r.Options.Labels)
	if len(labels) == 0 {
		labels = maps.Clone(DefaultDashboardLabels)
	}
	labels[render.LabelManagedBy] = render.ManagedByValue
	maps.Copy(labels, extra)
	return labels
}

// apply writes a dashboard ConfigMap with server-side apply.
func (r *DashboardReconciler) apply(ctx context.Context, cm *corev1.ConfigMap) error {
	u, err := toUnstructured(cm)
	if err != nil {
		return err
	}
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(DashboardFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying dashboard ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return nil
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
	labels := r.labels(map[string]string{render.LabelObjectStandard: std.Name, LabelObjectNamespace: std.Namespace})
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
// back and, when the manager starts, a ConfigMap whose standard went away meanwhile is deleted;
// and the overview's ConfigMap to the overview.
func (r *DashboardReconciler) standardOfConfigMap(_ context.Context, o client.Object) []ctrl.Request {
	if r.Options.OverviewNamespace != "" && o.GetName() == OverviewConfigMap && o.GetNamespace() == r.Options.OverviewNamespace {
		return []ctrl.Request{overviewRequest}
	}
	l := o.GetLabels()
	name, ns := l[render.LabelObjectStandard], l[LabelObjectNamespace]
	if name == "" || ns == "" || !strings.HasPrefix(o.GetName(), "pledge-") {
		return nil
	}
	return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
}

// SetupWithManager registers the controller: standards (on spec changes), the policies they
// reference (whether a standard escalates decides the escalation row), the dashboard
// ConfigMaps, and, with an overview namespace, the overview once at start. It uses the policy
// index the ServiceStandard controller registers.
func (r *DashboardReconciler) SetupWithManager(mgr ctrl.Manager) error {
	policies := &ServiceStandardReconciler{Client: r.Client}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&pledgev1.ServiceStandard{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&pledgev1.EscalationPolicy{}, handler.EnqueueRequestsFromMapFunc(policies.standardsForPolicy),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.standardOfConfigMap))
	if r.Options.OverviewNamespace != "" {
		start := make(chan event.GenericEvent, 1)
		start <- event.GenericEvent{Object: &corev1.ConfigMap{}}
		b = b.WatchesRawSource(source.Channel(start, handler.EnqueueRequestsFromMapFunc(
			func(context.Context, client.Object) []ctrl.Request { return []ctrl.Request{overviewRequest} })))
	}
	return b.Named("dashboards").Complete(r)
}
