package controllers

import (
	"context"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// NewScheme holds every kind the Pledge controllers read or write: Kubernetes' own,
// pledge.dev/v1alpha1, and prometheus-operator's PrometheusRule and AlertmanagerConfig.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(pledgev1.AddToScheme(s))
	utilruntime.Must(monitoringv1.AddToScheme(s))
	utilruntime.Must(monitoringv1alpha1.AddToScheme(s))
	return s
}

// NewManager assembles the manager every Pledge process runs (pledge manager, the demo, the
// controller tests and benchmarks): the scheme of NewScheme unless opts has one, and a cache
// that holds Pledge's own kinds and, of every other kind (the generated PrometheusRules and
// AlertmanagerConfigs), only the objects labelled app.kubernetes.io/managed-by=pledge, not
// every one in the cluster. A generated name held by an object without the label is found by
// an uncached read (see applyGenerated). The cache keeps a generated object's metadata and a
// digest of its spec, not the spec itself (compactGenerated).
func NewManager(cfg *rest.Config, opts ctrl.Options) (ctrl.Manager, error) {
	if opts.Scheme == nil {
		opts.Scheme = NewScheme()
	}
	opts.Cache.DefaultLabelSelector = labels.SelectorFromSet(labels.Set{render.LabelManagedBy: render.ManagedByValue})
	opts.Cache.ByObject = map[client.Object]cache.ByObject{
		&pledgev1.ServiceStandard{}:  {Label: labels.Everything()},
		&pledgev1.EscalationPolicy{}: {Label: labels.Everything()},
	}
	opts.Cache.DefaultTransform = compactGenerated
	return ctrl.NewManager(cfg, opts)
}

// Options configure the controllers.
type Options struct {
	// Target is where rules and routing are delivered: TargetPrometheusOperator (default),
	// TargetFiles or TargetConfigMaps.
	Target string
	// Files configures the files target.
	Files FilesOptions
	// ConfigMaps configures the configmaps target.
	ConfigMaps ConfigMapsOptions
	// Workers is how many standards are reconciled at once (pledge manager
	// --max-concurrent-reconciles).
	Workers int
	// CRDRetryInterval is how often standards are retried while the prometheus-operator CRDs
	// are missing.
	CRDRetryInterval time.Duration
	// Metrics records the pledge_ series; NewMetrics(nil) when nil.
	Metrics *Metrics
	// Compliance measures standards against Prometheus; nil disables it.
	Compliance *ComplianceRunner
	// Liveness writes the RulesLoaded condition; nil disables it.
	Liveness *LivenessChecker
	// RuleLabels and AlertmanagerConfigLabels are platform labels on the generated objects.
	RuleLabels, AlertmanagerConfigLabels map[string]string
	// Cluster labels every generated series and alert; the compliance runner's Options carry
	// the same label for its queries.
	Cluster render.ClusterLabel
	// Dashboards publishes each standard's Grafana dashboard as a ConfigMap when Enabled.
	Dashboards DashboardOptions
}

// Setup registers every Pledge controller with the manager.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	target, err := NewTarget(mgr, o, o.Metrics)
	if err != nil {
		return err
	}
	events, err := NewEvents(mgr.GetConfig(), mgr.GetHTTPClient(), mgr.GetScheme(), o.Metrics)
	if err != nil {
		return err
	}
	if err := mgr.Add(events); err != nil {
		return err
	}
	if err := (&ServiceStandardReconciler{
		Client:   mgr.GetClient(),
		Recorder: events.Recorder("pledge"),
		Metrics:  o.Metrics,
		Target:   target,
		Cluster:  o.Cluster,
		Workers:  o.Workers,
	}).SetupWithManager(ctx, mgr); err != nil {
		return err
	}
	if err := (&EscalationPolicyReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if o.Dashboards.Enabled {
		if err := (&DashboardReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(),
			Options: o.Dashboards, Cluster: o.Cluster}).SetupWithManager(mgr); err != nil {
			return err
		}
	}
	if l := o.Liveness; l != nil {
		l.Client, l.Reader, l.Metrics, l.Hints = mgr.GetClient(), mgr.GetAPIReader(), o.Metrics, target.hints()
		if l.Recorder == nil {
			l.Recorder = events.Recorder("pledge-liveness")
		}
		if l.Interval <= 0 {
			l.Interval = time.Minute
		}
		if err := mgr.Add(l); err != nil {
			return err
		}
	}
	if c := o.Compliance; c != nil {
		c.Client, c.Reader, c.Metrics = mgr.GetClient(), mgr.GetAPIReader(), o.Metrics
		if c.Recorder == nil {
			c.Recorder = events.Recorder("pledge-compliance")
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
