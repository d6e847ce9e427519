package deploy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pledge-dev/pledge/test/procs"
)

// TestTemplateTargets: target and configmaps turn into the manager's target flags (none for the
// default prometheus-operator target, nor the configmaps values under it), the base
// configuration is mounted where the flag points, and the schema refuses the files target and a
// Secret that is not NAMESPACE/NAME.
func TestTemplateTargets(t *testing.T) {
	procs.Tool(t, "HELM")
	cases := map[string]struct {
		set   []string
		want  []string
		mount bool
	}{
		"default":                           {},
		"configmaps values, default target": {set: []string{"configmaps.alertmanagerSecret=monitoring/am"}},
		"configmaps": {set: []string{"target=configmaps"},
			want: []string{"--target=configmaps", "--configmap-labels=prometheus_rule=1"}},
		"configmaps with Secret and base": {
			set: []string{"target=configmaps", "configmaps.labels.prometheus_rule=null", "configmaps.labels.rules=pledge",
				"configmaps.alertmanagerSecret=monitoring/alertmanager-config", "configmaps.alertmanagerBaseConfig.name=am-base"},
			want: []string{"--target=configmaps", "--configmap-labels=rules=pledge", "--alertmanager-secret=monitoring/alertmanager-config",
				"--alertmanager-base-config=/etc/pledge/alertmanager-base/alertmanager.yaml"},
			mount: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var flags []string
			for _, s := range tc.set {
				flags = append(flags, "--set", s)
			}
			out := render(t, "rel", "ns", flags...)
			var got []string
			for _, a := range args(t, index(out)) {
				for _, p := range []string{"--target", "--configmap-labels", "--alertmanager-secret", "--alertmanager-base-config"} {
					if strings.HasPrefix(a, p+"=") {
						got = append(got, a)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("target flags %q, want %q", got, tc.want)
			}
			js, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			if mounted := strings.Contains(string(js), `"mountPath":"/etc/pledge/alertmanager-base"`); mounted != tc.mount {
				t.Errorf("base configuration mounted: %v, want %v", mounted, tc.mount)
			}
		})
	}
	for _, bad := range []string{"target=files", "configmaps.alertmanagerSecret=no-namespace"} {
		if out, err := runHelm(t, "template", "rel", chartDir, "--set", bad); err == nil {
			t.Errorf("helm accepted %s:\n%.300s", bad, out)
		}
	}
}
