package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels and keys of the configmaps delivery target.
const (
	// LabelContent tells a standard's two ConfigMaps apart: its rule file, and its routing.
	LabelContent   = "pledge.dev/content"
	ContentRules   = "rules"
	ContentRouting = "alertmanager-routing"
	// RoutingKey is the key of a routing ConfigMap: the standard's plain Alertmanager
	// configuration, merged with the others into the Alertmanager Secret.
	RoutingKey = "routing.yaml"
	// AlertmanagerKey is the key of the merged configuration in the Alertmanager Secret.
	AlertmanagerKey = "alertmanager.yaml"
)

// RulesFileKey is the key of a standard's rule file in its ConfigMap; unique across namespaces,
// since a sidecar copies every selected ConfigMap's keys into one directory.
func (s *Standard) RulesFileKey() string { return s.Namespace + "_" + s.Name + ".rules.yaml" }

// RulesConfigMap holds the standard's plain rule file under RulesFileKey, for a sidecar that
// copies ConfigMaps with the given labels into Prometheus's rules directory.
func (s *Standard) RulesConfigMap(sidecarLabels map[string]string) (*corev1.ConfigMap, error) {
	rules, err := RulesFile([]*Standard{s})
	if err != nil {
		return nil, err
	}
	cm := s.configMap(ObjectName(s.Name), ContentRules)
	AddLabels(cm, sidecarLabels)
	cm.Data = map[string]string{s.RulesFileKey(): string(rules)}
	return cm, nil
}

// RoutingConfigMap holds the standard's routing as a plain Alertmanager configuration (nil when
// it does not escalate); the configmaps target merges every one into the Alertmanager Secret.
func (s *Standard) RoutingConfigMap() (*corev1.ConfigMap, error) {
	if s.Routing() == nil {
		return nil, nil
	}
	routing, err := AlertmanagerFile([]*Standard{s}, SMTP{})
	if err != nil {
		return nil, err
	}
	cm := s.configMap(RoutingConfigMapName(s.Name), ContentRouting)
	cm.Data = map[string]string{RoutingKey: string(routing)}
	return cm, nil
}

// RoutingConfigMapName is the name of a standard's routing ConfigMap.
func RoutingConfigMapName(standard string) string { return ObjectName(standard) + "-routing" }

func (s *Standard) configMap(name, content string) *corev1.ConfigMap {
	meta := s.objectMeta()
	meta.Name = name
	meta.Labels[LabelContent] = content
	return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta}
}
