package controllers_test

import (
	"context"
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/dashboard"
	"github.com/pledge-dev/pledge/internal/render"
)

// startDashboards runs a manager with the dashboards controller until the spec ends.
func startDashboards(o controllers.DashboardOptions) {
	o.Enabled = true
	cancel, _ := startManagerOpts(cfg, controllers.Options{CRDRetryInterval: time.Second,
		Metrics: controllers.NewMetrics(prometheus.NewRegistry()), Dashboards: o})
	DeferCleanup(cancel)
}

// dashboardOf returns the dashboard ConfigMap of standard ns/checkout in cmNamespace, or nil.
func dashboardOf(ctx context.Context, cmNamespace, ns string) func() *corev1.ConfigMap {
	return func() *corev1.ConfigMap {
		cm := &corev1.ConfigMap{}
		err := k8sClient.Get(ctx, client.ObjectKey{Namespace: cmNamespace, Name: "pledge-dashboard-" + ns + ".checkout"}, cm)
		if apierrors.IsNotFound(err) {
			return nil
		}
		Expect(err).NotTo(HaveOccurred())
		return cm
	}
}

// dashboardJSON is the dashboard a ConfigMap holds, decoded.
func dashboardJSON(cm *corev1.ConfigMap, ns string) map[string]any {
	raw, ok := cm.Data[ns+"_checkout.grafana.json"]
	Expect(ok).To(BeTrue(), "data keys: %v", cm.Data)
	var d map[string]any
	Expect(json.Unmarshal([]byte(raw), &d)).To(Succeed())
	return d
}

var _ = Describe("Grafana dashboard ConfigMaps", func() {
	It("publishes the dashboard in the standard's namespace, owned by it, with the sidecar's label, and follows spec changes", func() {
		ctx := context.Background()
		startDashboards(controllers.DashboardOptions{})
		ns := applySample(ctx)
		std := getStandard(ctx, ns, "checkout")

		Eventually(dashboardOf(ctx, ns, ns), timeout, interval).ShouldNot(BeNil())
		cm := dashboardOf(ctx, ns, ns)()
		Expect(cm.Labels).To(HaveKeyWithValue("grafana_dashboard", "1"))
		Expect(cm.Labels).To(HaveKeyWithValue(render.LabelManagedBy, render.ManagedByValue))
		// The garbage collector deletes the ConfigMap with its controller (envtest runs no
		// garbage collector, so the reference is what is checked here).
		Expect(cm.OwnerReferences).To(HaveLen(1))
		Expect(cm.OwnerReferences[0].UID).To(Equal(std.UID))
		Expect(*cm.OwnerReferences[0].Controller).To(BeTrue())
		d := dashboardJSON(cm, ns)
		Expect(d["uid"]).To(Equal(dashboard.UID(&render.Standard{Namespace: ns, Name: "checkout"})))
		Expect(cm.Data[ns+"_checkout.grafana.json"]).To(ContainSubstring("Objective availability (target 99.9%)"))

		By("a changed target")
		std.Spec.Objectives[0].Target = "99.5"
		Expect(k8sClient.Update(ctx, std)).To(Succeed())
		Eventually(func() string {
			return dashboardOf(ctx, ns, ns)().Data[ns+"_checkout.grafana.json"]
		}, timeout, interval).Should(ContainSubstring("Objective availability (target 99.5%)"))

		By("a hand edit is put back")
		cm = dashboardOf(ctx, ns, ns)()
		want := cm.Data[ns+"_checkout.grafana.json"]
		cm.Data[ns+"_checkout.grafana.json"] = "{}"
		Expect(k8sClient.Update(ctx, cm)).To(Succeed())
		Eventually(func() string {
			return dashboardOf(ctx, ns, ns)().Data[ns+"_checkout.grafana.json"]
		}, timeout, interval).Should(Equal(want))
	})

	It("publishes into another namespace with configured labels and deletes the ConfigMap with the standard", func() {
		ctx := context.Background()
		dashboards := newNamespace(ctx)
		startDashboards(controllers.DashboardOptions{Namespace: dashboards, Labels: map[string]string{"grafana_folder": "slo"}})
		ns := applySample(ctx)

		Eventually(dashboardOf(ctx, dashboards, ns), timeout, interval).ShouldNot(BeNil())
		cm := dashboardOf(ctx, dashboards, ns)()
		Expect(cm.Labels).To(HaveKeyWithValue("grafana_folder", "slo"))
		Expect(cm.Labels).NotTo(HaveKey("grafana_dashboard"))
		Expect(cm.OwnerReferences).To(BeEmpty())
		Expect(cm.Data[ns+"_checkout.grafana.json"]).To(ContainSubstring("Escalation tiers firing"))

		By("the standard deleted")
		Expect(k8sClient.Delete(ctx, getStandard(ctx, ns, "checkout"))).To(Succeed())
		Eventually(dashboardOf(ctx, dashboards, ns), timeout, interval).Should(BeNil())
	})

	It("publishes the overview once in its namespace, for every standard without one of their constants, and puts it back when deleted or edited", func() {
		ctx := context.Background()
		grafana := newNamespace(ctx)
		startDashboards(controllers.DashboardOptions{OverviewNamespace: grafana, AtRiskBudget: 40})
		overview := func() *corev1.ConfigMap {
			cm := &corev1.ConfigMap{}
			err := k8sClient.Get(ctx, client.ObjectKey{Namespace: grafana, Name: controllers.OverviewConfigMap}, cm)
			if apierrors.IsNotFound(err) {
				return nil
			}
			Expect(err).NotTo(HaveOccurred())
			return cm
		}
		Eventually(overview, timeout, interval).ShouldNot(BeNil())
		cm := overview()
		Expect(cm.Labels).To(HaveKeyWithValue("grafana_dashboard", "1"))
		Expect(cm.Labels).To(HaveKeyWithValue(render.LabelManagedBy, render.ManagedByValue))
		want, err := dashboard.Overview("", 40)
		Expect(err).NotTo(HaveOccurred())
		wantJSON, err := dashboard.JSON(want)
		Expect(err).NotTo(HaveOccurred())
		Expect(cm.Data).To(Equal(map[string]string{controllers.OverviewKey: string(wantJSON)}))
		var d map[string]any
		Expect(json.Unmarshal([]byte(cm.Data[controllers.OverviewKey]), &d)).To(Succeed())
		Expect(d["uid"]).To(Equal(dashboard.OverviewUID))
		Expect(cm.Data[controllers.OverviewKey]).To(ContainSubstring("AtRisk below 40%"))

		By("a standard added: the overview does not change")
		ns := applySample(ctx)
		Eventually(dashboardOf(ctx, ns, ns), timeout, interval).ShouldNot(BeNil())
		Expect(overview().Data).To(Equal(cm.Data))
		Expect(overview().ResourceVersion).To(Equal(cm.ResourceVersion))

		By("a hand edit is put back")
		cm.Data[controllers.OverviewKey] = "{}"
		Expect(k8sClient.Update(ctx, cm)).To(Succeed())
		Eventually(func() string { return overview().Data[controllers.OverviewKey] }, timeout, interval).Should(Equal(string(wantJSON)))

		By("deleted, it is written again")
		Expect(k8sClient.Delete(ctx, overview())).To(Succeed())
		Eventually(func() string {
			if cm := overview(); cm != nil {
				return cm.Data[controllers.OverviewKey]
			}
			return ""
		}, timeout, interval).Should(Equal(string(wantJSON)))
	})
})
