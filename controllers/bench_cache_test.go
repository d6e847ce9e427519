package controllers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// benchCachedMeta is the metadata the API server returns for a generated object (its
// managedFields shortened), with %d for what differs between objects.
const benchCachedMeta = `"metadata":{"name":"pledge-checkout-%[1]d","namespace":"bench-p0-3","uid":"6f1c2f6e-8a77-4d0b-9a51-%012[1]d","resourceVersion":"%[2]d","generation":1,"creationTimestamp":"2026-12-07T10:00:00Z","labels":{"app.kubernetes.io/managed-by":"pledge","pledge.dev/service-standard":"checkout-%[1]d"},"ownerReferences":[{"apiVersion":"pledge.dev/v1alpha1","kind":"ServiceStandard","name":"checkout-%[1]d","uid":"0c1c2f6e-8a77-4d0b-9a51-%012[1]d","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"pledge","operation":"Apply","apiVersion":"monitoring.coreos.com/v1","time":"2026-12-07T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app.kubernetes.io/managed-by":{},"f:pledge.dev/service-standard":{}}},"f:spec":{"f:groups":{}}}}]}`

// BenchmarkCachedObject reports the heap each object the manager's cache holds takes once
// decoded from the API server's JSON and transformed (compactGenerated): a generated
// PrometheusRule and AlertmanagerConfig, and the sample standard with the status of a Ready
// one. Run: go test ./controllers -run '^$' -bench BenchmarkCachedObject
func BenchmarkCachedObject(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "config", "samples", "pledge_v1alpha1_checkout.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	dec := serializer.NewCodecFactory(NewScheme()).UniversalDeserializer()
	obj, _, err := dec.Decode([]byte(strings.Split(string(raw), "\n---\n")[0]), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	std := obj.(*pledgev1.ServiceStandard)
	std.APIVersion, std.Kind = pledgev1.GroupVersion.String(), "ServiceStandard"
	std.Name, std.Namespace, std.Generation = "checkout-%[1]d", "bench-p0-3", 1
	std.UID, std.ResourceVersion = "0c1c2f6e-8a77-4d0b-9a51-%012[1]d", "%[2]d"
	std.Labels = map[string]string{"bench.pledge.dev/run": "p0"}
	std.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply,
		FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:service":{},"f:window":{}}}`)}}
	now := metav1.Now()
	std.Status = pledgev1.ServiceStandardStatus{ObservedGeneration: 1,
		Conditions: []metav1.Condition{
			{Type: pledgev1.ConditionReady, Status: metav1.ConditionTrue, Reason: pledgev1.ReasonApplied, LastTransitionTime: now, ObservedGeneration: 1,
				Message: `Applied PrometheusRule pledge-checkout (50), AlertmanagerConfig pledge-checkout (6); warnings: time interval "business-hours": Alertmanager evaluates AlertmanagerConfig time intervals in UTC; write the times in UTC`},
			{Type: pledgev1.ConditionRulesLoaded, Status: metav1.ConditionUnknown, Reason: "NotChecked", Message: "no Prometheus to ask", LastTransitionTime: now, ObservedGeneration: 1},
		},
		Generated: []pledgev1.GeneratedObject{{Kind: "PrometheusRule", Name: "pledge-checkout", Rules: 50}, {Kind: "AlertmanagerConfig", Name: "pledge-checkout"}},
	}
	stdJSON, err := json.Marshal(std)
	if err != nil {
		b.Fatal(err)
	}
	docs := map[string]string{
		"PrometheusRule":     `{"apiVersion":"monitoring.coreos.com/v1","kind":"PrometheusRule",` + benchCachedMeta + `,"spec":{"groups":[{"name":"pledge/bench-p0-3/checkout","rules":[{"record":"r","expr":"vector(1)"}]}]}}`,
		"AlertmanagerConfig": `{"apiVersion":"monitoring.coreos.com/v1alpha1","kind":"AlertmanagerConfig",` + benchCachedMeta + `,"spec":{"receivers":[{"name":"r"}],"route":{"receiver":"r"}}}`,
		"ServiceStandard":    string(stdJSON),
	}
	const n = 2000
	for _, kind := range []string{"ServiceStandard", "PrometheusRule", "AlertmanagerConfig"} {
		b.Run(kind, func(b *testing.B) {
			in := make([][]byte, n)
			for i := range in {
				in[i] = fmt.Appendf(nil, docs[kind], i, 1000+i)
			}
			var bytes uint64
			for range b.N {
				kept := make([]any, n)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i, doc := range in {
					obj, _, err := dec.Decode(doc, nil, nil)
					if err != nil {
						b.Fatal(err)
					}
					if kept[i], err = compactGenerated(obj); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(kept)
				bytes = (after.HeapAlloc - before.HeapAlloc) / n
			}
			runtime.KeepAlive(in)
			b.ReportMetric(float64(bytes), "heap-B/object")
		})
	}
}
