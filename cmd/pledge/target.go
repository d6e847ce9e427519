package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pledge-dev/pledge/controllers"
)

// targetOptions are the flags of the delivery targets.
type targetOptions struct {
	target             string
	files              controllers.FilesOptions
	sidecarLabels      map[string]string
	alertmanagerSecret string
}

func (t *targetOptions) bind(f *pflag.FlagSet) {
	f.StringVar(&t.target, "target", controllers.TargetPrometheusOperator,
		"where rules and routing go: prometheus-operator (PrometheusRule, AlertmanagerConfig), files (rule files and an Alertmanager configuration, reloaded) or configmaps (ConfigMaps for a sidecar, and a Secret)")
	f.StringVar(&t.files.RulesDir, "rules-dir", "", "files target: directory of the rule files, one per standard (Prometheus rule_files: [DIR/*.yaml])")
	f.StringVar(&t.files.AlertmanagerConfigFile, "alertmanager-config-file", "", "files target: the Alertmanager configuration file to write (empty: routing is not delivered)")
	f.StringVar(&t.files.AlertmanagerBaseConfig, "alertmanager-base-config", "", "files and configmaps targets: your own Alertmanager configuration, into which every standard's routing is merged")
	f.StringVar(&t.files.PrometheusReloadURL, "prometheus-reload-url", "", "files target: root URL of Prometheus (or Thanos Ruler); <url>/-/reload is posted after rule files change")
	f.StringVar(&t.files.AlertmanagerReloadURL, "alertmanager-reload-url", "", "files target: root URL of Alertmanager; <url>/-/reload is posted after its configuration changes")
	f.StringToStringVar(&t.sidecarLabels, "configmap-labels", nil, "configmaps target: labels on the rule ConfigMaps for the sidecar, k=v,... (none given: prometheus_rule=1)")
	f.StringVar(&t.alertmanagerSecret, "alertmanager-secret", "", "configmaps target: NAMESPACE/NAME of the Secret that receives the merged Alertmanager configuration (key alertmanager.yaml; empty: routing is not delivered)")
}

// apply checks the flags against the chosen target and sets the controllers' options.
func (t *targetOptions) apply(f *pflag.FlagSet, o *controllers.Options) error {
	set := func(names ...string) []string {
		var out []string
		for _, n := range names {
			if f.Changed(n) {
				out = append(out, "--"+n)
			}
		}
		return out
	}
	var stray []string
	switch t.target {
	case controllers.TargetPrometheusOperator:
		stray = set("rules-dir", "alertmanager-config-file", "alertmanager-base-config", "prometheus-reload-url", "alertmanager-reload-url", "configmap-labels", "alertmanager-secret")
	case controllers.TargetFiles:
		stray = set("configmap-labels", "alertmanager-secret")
		if t.files.RulesDir == "" {
			return fmt.Errorf("--target=files needs --rules-dir")
		}
	case controllers.TargetConfigMaps:
		stray = set("rules-dir", "alertmanager-config-file", "prometheus-reload-url", "alertmanager-reload-url")
		if t.alertmanagerSecret != "" {
			ns, name, ok := strings.Cut(t.alertmanagerSecret, "/")
			if !ok || ns == "" || name == "" {
				return fmt.Errorf("--alertmanager-secret %q: want NAMESPACE/NAME", t.alertmanagerSecret)
			}
			o.ConfigMaps.AlertmanagerSecret = types.NamespacedName{Namespace: ns, Name: name}
		}
		o.ConfigMaps.SidecarLabels = t.sidecarLabels
		o.ConfigMaps.AlertmanagerBaseConfig = t.files.AlertmanagerBaseConfig
	default:
		return fmt.Errorf("--target %q: use %s, %s or %s", t.target, controllers.TargetPrometheusOperator, controllers.TargetFiles, controllers.TargetConfigMaps)
	}
	if len(stray) > 0 {
		return fmt.Errorf("%s not used by --target=%s", strings.Join(stray, ", "), t.target)
	}
	if b := t.files.AlertmanagerBaseConfig; b != "" {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("--alertmanager-base-config: %w", err)
		}
	}
	o.Target, o.Files = t.target, t.files
	return nil
}
