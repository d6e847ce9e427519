package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// tokenAsString is a receiver the CRD stores (it types receivers two objects deep) but
// prometheus-operator's Go type cannot hold: a token written inline, where a Secret reference
// belongs.
var tokenAsString = map[string]any{"name": "lead", "webhookConfigs": []any{map[string]any{
	"url": "http://lead.example.com/hook", "httpConfig": map[string]any{"authorization": map[string]any{"credentials": "s3cr3t-token"}},
}}}

// slackAsString is the same mistake two objects deep, which the CRD refuses.
var slackAsString = map[string]any{"name": "lead", "slackConfigs": []any{map[string]any{"apiURL": "https://hooks.slack.example/T0/B0/secret"}}}

// withReceiver converts obj to unstructured and replaces the receiver at path (inside spec).
func withReceiver(obj client.Object, gvk string, receiver map[string]any, path ...any) *unstructured.Unstructured {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	Expect(err).NotTo(HaveOccurred())
	delete(m, "status")
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(pledgev1.GroupVersion.String())
	u.SetKind(gvk)
	u.SetResourceVersion("")
	u.SetUID("")
	u.SetManagedFields(nil)
	var node any = m["spec"]
	for i, step := range path {
		last := i == len(path)-1
		switch s := step.(type) {
		case string:
			if last {
				node.(map[string]any)[s] = receiver
			}
			node = node.(map[string]any)[s]
		case int:
			if last {
				node.([]any)[s] = receiver
			}
			node = node.([]any)[s]
		}
	}
	return u
}

var _ = Describe("A malformed object", func() {
	ctx := context.Background()

	It("marks only itself invalid: the other standards keep reconciling, also after a manager restart", func() {
		ns := newNamespace(ctx)
		std, policy := sample(ns)
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		good := make([]string, 10)
		for i := range good {
			s := std.DeepCopy()
			s.Name = fmt.Sprintf("good-%d", i)
			s.Spec.Service = s.Name
			Expect(k8sClient.Create(ctx, s)).To(Succeed())
			good[i] = s.Name
		}

		// Where the CRD types receivers, the API server refuses the mistake.
		refused := policy.DeepCopy()
		refused.Name = "refused"
		err := k8sClient.Create(ctx, withReceiver(refused, "EscalationPolicy", slackAsString, "tiers", 1, "receivers", 0))
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("spec.tiers[1].receivers[0].slackConfigs[0].apiURL"))

		// Deeper, the operator finds it: in a policy (and a standard that references it) and
		// inline.
		badPolicy := policy.DeepCopy()
		badPolicy.Name = "broken"
		Expect(k8sClient.Create(ctx, withReceiver(badPolicy, "EscalationPolicy", tokenAsString, "tiers", 1, "receivers", 0))).To(Succeed())
		refBad := std.DeepCopy()
		refBad.Name = "refers-to-broken"
		refBad.Spec.Escalation = &pledgev1.Escalation{PolicyRef: &pledgev1.PolicyReference{Name: "broken"}}
		Expect(k8sClient.Create(ctx, refBad)).To(Succeed())
		inline := std.DeepCopy()
		inline.Name = "inline-broken"
		inline.Spec.Escalation = &pledgev1.Escalation{Tiers: policy.Spec.Tiers, EscalationRouting: policy.Spec.EscalationRouting}
		Expect(k8sClient.Create(ctx, withReceiver(inline, "ServiceStandard", tokenAsString, "escalation", "tiers", 1, "receivers", 0))).To(Succeed())

		allGoodReady := func() []string {
			var states []string
			for _, name := range good {
				states = append(states, readyOf(ctx, ns, name)())
			}
			return states
		}
		tenReady := HaveEach("True/" + pledgev1.ReasonApplied)
		Eventually(allGoodReady, timeout, interval).Should(tenReady)
		Consistently(allGoodReady, 2*time.Second, interval).Should(tenReady)

		const field = "tiers[1].receivers[0].webhookConfigs[0].httpConfig.authorization.credentials"
		Eventually(readyOf(ctx, ns, "inline-broken"), timeout, interval).Should(Equal("False/" + pledgev1.ReasonInvalidSpec))
		Expect(readyMessage(ctx, ns, "inline-broken")).To(And(ContainSubstring("spec.escalation."+field), Not(ContainSubstring("s3cr3t"))))
		Eventually(readyOf(ctx, ns, "refers-to-broken"), timeout, interval).Should(Equal("False/" + pledgev1.ReasonInvalidSpec))
		Expect(readyMessage(ctx, ns, "refers-to-broken")).To(And(ContainSubstring("spec.escalation.policyRef.name"), ContainSubstring("spec."+field)))
		Eventually(func() string {
			p := &pledgev1.EscalationPolicy{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "broken"}, p)).To(Succeed())
			for _, c := range p.Status.Conditions {
				if c.Type == pledgev1.ConditionReady && c.ObservedGeneration == p.Generation {
					return string(c.Status) + "/" + c.Reason + ": " + c.Message
				}
			}
			return "pending"
		}, timeout, interval).Should(HavePrefix("False/" + pledgev1.ReasonInvalidSpec + ": spec." + field))

		// A change to a good standard is applied.
		changeTarget := func(name, target string) {
			s := getStandard(ctx, ns, name)
			s.Spec.Objectives[0].Target = pledgev1.Percent(target)
			Expect(k8sClient.Update(ctx, s)).To(Succeed())
			Eventually(readyOf(ctx, ns, name), timeout, interval).Should(Equal("True/" + pledgev1.ReasonApplied))
			Eventually(func() string {
				pr, err := prometheusRule(ctx, ns, name)
				Expect(err).NotTo(HaveOccurred())
				js, err := json.Marshal(pr.Spec)
				Expect(err).NotTo(HaveOccurred())
				return string(js)
			}, timeout, interval).Should(ContainSubstring(target + "%"))
		}
		changeTarget("good-3", "99.5")

		// The manager restarts with the malformed objects present: its caches sync, and it
		// serves the good standards (a change and a new standard) as before.
		cancel()
		cancel, suiteMgr = startManagerWith(cfg, metrics)
		syncCtx, syncDone := context.WithTimeout(ctx, timeout)
		defer syncDone()
		Expect(suiteMgr.GetCache().WaitForCacheSync(syncCtx)).To(BeTrue(), "the restarted manager's caches sync")
		changeTarget("good-7", "99.8")
		s := std.DeepCopy()
		s.Name = "good-10"
		s.Spec.Service = s.Name
		Expect(k8sClient.Create(ctx, s)).To(Succeed())
		good = append(good, s.Name)
		Eventually(allGoodReady, timeout, interval).Should(HaveEach("True/" + pledgev1.ReasonApplied))
		Expect(readyOf(ctx, ns, "inline-broken")()).To(Equal("False/" + pledgev1.ReasonInvalidSpec))
	})
})
