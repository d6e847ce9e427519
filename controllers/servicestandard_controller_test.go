package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/render"
)

const (
	timeout  = 20 * time.Second
	interval = 100 * time.Millisecond
)

// newNamespace creates a namespace of its own for one spec.
func newNamespace(ctx context.Context) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "test-" + rand.String(6)}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// sample decodes the canonical sample into the given namespace: the standard and its policy.
func sample(ns string) (*pledgev1.ServiceStandard, *pledgev1.EscalationPolicy) {
	raw, err := os.ReadFile(filepath.Join("..", "config", "samples", "pledge_v1alpha1_checkout.yaml"))
	Expect(err).NotTo(HaveOccurred())
	decode := serializer.NewCodecFactory(scheme).UniversalDeserializer().Decode
	var std *pledgev1.ServiceStandard
	var policy *pledgev1.EscalationPolicy
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		obj, _, err := decode([]byte(doc), nil, nil)
		Expect(err).NotTo(HaveOccurred())
		switch o := obj.(type) {
		case *pledgev1.ServiceStandard:
			std = o
		case *pledgev1.EscalationPolicy:
			policy = o
		}
	}
	std.Namespace, policy.Namespace = ns, ns
	return std, policy
}

// applySample creates the canonical sample in a new namespace and waits until it is Ready.
func applySample(ctx context.Context) string {
	ns := newNamespace(ctx)
	std, policy := sample(ns)
	Expect(k8sClient.Create(ctx, policy)).To(Succeed())
	Expect(k8sClient.Create(ctx, std)).To(Succeed())
	Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("True/Applied"))
	return ns
}

func getStandard(ctx context.Context, ns, name string) *pledgev1.ServiceStandard {
	std := &pledgev1.ServiceStandard{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, std)).To(Succeed())
	return std
}

// readyReason returns the Ready condition's status and reason once it describes the current
// generation.
func readyOf(ctx context.Context, ns, name string) func() string {
	return func() string {
		std := getStandard(ctx, ns, name)
		c := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionReady)
		if c == nil || c.ObservedGeneration != std.Generation || std.Status.ObservedGeneration != std.Generation {
			return "pending"
		}
		return string(c.Status) + "/" + c.Reason
	}
}

func readyMessage(ctx context.Context, ns, name string) string {
	c := meta.FindStatusCondition(getStandard(ctx, ns, name).Status.Conditions, pledgev1.ConditionReady)
	Expect(c).NotTo(BeNil())
	return c.Message
}

func prometheusRule(ctx context.Context, ns, std string) (*monitoringv1.PrometheusRule, error) {
	pr := &monitoringv1.PrometheusRule{}
	return pr, k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "pledge-" + std}, pr)
}

func ruleCount(pr *monitoringv1.PrometheusRule) int {
	n := 0
	for _, g := range pr.Spec.Groups {
		n += len(g.Rules)
	}
	return n
}

var _ = Describe("ServiceStandard controller", func() {
	ctx := context.Background()

	It("applies the canonical sample as a PrometheusRule and an AlertmanagerConfig it owns", func() {
		ns := applySample(ctx)

		pr, err := prometheusRule(ctx, ns, "checkout")
		Expect(err).NotTo(HaveOccurred())
		Expect(ruleCount(pr)).To(Equal(67)) // 5 objectives × (2 recording + 4 hourly + 3 burn + 1 no-data + 3 tiers) + 2 budget-left (one per threshold)
		Expect(metav1.IsControlledBy(pr, getStandard(ctx, ns, "checkout"))).To(BeTrue())
		Expect(pr.Labels).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "pledge"))
		Expect(pr.ManagedFields).To(ContainElement(HaveField("Manager", "pledge")))

		amc := &monitoringv1alpha1.AlertmanagerConfig{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "pledge-checkout"}, amc)).To(Succeed())
		Expect(metav1.IsControlledBy(amc, getStandard(ctx, ns, "checkout"))).To(BeTrue())
		Expect(amc.Spec.Receivers).To(ContainElement(HaveField("Name", ns+"/checkout/team-lead")))

		st := getStandard(ctx, ns, "checkout").Status
		Expect(st.Generated).To(ConsistOf(
			pledgev1.GeneratedObject{Kind: "PrometheusRule", Name: "pledge-checkout", Rules: 67},
			pledgev1.GeneratedObject{Kind: "AlertmanagerConfig", Name: "pledge-checkout", Rules: 5},
		))
		Expect(readyMessage(ctx, ns, "checkout")).To(ContainSubstring("PrometheusRule pledge-checkout (67)"))

		Eventually(func() []string {
			var list eventsv1.EventList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			var reasons []string
			for _, e := range list.Items {
				if e.Regarding.Name == "checkout" {
					reasons = append(reasons, e.Reason)
				}
			}
			return reasons
		}, timeout, interval).Should(ContainElement(pledgev1.ReasonApplied))

		Expect(testutil.ToFloat64(metricsReady("True"))).To(BeNumerically(">=", 1))
	})

	It("leaves kubectl's last-applied configuration on the standard (the cache drops its copy)", func() {
		ns := newNamespace(ctx)
		std, policy := sample(ns)
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		applied, err := json.Marshal(std)
		Expect(err).NotTo(HaveOccurred())
		std.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: string(applied)}
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("True/Applied"))
		// The status was patched from the cached copy, which has no such annotation.
		got := getStandard(ctx, ns, "checkout")
		Expect(got.Status.Generated).NotTo(BeEmpty())
		Expect(got.Annotations).To(HaveKeyWithValue(corev1.LastAppliedConfigAnnotation, string(applied)))
	})

	It("writes nothing when the generated objects would not change", func() {
		ns := applySample(ctx)
		pr, err := prometheusRule(ctx, ns, "checkout")
		Expect(err).NotTo(HaveOccurred())

		// A new generation whose rendering is identical: reconciled, but no write.
		cur := getStandard(ctx, ns, "checkout")
		cur.Spec.Description = "a description does not change the rules"
		Expect(k8sClient.Update(ctx, cur)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("True/Applied"))
		after, err := prometheusRule(ctx, ns, "checkout")
		Expect(err).NotTo(HaveOccurred())
		Expect(after.ResourceVersion).To(Equal(pr.ResourceVersion))
	})

	It("puts back a hand edit of a generated object", func() {
		ns := applySample(ctx)

		pr, err := prometheusRule(ctx, ns, "checkout")
		Expect(err).NotTo(HaveOccurred())
		pr.Spec.Groups[0].Rules = pr.Spec.Groups[0].Rules[:1]
		pr.Spec.Groups[0].Rules[0].Expr = intstr.FromString("vector(1)")
		Expect(k8sClient.Update(ctx, pr)).To(Succeed())
		Eventually(func() int {
			pr, err := prometheusRule(ctx, ns, "checkout")
			Expect(err).NotTo(HaveOccurred())
			return ruleCount(pr)
		}, timeout, interval).Should(Equal(67))
		pr, _ = prometheusRule(ctx, ns, "checkout")
		Expect(pr.Spec.Groups[0].Rules[0].Expr.String()).NotTo(Equal("vector(1)"))
	})

	It("never overwrites an object it did not create", func() {
		ns := newNamespace(ctx)
		foreign := &monitoringv1.PrometheusRule{
			ObjectMeta: metav1.ObjectMeta{Name: "pledge-checkout", Namespace: ns},
			Spec: monitoringv1.PrometheusRuleSpec{Groups: []monitoringv1.RuleGroup{{
				Name: "theirs", Rules: []monitoringv1.Rule{{Record: "x", Expr: intstr.FromString("vector(1)")}},
			}}},
		}
		Expect(k8sClient.Create(ctx, foreign)).To(Succeed())
		std, policy := sample(ns)
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("False/Conflict"))
		Expect(readyMessage(ctx, ns, "checkout")).To(ContainSubstring("PrometheusRule " + ns + "/pledge-checkout exists and was not created by this ServiceStandard"))
		Consistently(func() string {
			pr, err := prometheusRule(ctx, ns, "checkout")
			Expect(err).NotTo(HaveOccurred())
			return pr.Spec.Groups[0].Name
		}, 2*time.Second, interval).Should(Equal("theirs"))
		// The manager's cache holds only objects labelled as Pledge's: the conflict was found
		// by a read past it.
		err := suiteMgr.GetCache().Get(ctx, client.ObjectKeyFromObject(foreign), &monitoringv1.PrometheusRule{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the foreign PrometheusRule is not cached: %v", err)
	})

	It("takes back its own object when the managed-by label was removed by hand", func() {
		ns := applySample(ctx)
		pr, err := prometheusRule(ctx, ns, "checkout")
		Expect(err).NotTo(HaveOccurred())
		delete(pr.Labels, render.LabelManagedBy)
		Expect(k8sClient.Update(ctx, pr)).To(Succeed())
		// The cache drops the object; the owner is reconciled, finds it past the cache, sees it
		// is its own and applies it again, label included.
		Eventually(func() string {
			pr, err := prometheusRule(ctx, ns, "checkout")
			Expect(err).NotTo(HaveOccurred())
			return pr.Labels[render.LabelManagedBy]
		}, timeout, interval).Should(Equal(render.ManagedByValue))
		Expect(readyOf(ctx, ns, "checkout")()).To(Equal("True/Applied"))
	})

	It("reports a spec that passes the schema but not deeper validation, and keeps the last good objects", func() {
		ns := applySample(ctx)
		pr, err := prometheusRule(ctx, ns, "checkout")
		Expect(err).NotTo(HaveOccurred())

		cur := getStandard(ctx, ns, "checkout")
		cur.Spec.Objectives[0].Ratio.Errors = `http_requests_total{job="checkout"`
		Expect(k8sClient.Update(ctx, cur)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("False/InvalidSpec"))
		Expect(readyMessage(ctx, ns, "checkout")).To(ContainSubstring("spec.objectives[0].ratio.errors"))
		Consistently(func() string {
			after, err := prometheusRule(ctx, ns, "checkout")
			Expect(err).NotTo(HaveOccurred())
			return after.ResourceVersion
		}, 2*time.Second, interval).Should(Equal(pr.ResourceVersion))
	})

	It("reports a missing policy and picks it up when it appears; policy changes re-render", func() {
		ns := newNamespace(ctx)
		std, policy := sample(ns)
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("False/PolicyNotFound"))
		Expect(readyMessage(ctx, ns, "checkout")).To(ContainSubstring(`spec.escalation.policyRef.name: EscalationPolicy "payments" not found`))

		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("True/Applied"))

		// A fourth tier: the standard is re-rendered through the policy index.
		cur := &pledgev1.EscalationPolicy{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(policy), cur)).To(Succeed())
		extra := cur.Spec.Tiers[0].DeepCopy()
		extra.Name, extra.After = "director", "4h"
		cur.Spec.Tiers = append(cur.Spec.Tiers, *extra)
		Expect(k8sClient.Update(ctx, cur)).To(Succeed())
		Eventually(func() int {
			pr, err := prometheusRule(ctx, ns, "checkout")
			Expect(err).NotTo(HaveOccurred())
			return ruleCount(pr)
		}, timeout, interval).Should(Equal(72)) // one more tier alert per objective
		Eventually(func() []pledgev1.GeneratedObject { return getStandard(ctx, ns, "checkout").Status.Generated }, timeout, interval).
			Should(ContainElement(pledgev1.GeneratedObject{Kind: "AlertmanagerConfig", Name: "pledge-checkout", Rules: 6}))
	})

	It("removes the AlertmanagerConfig when the standard stops escalating", func() {
		ns := applySample(ctx)
		cur := getStandard(ctx, ns, "checkout")
		cur.Spec.Escalation = nil
		Expect(k8sClient.Update(ctx, cur)).To(Succeed())
		Eventually(func() bool {
			err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "pledge-checkout"}, &monitoringv1alpha1.AlertmanagerConfig{})
			return apierrors.IsNotFound(err)
		}, timeout, interval).Should(BeTrue())
		Eventually(func() []pledgev1.GeneratedObject { return getStandard(ctx, ns, "checkout").Status.Generated }, timeout, interval).
			Should(HaveLen(1))
	})

	It("rejects invalid specs at admission with the CEL messages", func() {
		ns := newNamespace(ctx)
		cases := map[string]struct {
			mutate  func(*pledgev1.ServiceStandard)
			message string
		}{
			"target out of range": {func(s *pledgev1.ServiceStandard) { s.Spec.Objectives[0].Target = "100" }, "must be strictly between 0 and 100"},
			"two indicators": {func(s *pledgev1.ServiceStandard) {
				s.Spec.Objectives[0].Bool = &pledgev1.BoolIndicator{Selector: "up"}
			}, "set exactly one indicator"},
			"window and calendar": {func(s *pledgev1.ServiceStandard) {
				s.Spec.Calendar = &pledgev1.CalendarWindow{Period: pledgev1.CalendarMonth}
			}, "set either window or calendar"},
			"zero window":         {func(s *pledgev1.ServiceStandard) { s.Spec.Window = "0d" }, "must be a positive duration"},
			"duplicate objective": {func(s *pledgev1.ServiceStandard) { s.Spec.Objectives[1].Name = "availability" }, "Duplicate value"},
			"tiers out of order": {func(s *pledgev1.ServiceStandard) {
				r := []pledgev1.Receiver{{Receiver: monitoringv1alpha1.Receiver{Name: "r"}}}
				s.Spec.Escalation = &pledgev1.Escalation{Tiers: []pledgev1.EscalationTier{
					{Name: "a", After: "1h", Receivers: r}, {Name: "b", After: "30m", Receivers: r}}}
			}, "must increase strictly"},
			"tier without receivers": {func(s *pledgev1.ServiceStandard) {
				s.Spec.Escalation = &pledgev1.Escalation{Tiers: []pledgev1.EscalationTier{{Name: "a", After: "0m"}}}
			}, "spec.escalation.tiers[0].receivers"},
		}
		for name, tc := range cases {
			std, _ := sample(ns)
			std.Name = "bad-" + rand.String(5)
			tc.mutate(std)
			err := k8sClient.Create(ctx, std)
			Expect(err).To(HaveOccurred(), name)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), name)
			Expect(err.Error()).To(ContainSubstring(tc.message), name)
		}
	})
})

var _ = Describe("Without the prometheus-operator CRDs", func() {
	It("reports them missing without crashing, and works once they are installed", func() {
		ctx := context.Background()
		bins, monitoringCRDs := assets()
		env := &envtest.Environment{
			CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
			ErrorIfCRDPathMissing: true,
			BinaryAssetsDirectory: bins,
		}
		cfg, err := env.Start()
		Expect(err).NotTo(HaveOccurred())
		defer func() { Expect(env.Stop()).To(Succeed()) }()
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		stop := startManager(cfg, controllers.NewMetrics(prometheus.NewRegistry()))
		defer stop()

		Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
		std, policy := sample("shop")
		Expect(c.Create(ctx, policy)).To(Succeed())
		Expect(c.Create(ctx, std)).To(Succeed())
		ready := func() string {
			s := &pledgev1.ServiceStandard{}
			Expect(c.Get(ctx, client.ObjectKeyFromObject(std), s)).To(Succeed())
			if cond := meta.FindStatusCondition(s.Status.Conditions, pledgev1.ConditionReady); cond != nil {
				return fmt.Sprintf("%s/%s", cond.Status, cond.Reason)
			}
			return "pending"
		}
		Eventually(ready, timeout, interval).Should(Equal("False/" + pledgev1.ReasonCRDsMissing))

		_, err = envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{monitoringCRDs}, ErrorIfPathMissing: true})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ready, timeout, interval).Should(Equal("True/" + pledgev1.ReasonApplied))

		// The generated objects are watched from now on: a hand edit is put back.
		pr := &monitoringv1.PrometheusRule{}
		Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "pledge-checkout"}, pr)).To(Succeed())
		pr.Spec.Groups[0].Rules = pr.Spec.Groups[0].Rules[:1]
		Expect(c.Update(ctx, pr)).To(Succeed())
		Eventually(func() int {
			Expect(c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "pledge-checkout"}, pr)).To(Succeed())
			return ruleCount(pr)
		}, timeout, interval).Should(Equal(67))
	})
})
