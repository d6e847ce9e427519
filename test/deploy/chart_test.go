package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pledge-dev/pledge/test/procs"
)

func TestHelmLint(t *testing.T) {
	procs.Tool(t, "HELM")
	cases := map[string][]string{
		"default values":         {"lint", chartDir},
		"strict":                 {"lint", "--strict", chartDir},
		"strict, all values set": {"lint", "--strict", chartDir, "-f", allValues},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := runHelm(t, args...)
			if err != nil {
				t.Fatalf("helm %s: %v", strings.Join(args, " "), err)
			}
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Fatalf("helm %s:\n%s", strings.Join(args, " "), out)
			}
		})
	}
}

// The manager's arguments with the default values: leader election on, no compliance flags
// (no prometheus.url).
var defaultArgs = []string{
	"manager",
	"--metrics-bind-address=:8080",
	"--health-probe-bind-address=:8081",
	"--leader-elect",
	"--crd-retry-interval=30s",
	"--zap-log-level=info",
	"--zap-encoder=json",
}

func TestTemplateDefaults(t *testing.T) {
	procs.Tool(t, "HELM")
	objs := index(render(t, "pledge", "pledge-system"))
	const ns = "pledge-system"

	want := []string{
		key("ServiceAccount", ns, "pledge"),
		key("ClusterRole", "", "pledge-manager"),
		key("ClusterRoleBinding", "", "pledge-manager"),
		key("Role", ns, "pledge-leader-election"),
		key("RoleBinding", ns, "pledge-leader-election"),
		key("Service", ns, "pledge-metrics"),
		key("Deployment", ns, "pledge"),
		key("CustomResourceDefinition", "", "servicestandards.pledge.dev"),
		key("CustomResourceDefinition", "", "escalationpolicies.pledge.dev"),
	}
	got := objs.keys()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("rendered objects:\n got %v\nwant %v", got, want)
	}

	t.Run("deployment", func(t *testing.T) {
		d := objs.get(t, "Deployment", ns, "pledge")
		c := container(t, d)
		if got := stringSlice(t, c, "args"); !slices.Equal(got, defaultArgs) {
			t.Errorf("args:\n got %q\nwant %q", got, defaultArgs)
		}
		wantString(t, c, "pledge:dev", "image")
		wantString(t, c, "IfNotPresent", "imagePullPolicy")
		wantField(t, d.Object, int64(1), "spec", "replicas")
		wantString(t, d.Object, "pledge", "spec", "template", "spec", "serviceAccountName")
		wantField(t, d.Object, true, "spec", "template", "spec", "securityContext", "runAsNonRoot")
		wantString(t, d.Object, "RuntimeDefault", "spec", "template", "spec", "securityContext", "seccompProfile", "type")
		wantField(t, c, false, "securityContext", "allowPrivilegeEscalation")
		wantField(t, c, true, "securityContext", "readOnlyRootFilesystem")
		wantField(t, c, []any{"ALL"}, "securityContext", "capabilities", "drop")
		wantString(t, c, "/healthz", "livenessProbe", "httpGet", "path")
		wantString(t, c, "probes", "livenessProbe", "httpGet", "port")
		wantString(t, c, "/readyz", "readinessProbe", "httpGet", "path")
		wantString(t, c, "128Mi", "resources", "requests", "memory")
		wantString(t, c, "512Mi", "resources", "limits", "memory")
		wantString(t, c, "PLEDGE_MEMORY_LIMIT", "env", "0", "name")
		wantString(t, c, "limits.memory", "env", "0", "valueFrom", "resourceFieldRef", "resource")
		wantString(t, c, "manager", "env", "0", "valueFrom", "resourceFieldRef", "containerName")
		for _, absent := range [][]string{{"volumeMounts"}, {"env", "1"}} {
			wantAbsent(t, c, absent...)
		}
		for _, absent := range []string{"volumes", "imagePullSecrets", "nodeSelector", "tolerations", "affinity", "priorityClassName"} {
			wantAbsent(t, d.Object, "spec", "template", "spec", absent)
		}
		sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
		svcSel, _, _ := unstructured.NestedStringMap(objs.get(t, "Service", ns, "pledge-metrics").Object, "spec", "selector")
		podLabels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
		if !reflect.DeepEqual(sel, svcSel) || !subset(sel, podLabels) {
			t.Errorf("selectors: deployment %v, service %v, pod labels %v", sel, svcSel, podLabels)
		}
	})

	t.Run("rbac matches config/rbac", func(t *testing.T) {
		role := readObjects(t, filepath.Join(root, "config", "rbac", "role.yaml"))[0]
		wantField(t, objs.get(t, "ClusterRole", "", "pledge-manager").Object, role.Object["rules"], "rules")
		binding := objs.get(t, "ClusterRoleBinding", "", "pledge-manager").Object
		wantField(t, binding, []any{map[string]any{"kind": "ServiceAccount", "name": "pledge", "namespace": ns}}, "subjects")
		wantString(t, binding, "pledge-manager", "roleRef", "name")
		le := readObjects(t, filepath.Join(root, "config", "rbac", "leader_election_role.yaml"))[0]
		wantField(t, objs.get(t, "Role", ns, "pledge-leader-election").Object, le.Object["rules"], "rules")
	})

	t.Run("CRDs are config/crd/bases with the keep annotation", func(t *testing.T) {
		for _, base := range crdBases(t) {
			want := base.DeepCopy()
			ann := want.GetAnnotations()
			ann["helm.sh/resource-policy"] = "keep"
			want.SetAnnotations(ann)
			got := objs.get(t, "CustomResourceDefinition", "", base.GetName())
			if !reflect.DeepEqual(got.Object, want.Object) {
				t.Errorf("rendered CRD %s differs from %s plus the keep annotation", base.GetName(), crdBasesDir)
			}
		}
	})
}

func TestTemplateAllValues(t *testing.T) {
	procs.Tool(t, "HELM")
	const ns = "pledge-full"
	objs := index(render(t, "full", ns, "-f", allValues))

	d := objs.get(t, "Deployment", ns, "pledge-full")
	c := container(t, d)
	wantArgs := []string{
		"manager",
		"--metrics-bind-address=:9090",
		"--health-probe-bind-address=:9091",
		"--leader-elect", // replicas: 2 with leaderElection.enabled: false
		"--namespaces=team-a,team-b",
		"--crd-retry-interval=1m",
		"--rule-labels=example.com/team=platform,release=kube-prometheus-stack",
		"--alertmanagerconfig-labels=alertmanagerconfig=pledge",
		"--cluster-label=cluster=eu-1",
		"--prometheus-url=https://thanos-querier.monitoring.svc:9091",
		"--prometheus-timeout=45s",
		"--prometheus-bearer-token-file=/etc/pledge/prometheus/bearer-token/bearer",
		"--prometheus-ca-file=/etc/pledge/prometheus/ca/service-ca.crt",
		"--prometheus-header=X-Extra=a=b c",
		"--prometheus-header=X-Scope-OrgID=tenant-1",
		"--poll-interval=2m",
		"--status-max-age=15m",
		"--at-risk-budget=12.5",
		"--periods=6",
		"--rules-loaded-grace=3m",
		"--alertmanager-url=http://alertmanager-operated.monitoring:9093",
		"--web-address=:9092",
		"--zap-log-level=debug",
		"--zap-encoder=console",
		"--zap-stacktrace-level=panic",
	}
	if got := stringSlice(t, c, "args"); !slices.Equal(got, wantArgs) {
		t.Errorf("args:\n got %q\nwant %q", got, wantArgs)
	}

	pod := []string{"spec", "template", "spec"}
	at := func(path ...string) []string { return append(slices.Clone(pod), path...) }
	wantField(t, d.Object, int64(2), "spec", "replicas")
	wantString(t, c, "registry.example.com/pledge/pledge:v0.1.0", "image")
	wantString(t, c, "Always", "imagePullPolicy")
	wantField(t, d.Object, []any{map[string]any{"name": "regcred"}}, at("imagePullSecrets")...)
	wantString(t, d.Object, "pledge-manager", at("serviceAccountName")...)
	wantString(t, d.Object, "system-cluster-critical", at("priorityClassName")...)
	wantField(t, d.Object, int64(30), at("terminationGracePeriodSeconds")...)
	wantField(t, d.Object, int64(65532), at("securityContext", "runAsUser")...)
	wantString(t, d.Object, "linux", at("nodeSelector", "kubernetes.io/os")...)
	wantString(t, d.Object, "dedicated", append(at("tolerations"), "0", "key")...)
	wantField(t, d.Object, int64(100), append(at("affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"), "0", "weight")...)
	wantString(t, d.Object, "platform", "spec", "template", "metadata", "annotations", "example.com/team")
	wantString(t, d.Object, "control-plane", "spec", "template", "metadata", "labels", "example.com/tier")
	wantString(t, d.Object, "prometheus-token", append(at("volumes"), "0", "secret", "secretName")...)
	wantString(t, d.Object, "prometheus-ca", append(at("volumes"), "1", "configMap", "name")...)
	wantString(t, c, "/etc/pledge/prometheus/bearer-token", "volumeMounts", "0", "mountPath")
	wantString(t, c, "/etc/pledge/prometheus/ca", "volumeMounts", "1", "mountPath")
	wantString(t, c, "PLEDGE_MEMORY_LIMIT", "env", "0", "name")
	wantString(t, c, "HTTPS_PROXY", "env", "1", "name")
	wantField(t, c, int64(9090), "ports", "0", "containerPort")
	wantField(t, c, int64(9091), "ports", "1", "containerPort")
	wantField(t, c, int64(4), "livenessProbe", "failureThreshold")
	wantField(t, c, int64(2), "readinessProbe", "successThreshold")
	wantString(t, c, "1", "resources", "limits", "cpu")
	wantField(t, c, false, "securityContext", "privileged")
	wantField(t, c, true, "securityContext", "readOnlyRootFilesystem")

	sa := objs.get(t, "ServiceAccount", ns, "pledge-manager")
	wantString(t, sa.Object, "pledge", "metadata", "annotations", "example.com/role")

	wantField(t, c, int64(9092), "ports", "2", "containerPort")
	wantString(t, c, "web", "ports", "2", "name")
	web := objs.get(t, "Service", ns, "pledge-full-web")
	wantField(t, web.Object, int64(9092), "spec", "ports", "0", "port")
	wantString(t, web.Object, "web", "spec", "ports", "0", "targetPort")
	wantString(t, web.Object, "NodePort", "spec", "type")
	wantString(t, web.Object, "true", "metadata", "annotations", "example.com/board")
	ing := objs.get(t, "Ingress", ns, "pledge-full-web")
	wantString(t, ing.Object, "nginx", "spec", "ingressClassName")
	wantString(t, ing.Object, "pledge.example.com", "spec", "rules", "0", "host")
	wantString(t, ing.Object, "pledge-full-web", "spec", "rules", "0", "http", "paths", "0", "backend", "service", "name")
	wantString(t, ing.Object, "web", "spec", "rules", "0", "http", "paths", "0", "backend", "service", "port", "name")
	wantString(t, ing.Object, "pledge-tls", "spec", "tls", "0", "secretName")
	wantString(t, ing.Object, "pledge.example.com", "spec", "tls", "0", "hosts", "0")
	wantString(t, ing.Object, "https://auth.example.com/oauth2/auth", "metadata", "annotations", "nginx.ingress.kubernetes.io/auth-url")

	svc := objs.get(t, "Service", ns, "pledge-full-metrics")
	wantField(t, svc.Object, int64(9443), "spec", "ports", "0", "port")
	wantString(t, svc.Object, "true", "metadata", "annotations", "example.com/scrape")

	// Namespaced RBAC: the manager role is bound in the watched namespaces only.
	if crb := objs.ofKind("ClusterRoleBinding"); len(crb) != 0 {
		t.Errorf("ClusterRoleBinding rendered although namespaces are set: %v", crb[0].GetName())
	}
	for _, team := range []string{"team-a", "team-b"} {
		rb := objs.get(t, "RoleBinding", team, "pledge-full-manager")
		wantString(t, rb.Object, "ClusterRole", "roleRef", "kind")
		wantString(t, rb.Object, ns, "subjects", "0", "namespace")
	}
	objs.get(t, "Role", ns, "pledge-full-leader-election")

	sm := objs.get(t, "ServiceMonitor", ns, "pledge-full-metrics")
	wantString(t, sm.Object, "kube-prometheus-stack", "metadata", "labels", "release")
	wantString(t, sm.Object, "1m", "spec", "endpoints", "0", "interval")
	wantString(t, sm.Object, "20s", "spec", "endpoints", "0", "scrapeTimeout")
	wantString(t, sm.Object, "metrics", "spec", "endpoints", "0", "port")

	for _, crd := range objs.ofKind("CustomResourceDefinition") {
		if _, ok := crd.GetAnnotations()["helm.sh/resource-policy"]; ok {
			t.Errorf("CRD %s has the keep annotation with crds.keep: false", crd.GetName())
		}
	}
	if n := len(objs.ofKind("CustomResourceDefinition")); n != 2 {
		t.Errorf("%d CRDs rendered, want 2", n)
	}
}

// TestTemplateOptions renders the chart with single values changed from their defaults.
func TestTemplateOptions(t *testing.T) {
	procs.Tool(t, "HELM")
	cases := map[string]struct {
		set   []string
		check func(t *testing.T, objs objects)
	}{
		"one replica without leader election": {
			set: []string{"leaderElection.enabled=false"},
			check: func(t *testing.T, objs objects) {
				if slices.Contains(args(t, objs), "--leader-elect") {
					t.Error("--leader-elect with leaderElection.enabled=false and one replica")
				}
				if len(objs.ofKind("Role")) != 0 || len(objs.ofKind("RoleBinding")) != 0 {
					t.Error("leader-election Role/RoleBinding rendered without leader election")
				}
			},
		},
		"replicas > 1 force leader election": {
			set: []string{"leaderElection.enabled=false", "replicas=3"},
			check: func(t *testing.T, objs objects) {
				if !slices.Contains(args(t, objs), "--leader-elect") {
					t.Error("no --leader-elect with 3 replicas")
				}
				objs.get(t, "Role", "ns", "rel-pledge-leader-election")
			},
		},
		"crds disabled": {
			set: []string{"crds.enabled=false"},
			check: func(t *testing.T, objs objects) {
				if n := len(objs.ofKind("CustomResourceDefinition")); n != 0 {
					t.Errorf("%d CRDs rendered with crds.enabled=false", n)
				}
			},
		},
		"crds without keep": {
			set: []string{"crds.keep=false"},
			check: func(t *testing.T, objs objects) {
				crds := objs.ofKind("CustomResourceDefinition")
				if len(crds) != 2 {
					t.Fatalf("%d CRDs rendered, want 2", len(crds))
				}
				for _, crd := range crds {
					if ann := crd.GetAnnotations(); ann["helm.sh/resource-policy"] != "" || ann["controller-gen.kubebuilder.io/version"] == "" {
						t.Errorf("CRD %s annotations %v", crd.GetName(), ann)
					}
				}
			},
		},
		"board without ingress": {
			set: []string{"web.enabled=true"},
			check: func(t *testing.T, objs objects) {
				if !slices.Contains(args(t, objs), "--web-address=:8082") {
					t.Errorf("args %q lack --web-address=:8082", args(t, objs))
				}
				web := objs.get(t, "Service", "ns", "rel-pledge-web")
				wantField(t, web.Object, int64(8082), "spec", "ports", "0", "port")
				wantString(t, web.Object, "ClusterIP", "spec", "type")
				if n := len(objs.ofKind("Ingress")); n != 0 {
					t.Errorf("%d Ingresses rendered without web.ingress.enabled", n)
				}
			},
		},
		"board ingress for any host, without TLS": {
			set: []string{"web.enabled=true", "web.ingress.enabled=true"},
			check: func(t *testing.T, objs objects) {
				ing := objs.get(t, "Ingress", "ns", "rel-pledge-web")
				wantAbsent(t, ing.Object, "spec", "rules", "0", "host")
				wantAbsent(t, ing.Object, "spec", "tls")
				wantAbsent(t, ing.Object, "spec", "ingressClassName")
				wantString(t, ing.Object, "rel-pledge-web", "spec", "rules", "0", "http", "paths", "0", "backend", "service", "name")
			},
		},
		"serviceMonitor enabled": {
			set: []string{"serviceMonitor.enabled=true"},
			check: func(t *testing.T, objs objects) {
				sm := objs.get(t, "ServiceMonitor", "ns", "rel-pledge-metrics")
				wantString(t, sm.Object, "30s", "spec", "endpoints", "0", "interval")
				wantAbsent(t, sm.Object, "spec", "endpoints", "0", "scrapeTimeout")
			},
		},
		"rule labels without prometheus": {
			set: []string{"ruleLabels.release=kps"},
			check: func(t *testing.T, objs objects) {
				a := args(t, objs)
				if !slices.Contains(a, "--rule-labels=release=kps") {
					t.Errorf("args %q lack --rule-labels=release=kps", a)
				}
				for _, arg := range a {
					if strings.HasPrefix(arg, "--alertmanagerconfig-labels") || strings.HasPrefix(arg, "--cluster-label") || strings.HasPrefix(arg, "--rules-loaded-grace") {
						t.Errorf("unexpected %s without its value or without prometheus.url", arg)
					}
				}
			},
		},
		"serviceMonitor off by default": {
			check: func(t *testing.T, objs objects) {
				if n := len(objs.ofKind("ServiceMonitor")); n != 0 {
					t.Errorf("%d ServiceMonitors rendered by default", n)
				}
			},
		},
		"prometheus url with CA from a Secret": {
			set: []string{"prometheus.url=http://prometheus:9090", "prometheus.caSecret.name=prom-tls"},
			check: func(t *testing.T, objs objects) {
				a := args(t, objs)
				for _, want := range []string{"--prometheus-url=http://prometheus:9090", "--prometheus-timeout=30s", "--prometheus-ca-file=/etc/pledge/prometheus/ca/ca.crt",
					"--poll-interval=1m", "--status-max-age=10m", "--at-risk-budget=25", "--periods=3"} {
					if !slices.Contains(a, want) {
						t.Errorf("args %q lack %q", a, want)
					}
				}
				if slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "--prometheus-bearer-token-file") }) {
					t.Errorf("bearer token flag without bearerTokenSecret: %q", a)
				}
				d := objs.get(t, "Deployment", "ns", "rel-pledge")
				wantField(t, d.Object, []any{map[string]any{"name": "prometheus-ca", "secret": map[string]any{
					"secretName": "prom-tls", "items": []any{map[string]any{"key": "ca.crt", "path": "ca.crt"}}}}},
					"spec", "template", "spec", "volumes")
			},
		},
		"prometheus secrets ignored without url": {
			set: []string{"prometheus.bearerTokenSecret.name=token", "prometheus.headers.X-Scope-OrgID=t"},
			check: func(t *testing.T, objs objects) {
				if a := args(t, objs); slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "--prometheus") }) {
					t.Errorf("prometheus flags without prometheus.url: %q", a)
				}
				wantAbsent(t, objs.get(t, "Deployment", "ns", "rel-pledge").Object, "spec", "template", "spec", "volumes")
			},
		},
		"no rbac": {
			set: []string{"rbac.create=false"},
			check: func(t *testing.T, objs objects) {
				for _, kind := range []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
					if n := len(objs.ofKind(kind)); n != 0 {
						t.Errorf("%d %s rendered with rbac.create=false", n, kind)
					}
				}
			},
		},
		"existing service account": {
			set: []string{"serviceAccount.create=false", "serviceAccount.name=ops"},
			check: func(t *testing.T, objs objects) {
				if n := len(objs.ofKind("ServiceAccount")); n != 0 {
					t.Errorf("%d ServiceAccounts rendered with serviceAccount.create=false", n)
				}
				wantString(t, objs.get(t, "Deployment", "ns", "rel-pledge").Object, "ops", "spec", "template", "spec", "serviceAccountName")
				wantString(t, objs.get(t, "ClusterRoleBinding", "", "rel-pledge-manager").Object, "ops", "subjects", "0", "name")
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var flags []string
			for _, s := range tc.set {
				flags = append(flags, "--set", s)
			}
			tc.check(t, index(render(t, "rel", "ns", flags...)))
		})
	}
}

// TestValuesSchemaRejects checks that values.schema.json (and the template's own checks) stop
// wrong values before anything is rendered.
func TestValuesSchemaRejects(t *testing.T) {
	procs.Tool(t, "HELM")
	cases := map[string]struct {
		set  []string
		want string
	}{
		"unknown top-level key": {set: []string{"replica=2"}, want: "additional properties 'replica' not allowed"},
		"unknown nested key":    {set: []string{"prometheus.ur=http://p"}, want: "additional properties 'ur' not allowed"},
		"wrong type":            {set: []string{"replicas=two"}, want: "/replicas"},
		"boolean as string":     {set: []string{"crds.enabled=yes"}, want: "/crds/enabled"},
		"duration without unit": {set: []string{"pollInterval=60"}, want: "/pollInterval"},
		"budget above 100":      {set: []string{"atRiskBudget=150"}, want: "/atRiskBudget"},
		"url without scheme":    {set: []string{"prometheus.url=prometheus:9090"}, want: "/prometheus/url"},
		"bad pull policy":       {set: []string{"image.pullPolicy=Sometimes"}, want: "/image/pullPolicy"},
		"bad namespace name":    {set: []string{"namespaces={Team_A}"}, want: "/namespaces/0"},
		"CA from Secret and ConfigMap": {
			set:  []string{"prometheus.url=http://p", "prometheus.caSecret.name=a", "prometheus.caConfigMap.name=b"},
			want: "not both",
		},
		"no service account name":         {set: []string{"serviceAccount.create=false"}, want: "serviceAccount.name is required"},
		"bad rule label key":              {set: []string{"ruleLabels.-bad=x"}, want: "invalid propertyName '-bad'"},
		"bad rule label value":            {set: []string{"ruleLabels.release=a/b"}, want: "/ruleLabels/release"},
		"Pledge's own label":              {set: []string{"alertmanagerConfigLabels.app\\.kubernetes\\.io/managed-by=helm"}, want: "invalid propertyName 'app.kubernetes.io/managed-by'"},
		"grace without unit":              {set: []string{"rulesLoadedGrace=300"}, want: "/rulesLoadedGrace"},
		"alertmanager url without scheme": {set: []string{"alertmanager.url=alertmanager:9093"}, want: "/alertmanager/url"},
		"cluster label without value":     {set: []string{"clusterLabel=cluster"}, want: "/clusterLabel"},
		"board port out of range":         {set: []string{"web.port=70000"}, want: "/web/port"},
		"board host with a scheme":        {set: []string{"web.ingress.host=https://pledge.example.com"}, want: "/web/ingress/host"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := []string{"template", "rel", chartDir}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			out, err := runHelm(t, args...)
			if err == nil {
				t.Fatalf("helm accepted --set %v:\n%.500s", tc.set, out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("helm --set %v: error lacks %q:\n%v", tc.set, tc.want, err)
			}
		})
	}
}

// Lines hack/sync-chart.sh adds around and inside each CRD of config/crd/bases.
const (
	crdWrapperStart = "{{- if .Values.crds.enabled }}\n"
	crdWrapperEnd   = "{{- end }}\n"
	crdKeepLines    = "    {{- if .Values.crds.keep }}\n    helm.sh/resource-policy: keep\n    {{- end }}\n"
)

// TestChartCRDsMatchBases: the chart's CRD templates are config/crd/bases byte for byte, once
// the wrapper of hack/sync-chart.sh is taken off. Needs no tools.
func TestChartCRDsMatchBases(t *testing.T) {
	bases, _ := filepath.Glob(filepath.Join(crdBasesDir, "*.yaml"))
	chart, _ := filepath.Glob(filepath.Join(chartCRDsDir, "*.yaml"))
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if len(bases) == 0 || !slices.Equal(names(bases), names(chart)) {
		t.Fatalf("%s has %v, %s has %v: run hack/sync-chart.sh", crdBasesDir, names(bases), chartCRDsDir, names(chart))
	}
	for _, base := range bases {
		t.Run(filepath.Base(base), func(t *testing.T) {
			want, err := os.ReadFile(base)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(chartCRDsDir, filepath.Base(base)))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := bytes.CutPrefix(raw, []byte(crdWrapperStart))
			if ok {
				got, ok = bytes.CutSuffix(got, []byte(crdWrapperEnd))
			}
			if !ok || bytes.Count(got, []byte(crdKeepLines)) != 1 {
				t.Fatalf("%s is not wrapped the way hack/sync-chart.sh wraps it: run hack/sync-chart.sh", filepath.Base(base))
			}
			got = bytes.Replace(got, []byte(crdKeepLines), nil, 1)
			if !bytes.Equal(got, want) {
				t.Fatalf("chart CRD %s has drifted from %s: run hack/sync-chart.sh", filepath.Base(base), base)
			}
		})
	}
}

// TestChartClusterRoleMatchesRole: the rules of the chart's ClusterRole are the text of
// config/rbac/role.yaml's rules. Needs no tools (TestTemplateDefaults compares the rendered
// objects as well).
func TestChartClusterRoleMatchesRole(t *testing.T) {
	role, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join(chartDir, "templates", "clusterrole.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, want, ok1 := bytes.Cut(role, []byte("\nrules:\n"))
	_, got, ok2 := bytes.Cut(tmpl, []byte("\nrules:\n"))
	got, ok3 := bytes.CutSuffix(got, []byte(crdWrapperEnd))
	if !ok1 || !ok2 || !ok3 || !bytes.Equal(got, want) {
		t.Fatal("the rules of charts/pledge/templates/clusterrole.yaml differ from config/rbac/role.yaml: run hack/sync-chart.sh")
	}
}

// TestRenderedArgsParse runs the real manager command line parser on the arguments the chart
// renders, so that a renamed or retyped flag in cmd/pledge breaks this test and not a rollout.
func TestRenderedArgsParse(t *testing.T) {
	procs.Tool(t, "HELM")
	cases := map[string][]string{
		"default values":  nil,
		"all values":      {"-f", allValues},
		"prometheus only": {"--set", "prometheus.url=http://prometheus:9090", "--set", "log.level=3"},
	}
	rendered := map[string][]string{}
	for name, flags := range cases {
		rendered[name] = args(t, index(render(t, "rel", "ns", flags...)))
	}
	bin := filepath.Join(t.TempDir(), "pledge")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pledge")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pledge: %v\n%s", err, out)
	}
	for name, a := range rendered {
		t.Run(name, func(t *testing.T) {
			if a[0] != "manager" {
				t.Fatalf("first argument %q, want the manager subcommand", a[0])
			}
			// --help after the flags: cobra parses every flag (failing on unknown ones and
			// bad values) and then prints the help instead of starting the manager.
			out, err := exec.Command(bin, append(slices.Clone(a), "--help")...).CombinedOutput()
			if err != nil {
				t.Fatalf("pledge %s --help: %v\n%s", strings.Join(a, " "), err, out)
			}
		})
	}
}

// args returns the manager container's arguments of the release's Deployment.
func args(t *testing.T, objs objects) []string {
	t.Helper()
	ds := objs.ofKind("Deployment")
	if len(ds) != 1 {
		t.Fatalf("%d Deployments rendered, want 1", len(ds))
	}
	return stringSlice(t, container(t, ds[0]), "args")
}

// container returns the manager container of a Deployment.
func container(t *testing.T, d *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("Deployment %s has %d containers, want 1", d.GetName(), len(cs))
	}
	c, _ := cs[0].(map[string]any)
	if c["name"] != "manager" {
		t.Fatalf("container %v, want manager", c["name"])
	}
	return c
}

func stringSlice(t *testing.T, obj map[string]any, path ...string) []string {
	t.Helper()
	s, _, err := unstructured.NestedStringSlice(obj, path...)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(path, "."), err)
	}
	return s
}

// lookup follows a path of map keys and (decimal) slice indexes.
func lookup(obj any, path ...string) (any, bool) {
	for _, p := range path {
		switch o := obj.(type) {
		case map[string]any:
			v, ok := o[p]
			if !ok {
				return nil, false
			}
			obj = v
		case []any:
			i := 0
			for _, r := range p {
				if r < '0' || r > '9' {
					return nil, false
				}
				i = i*10 + int(r-'0')
			}
			if i >= len(o) {
				return nil, false
			}
			obj = o[i]
		default:
			return nil, false
		}
	}
	return obj, true
}

func wantField(t *testing.T, obj map[string]any, want any, path ...string) {
	t.Helper()
	got, ok := lookup(obj, path...)
	if !ok {
		t.Errorf("%s: missing, want %v", strings.Join(path, "."), want)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", strings.Join(path, "."), got, want)
	}
}

func wantString(t *testing.T, obj map[string]any, want string, path ...string) {
	t.Helper()
	wantField(t, obj, want, path...)
}

func wantAbsent(t *testing.T, obj map[string]any, path ...string) {
	t.Helper()
	if v, ok := lookup(obj, path...); ok {
		t.Errorf("%s = %v, want it absent", strings.Join(path, "."), v)
	}
}

func subset(small, big map[string]string) bool {
	for k, v := range small {
		if big[k] != v {
			return false
		}
	}
	return true
}

// crdBases decodes config/crd/bases.
func crdBases(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(crdBasesDir, "*.yaml"))
	var out []*unstructured.Unstructured
	for _, p := range paths {
		out = append(out, readObjects(t, p)...)
	}
	if len(out) == 0 {
		t.Fatalf("no CRDs in %s", crdBasesDir)
	}
	return out
}
