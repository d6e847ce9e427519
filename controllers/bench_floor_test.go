package controllers_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/render"
)

// BenchmarkAPIServerFloor measures what the API server alone needs for the requests the manager
// makes per new standard (BenchmarkThousandStandards counts them): create the standard, then,
// from PLEDGE_BENCH_WORKERS goroutines, per standard a GET of each generated object (404), a
// server-side apply of its PrometheusRule and AlertmanagerConfig (rendered as the manager
// renders them), a status patch and two events. No manager runs: this is the floor under any
// reconciler's time to Ready on the same machine, with the same envtest API server and etcd.
func BenchmarkAPIServerFloor(b *testing.B) {
	n, workers, cfg, _ := benchSetup(b)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tmplStd, tmplPolicy := benchSample(b)
	namespaces := benchPolicyNamespaces(ctx, b, c, "floor", tmplPolicy)
	policy := tmplPolicy.DeepCopy()
	policy.Namespace = namespaces[0]

	b.ResetTimer()
	start := time.Now()
	var requests [7]time.Duration // create, 2 GETs, 2 applies, status, events
	var mu sync.Mutex
	timed := func(i int, f func() error) error {
		t := time.Now()
		err := f()
		mu.Lock()
		requests[i] += time.Since(t)
		mu.Unlock()
		return err
	}
	benchParallel(b, workers, n, func(i int) error {
		std := tmplStd.DeepCopy()
		std.Namespace = namespaces[i%benchNamespaces]
		std.Name = fmt.Sprintf("checkout-%04d", i)
		std.Spec.Service = std.Name
		if err := timed(0, func() error { return c.Create(ctx, std) }); err != nil {
			return err
		}
		resolved, problems := render.ResolveAt(std, render.Policies(policyIn(policy, std.Namespace)), time.Now())
		if len(problems) > 0 {
			return problems.ToAggregate()
		}
		amc, err := resolved.AlertmanagerConfig()
		if err != nil {
			return err
		}
		for j, obj := range []client.Object{resolved.PrometheusRule(), amc} {
			key := client.ObjectKeyFromObject(obj)
			probe := &unstructured.Unstructured{}
			probe.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
			if err := timed(1, func() error { return c.Get(ctx, key, probe) }); !apierrors.IsNotFound(err) {
				return fmt.Errorf("GET %s: want 404, got %v", key, err)
			}
			m, err := render.Unstructured(obj)
			if err != nil {
				return err
			}
			u := &unstructured.Unstructured{Object: m}
			if err := timed(2+j, func() error {
				return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(controllers.FieldManager), client.ForceOwnership)
			}); err != nil {
				return err
			}
		}
		before := std.DeepCopy()
		std.Status.ObservedGeneration = std.Generation
		std.Status.Conditions = []metav1.Condition{{Type: pledgev1.ConditionReady, Status: metav1.ConditionTrue, Reason: pledgev1.ReasonApplied,
			Message: "PrometheusRule and AlertmanagerConfig applied", LastTransitionTime: metav1.Now(), ObservedGeneration: std.Generation}}
		if err := timed(4, func() error {
			return c.Status().Patch(ctx, std, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		}); err != nil {
			return err
		}
		for k, reason := range []string{pledgev1.ReasonRenderWarning, pledgev1.ReasonApplied} {
			ev := &eventsv1.Event{
				ObjectMeta: metav1.ObjectMeta{Namespace: std.Namespace, Name: fmt.Sprintf("%s.%d", std.Name, k)},
				Regarding:  corev1.ObjectReference{Kind: "ServiceStandard", APIVersion: pledgev1.GroupVersion.String(), Namespace: std.Namespace, Name: std.Name, UID: std.UID},
				Reason:     reason, Type: corev1.EventTypeNormal, Note: "floor", Action: "Reconcile",
				EventTime: metav1.NewMicroTime(time.Now()), ReportingController: "pledge.dev/bench", ReportingInstance: "bench",
			}
			if err := timed(5+k, func() error { return c.Create(ctx, ev) }); err != nil {
				return err
			}
		}
		return nil
	})
	elapsed := time.Since(start)
	b.StopTimer()
	names := []string{"create standard", "GET generated (x2)", "APPLY PrometheusRule", "APPLY AlertmanagerConfig", "PATCH status", "POST event 1", "POST event 2"}
	for i, d := range requests {
		per := n
		if i == 1 {
			per = 2 * n
		}
		b.Logf("%-26s mean %v", names[i], (d / time.Duration(per)).Round(100*time.Microsecond))
	}
	b.Logf("%d standards' requests from %d goroutines: %v (%.1f standards/s); 10,000 would take %v at this rate",
		n, workers, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), (elapsed * time.Duration(10000) / time.Duration(n)).Round(time.Second))
	b.ReportMetric(elapsed.Seconds(), "s-all-requests")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "standards/s")
}

// policyIn is the policy as it lives in namespace ns.
func policyIn(p *pledgev1.EscalationPolicy, ns string) *pledgev1.EscalationPolicy {
	q := p.DeepCopy()
	q.Namespace = ns
	return q
}
