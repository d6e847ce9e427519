package controllers

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// ConfigMapsOptions configure the configmaps target.
type ConfigMapsOptions struct {
	// SidecarLabels select the rule ConfigMaps for the sidecar that copies them into
	// Prometheus's rules directory (default prometheus_rule=1).
	SidecarLabels map[string]string
	// AlertmanagerSecret is the Secret that receives the merged Alertmanager configuration
	// (key alertmanager.yaml). An empty name: routing is not delivered.
	AlertmanagerSecret types.NamespacedName
	// AlertmanagerBaseConfig is the platform team's own Alertmanager configuration (a file);
	// empty: a top route to a receiver without notifications.
	AlertmanagerBaseConfig string
}

// DefaultSidecarLabels select the rule ConfigMaps when no labels are given.
var DefaultSidecarLabels = map[string]string{"prometheus_rule": "1"}

// +kubebuilder:rbac:groups="",resources=configmaps;secrets,verbs=get;list;watch;create;patch;delete

// configMapsTarget writes one ConfigMap per standard holding its rule file, labelled for a
// sidecar (k8s-sidecar style) that copies it into Prometheus's rules directory; a second
// ConfigMap with the standard's routing; and one Secret with the platform's base Alertmanager
// configuration and every standard's routing merged in, for Alertmanager to mount.
type configMapsTarget struct {
	applier
	o       ConfigMapsOptions
	metrics *Metrics
	// mu serialises rebuilds of the shared Secret.
	mu sync.Mutex
}

func newConfigMapsTarget(mgr ctrl.Manager, o ConfigMapsOptions, m *Metrics) (*configMapsTarget, error) {
	if len(o.SidecarLabels) == 0 {
		o.SidecarLabels = DefaultSidecarLabels
	}
	if err := render.ValidateObjectLabels(o.SidecarLabels); err != nil {
		return nil, fmt.Errorf("sidecar labels: %w", err)
	}
	if o.AlertmanagerSecret.Name != "" && o.AlertmanagerSecret.Namespace == "" {
		return nil, fmt.Errorf("the Alertmanager Secret %q needs a namespace", o.AlertmanagerSecret.Name)
	}
	return &configMapsTarget{applier: applier{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme()}, o: o, metrics: m}, nil
}

func (t *configMapsTarget) Name() string { return TargetConfigMaps }

// sameData compares ConfigMaps by their data.
func sameData(c, d client.Object) bool {
	return maps.Equal(c.(*corev1.ConfigMap).Data, d.(*corev1.ConfigMap).Data)
}

// Deliver applies the standard's rule ConfigMap and routing ConfigMap, and rebuilds the
// Alertmanager Secret when the routing changed.
func (t *configMapsTarget) Deliver(ctx context.Context, std *pledgev1.ServiceStandard, s *render.Standard) ([]pledgev1.GeneratedObject, error) {
	rules, err := s.RulesConfigMap(t.o.SidecarLabels)
	if err != nil {
		return nil, err
	}
	if err := render.CheckRuleFile([]byte(rules.Data[s.RulesFileKey()])); err != nil {
		return nil, err
	}
	if err := render.CheckDataSize("ConfigMap", rules.Name, rules.Data); err != nil {
		return nil, err
	}
	wrote, err := t.applyGenerated(ctx, std, generated{kind: "ConfigMap", desired: rules, current: &corev1.ConfigMap{}, same: sameData})
	if err != nil {
		return nil, err
	}
	t.metrics.Wrote(wrote)
	n := 0
	for _, g := range s.RuleGroups() {
		n += len(g.Rules)
	}
	out := []pledgev1.GeneratedObject{{Kind: "ConfigMap", Name: rules.Name, Rules: int32(n)}}
	if t.o.AlertmanagerSecret.Name == "" {
		return out, nil
	}

	routing, err := s.RoutingConfigMap()
	if err != nil {
		return nil, err
	}
	if routing != nil {
		if err := render.CheckDataSize("ConfigMap", routing.Name, routing.Data); err != nil {
			return nil, err
		}
	}
	if routing == nil {
		stale := &corev1.ConfigMap{}
		stale.Namespace, stale.Name = std.Namespace, render.RoutingConfigMapName(std.Name)
		wrote, err = t.deleteGenerated(ctx, std, stale)
	} else {
		wrote, err = t.applyGenerated(ctx, std, generated{kind: "ConfigMap", desired: routing, current: &corev1.ConfigMap{}, same: sameData})
	}
	if err != nil {
		return nil, err
	}
	t.metrics.Wrote(wrote)
	if err := t.writeSecret(ctx, nil); err != nil {
		return nil, err
	}
	if routing != nil {
		out = append(out, pledgev1.GeneratedObject{Kind: "ConfigMap", Name: routing.Name, Rules: int32(len(s.Routing().Route.Routes))})
	}
	return out, nil
}

// Remove rebuilds the Secret without the deleted standard's routing (its ConfigMaps go with it
// through their owner references).
func (t *configMapsTarget) Remove(ctx context.Context, key types.NamespacedName) error {
	if t.o.AlertmanagerSecret.Name == "" {
		return nil
	}
	return t.writeSecret(ctx, &key)
}

// writeSecret merges the base configuration with every routing ConfigMap (but that of the
// standard without, being deleted) into the Alertmanager Secret, unless it already holds that.
func (t *configMapsTarget) writeSecret(ctx context.Context, without *types.NamespacedName) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var base []byte
	if t.o.AlertmanagerBaseConfig != "" {
		b, err := os.ReadFile(t.o.AlertmanagerBaseConfig)
		if err != nil {
			return &reasonedError{reason: pledgev1.ReasonWriteFailed, retry: true, err: fmt.Errorf("reading the base Alertmanager configuration: %w", err)}
		}
		base = b
	}
	var list corev1.ConfigMapList
	if err := t.List(ctx, &list, client.MatchingLabels{render.LabelManagedBy: render.ManagedByValue, render.LabelContent: render.ContentRouting}); err != nil {
		return err
	}
	slices.SortFunc(list.Items, func(a, b corev1.ConfigMap) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	var fragments [][]byte
	for _, cm := range list.Items {
		if without != nil && cm.Namespace == without.Namespace && cm.Labels[render.LabelObjectStandard] == without.Name {
			continue
		}
		if cm.DeletionTimestamp != nil {
			continue
		}
		fragments = append(fragments, []byte(cm.Data[render.RoutingKey]))
	}
	merged, err := render.MergeAlertmanagerConfig(base, fragments)
	if err != nil {
		return &reasonedError{reason: pledgev1.ReasonWriteFailed, retry: true, err: fmt.Errorf("merging the Alertmanager configuration: %w", err)}
	}
	key := t.o.AlertmanagerSecret
	if err := render.CheckDataSize("Secret", key.String(), map[string]string{render.AlertmanagerKey: string(merged)}); err != nil {
		return err
	}
	current := &corev1.Secret{}
	if err := t.Get(ctx, key, current); err == nil && string(current.Data[render.AlertmanagerKey]) == string(merged) {
		return nil
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: map[string]string{render.LabelManagedBy: render.ManagedByValue}},
		Data:       map[string][]byte{render.AlertmanagerKey: merged},
	}
	u, err := toUnstructured(secret)
	if err != nil {
		return err
	}
	if err := t.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return &reasonedError{reason: pledgev1.ReasonWriteFailed, retry: true, err: fmt.Errorf("applying Secret %s: %w", key, err)}
	}
	t.metrics.Wrote(true)
	return nil
}

// watch puts hand-edited or deleted ConfigMaps back.
func (t *configMapsTarget) watch(_ ctrl.Manager, b *builder.Builder) (*builder.Builder, func(controller.Controller) error) {
	// Not notCreated: a standard's routing ConfigMap must be in the cache for the Secret's
	// merge, so its creation brings the standard back to write the Secret with it.
	return b.Owns(&corev1.ConfigMap{}), nil
}

func (t *configMapsTarget) hints() compliance.Hints {
	return compliance.Hints{
		Groups: fmt.Sprintf("check that a sidecar copies the ConfigMaps labelled %s into a directory in Prometheus's rule_files and reloads it",
			labels.SelectorFromSet(t.o.SidecarLabels)),
		Receivers: fmt.Sprintf("check that Alertmanager mounts Secret %s (key %s) and reloads it", t.o.AlertmanagerSecret, render.AlertmanagerKey),
	}
}
