package main

import (
	"strings"
	"testing"
)

// Label flags are checked before the manager looks for a cluster, so a typo fails at once.
func TestManagerRejectsBadLabelFlags(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"key with a space":      {[]string{"--rule-labels", "release=kps,a b=x"}, `--rule-labels: key "a b"`},
		"value with a slash":    {[]string{"--alertmanagerconfig-labels", "team=a/b"}, `--alertmanagerconfig-labels: team: value "a/b"`},
		"Pledge's own label":    {[]string{"--rule-labels", "app.kubernetes.io/managed-by=helm"}, "--rule-labels: app.kubernetes.io/managed-by: set by Pledge"},
		"the standard's label":  {[]string{"--alertmanagerconfig-labels", "pledge.dev/service-standard=x"}, "--alertmanagerconfig-labels: pledge.dev/service-standard: set by Pledge"},
		"no value":              {[]string{"--rule-labels", "release"}, `"--rule-labels" flag: release must be formatted as key=value`},
		"Pledge's series label": {[]string{"--cluster-label", "namespace=eu-1"}, `--cluster-label "namespace=eu-1": "namespace" is a label Pledge or Prometheus sets itself`},
		"empty cluster":         {[]string{"--cluster-label", "cluster="}, `--cluster-label "cluster=": the value must not be empty`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", "/nonexistent")
			code, _, stderr := cliRun(t, nil, append([]string{"manager"}, tc.args...)...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q: want a failure naming %q", code, stderr, tc.want)
			}
		})
	}
}
