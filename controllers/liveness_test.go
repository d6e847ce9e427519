package controllers_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// escalating is a standard with an inline escalation, so that it has receivers; target sets
// the availability objective's target.
func escalating(ns, name, target string) *pledgev1.ServiceStandard {
	std := &pledgev1.ServiceStandard{}
	Expect(yaml.UnmarshalStrict([]byte(fmt.Sprintf(`apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata: {name: %s, namespace: %s}
spec:
  service: %s
  objectives:
    - name: availability
      target: %q
      ratio: {errors: 'http_requests_total{job="%s",code=~"5.."}', total: 'http_requests_total{job="%s"}'}
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers: [{name: pager, webhookConfigs: [{url: "http://pager.example.com/hook"}]}]
`, name, ns, name, target, name, name)), std)).To(Succeed())
	return std
}

// createReady creates standards and waits until each is Ready.
func createReady(ctx context.Context, stds ...*pledgev1.ServiceStandard) {
	for _, s := range stds {
		Expect(k8sClient.Create(ctx, s)).To(Succeed())
	}
	for _, s := range stds {
		Eventually(readyOf(ctx, s.Namespace, s.Name), timeout, interval).Should(Equal("True/Applied"))
	}
}

// rendered resolves a standard as stored, with the product's renderer.
func rendered(ctx context.Context, ns, name string) *render.Standard {
	s, errs := render.Resolve(getStandard(ctx, ns, name), nil)
	Expect(errs).To(BeEmpty())
	return s
}

func rulesLoaded(ctx context.Context, ns, name string) metav1.Condition {
	std := getStandard(ctx, ns, name)
	c := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionRulesLoaded)
	Expect(c).NotTo(BeNil(), "%s/%s has no RulesLoaded condition", ns, name)
	Expect(c.ObservedGeneration).To(Equal(std.Generation))
	return *c
}

// eventNotes are the notes of the events with the given reason in namespace ns.
func eventNotes(ctx context.Context, ns, reason string) func() []string {
	return func() []string {
		var list eventsv1.EventList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		var notes []string
		for _, e := range list.Items {
			if e.Reason == reason {
				notes = append(notes, e.Regarding.Name+": "+e.Note)
			}
		}
		return notes
	}
}

var _ = Describe("RulesLoaded against a real Prometheus and Alertmanager", func() {
	It("is True where the rule groups and receivers run and False with the likely cause where they do not", func() {
		ctx := context.Background()
		ns := newNamespace(ctx)
		createReady(ctx, escalating(ns, "alpha", "99.9"), escalating(ns, "beta", "99.9"))
		alpha, beta := rendered(ctx, ns, "alpha"), rendered(ctx, ns, "beta")
		plainRules := func(stds ...*render.Standard) string {
			b, err := render.RulesFile(stds)
			Expect(err).NotTo(HaveOccurred())
			return string(b)
		}
		plainAM := func(stds ...*render.Standard) string {
			b, err := render.AlertmanagerFile(stds, render.SMTP{})
			Expect(err).NotTo(HaveOccurred())
			return string(b)
		}

		// Nothing of either standard is running yet.
		prom := procs.StartPrometheus(GinkgoT(), procs.PrometheusOptions{RuleFiles: map[string]string{"pledge.yml": "groups: []\n"}})
		am := procs.StartAlertmanager(GinkgoT(), procs.AlertmanagerOptions{})
		q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 5 * time.Second}, nil)
		Expect(err).NotTo(HaveOccurred())
		m := controllers.NewMetrics(prometheus.NewRegistry())
		at := time.Now()
		checker := &controllers.LivenessChecker{
			Client: k8sClient, Prometheus: q, Alertmanager: compliance.NewAlertmanagerReader(am.URL(), 5*time.Second),
			Grace: time.Minute, Recorder: suiteEvents.Recorder("pledge-liveness"), Metrics: m,
			Now: func() time.Time { return at },
		}
		Expect(checker.Poll(ctx)).To(Succeed())
		for _, name := range []string{"alpha", "beta"} {
			c := rulesLoaded(ctx, ns, name)
			Expect(c.Status).To(Equal(metav1.ConditionUnknown), "within the grace period: %s", c.Message)
			Expect(c.Reason).To(Equal(pledgev1.ReasonLoadPending))
		}

		// Prometheus and Alertmanager load alpha only, as the plain formats render it.
		prom.WriteRuleFile("pledge.yml", plainRules(alpha))
		prom.Reload()
		am.WriteConfig(plainAM(alpha))
		am.Reload()
		at = at.Add(2 * time.Minute)
		Expect(checker.Poll(ctx)).To(Succeed())
		a := rulesLoaded(ctx, ns, "alpha")
		Expect(a.Status).To(Equal(metav1.ConditionTrue), a.Message)
		Expect(a.Reason).To(Equal(pledgev1.ReasonLoaded))
		Expect(a.Message).To(ContainSubstring("Prometheus loaded pledge/%s/alpha, pledge/%s/alpha/5m, pledge/%s/alpha/hourly", ns, ns, ns))
		b := rulesLoaded(ctx, ns, "beta")
		Expect(b.Status).To(Equal(metav1.ConditionFalse), b.Message)
		Expect(b.Reason).To(Equal(pledgev1.ReasonNotLoaded))
		Expect(b.Message).To(And(
			ContainSubstring("no Prometheus loaded group pledge/%s/beta, pledge/%s/beta/5m, pledge/%s/beta/hourly", ns, ns, ns),
			ContainSubstring("ruleSelector / ruleNamespaceSelector"), ContainSubstring("release="),
			ContainSubstring("lacks receiver %s", beta.ReceiverName("unrouted")),
			ContainSubstring("alertmanagerConfigSelector / alertmanagerConfigNamespaceSelector")))
		Expect(testutil.ToFloat64(m.RulesLoadedGauge(metav1.ConditionTrue))).To(BeNumerically(">=", 1))
		Expect(testutil.ToFloat64(m.RulesLoadedGauge(metav1.ConditionFalse))).To(BeNumerically(">=", 1))
		Eventually(eventNotes(ctx, ns, pledgev1.ReasonNotLoaded), timeout, interval).Should(ContainElement(
			ContainSubstring("beta: RulesLoaded False: no Prometheus loaded group")))

		// A restarted checker (a new leader) keeps beta NotLoaded instead of granting a new grace.
		restarted := &controllers.LivenessChecker{Client: k8sClient, Prometheus: q,
			Alertmanager: compliance.NewAlertmanagerReader(am.URL(), 5*time.Second), Grace: time.Hour}
		Expect(restarted.Poll(ctx)).To(Succeed())
		Expect(rulesLoaded(ctx, ns, "beta").Reason).To(Equal(pledgev1.ReasonNotLoaded))

		// Prometheus loads beta's groups too: only Alertmanager is left to blame.
		prom.WriteRuleFile("pledge.yml", plainRules(alpha, beta))
		prom.Reload()
		Expect(checker.Poll(ctx)).To(Succeed())
		b = rulesLoaded(ctx, ns, "beta")
		Expect(b.Status).To(Equal(metav1.ConditionFalse), b.Message)
		Expect(b.Message).NotTo(ContainSubstring("no Prometheus loaded group"))
		Expect(b.Message).To(ContainSubstring("lacks receiver"))

		// Alertmanager runs beta's receivers too: beta is live.
		am.WriteConfig(plainAM(alpha, beta))
		am.Reload()
		Expect(checker.Poll(ctx)).To(Succeed())
		b = rulesLoaded(ctx, ns, "beta")
		Expect(b.Status).To(Equal(metav1.ConditionTrue), b.Message)
		Eventually(eventNotes(ctx, ns, pledgev1.ReasonLoaded), timeout, interval).Should(ContainElement(HavePrefix("beta: RulesLoaded True")))

		// Prometheus gone: not checkable, Unknown with the error.
		prom.Stop()
		Expect(checker.Poll(ctx)).NotTo(Succeed())
		a = rulesLoaded(ctx, ns, "alpha")
		Expect(a.Status).To(Equal(metav1.ConditionUnknown))
		Expect(a.Reason).To(Equal(pledgev1.ReasonPrometheusUnavailable))
		Expect(a.Message).To(ContainSubstring("connection refused"))
	})

	It("is Unknown when the manager has no Prometheus to ask", func() {
		ctx := context.Background()
		ns := newNamespace(ctx)
		createReady(ctx, escalating(ns, "alpha", "99.9"))
		Expect((&controllers.LivenessChecker{Client: k8sClient}).Poll(ctx)).To(Succeed())
		c := rulesLoaded(ctx, ns, "alpha")
		Expect(c.Status).To(Equal(metav1.ConditionUnknown))
		Expect(c.Reason).To(Equal(pledgev1.ReasonNotChecked))
		Expect(c.Message).To(ContainSubstring("--prometheus-url"))
	})
})

var _ = Describe("Platform labels and render warnings", func() {
	It("puts --rule-labels and --alertmanagerconfig-labels on the generated objects, and keeps Pledge's own", func() {
		ctx := context.Background()
		stop, _ := startManagerOpts(cfg, controllers.Options{
			CRDRetryInterval: time.Second, Metrics: controllers.NewMetrics(prometheus.NewRegistry()),
			RuleLabels:               map[string]string{"release": "kube-prometheus-stack"},
			AlertmanagerConfigLabels: map[string]string{"alertmanagerconfig": "pledge"},
		})
		defer stop()
		ns := newNamespace(ctx)
		createReady(ctx, escalating(ns, "alpha", "99.9"))
		Eventually(func() map[string]string {
			pr, err := prometheusRule(ctx, ns, "alpha")
			Expect(err).NotTo(HaveOccurred())
			return pr.Labels
		}, timeout, interval).Should(And(HaveKeyWithValue("release", "kube-prometheus-stack"),
			HaveKeyWithValue(render.LabelManagedBy, render.ManagedByValue), HaveKeyWithValue(render.LabelObjectStandard, "alpha")))
		Eventually(func() map[string]string {
			amc := &monitoringv1alpha1.AlertmanagerConfig{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: render.ObjectName("alpha")}, amc)).To(Succeed())
			return amc.Labels
		}, timeout, interval).Should(And(HaveKeyWithValue("alertmanagerconfig", "pledge"),
			HaveKeyWithValue(render.LabelManagedBy, render.ManagedByValue), Not(HaveKey("release"))))
	})

	It("names render warnings in Ready, which stays True, and records a RenderWarning event", func() {
		ctx := context.Background()
		ns := newNamespace(ctx)
		// A 90% target leaves a 10% budget: the 14.4x page-fast pair would need 144% errors.
		createReady(ctx, escalating(ns, "loose", "90"))
		Expect(readyMessage(ctx, ns, "loose")).To(And(HavePrefix("Applied PrometheusRule"),
			ContainSubstring(`warnings: spec.alerting.windows: window pair "page-fast" needs an error ratio of 144% or more`),
			ContainSubstring("can never fire")))
		Eventually(eventNotes(ctx, ns, pledgev1.ReasonRenderWarning), timeout, interval).Should(ConsistOf(
			ContainSubstring(`loose: spec.alerting.windows: window pair "page-fast"`)))
	})
})
