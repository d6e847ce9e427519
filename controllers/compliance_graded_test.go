package controllers_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/test/procs"
)

var _ = Describe("Compliance status of graded classes with their own targets", func() {
	It("judges each class by its own target and counts the graded objective once in the score", func() {
		ctx := context.Background()
		at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
		ns := newNamespace(ctx)
		std, policy := sample(ns)
		// The sample's incident-resolution promises 95% at weight 1; p1 promises 99, p3 90.
		std.Spec.Objectives[2].Latency.Graded.Targets = map[string]pledgev1.Percent{"p1": "99", "p3": "90"}
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("True/Applied"))

		dir := GinkgoT().TempDir()
		procs.BackfillOpenMetrics(GinkgoT(), "", dir, history(ns, at, map[string]float64{
			"availability":           0.0008, // 99.920, weight 3
			"response-time":          0.001,  // 99.900, weight 2
			"incident-resolution-p1": 0.02,   // twice a 1% budget
			"incident-resolution-p2": 0.02,   // two fifths of the objective's 5% budget
			"incident-resolution-p3": 0.05,   // half a 10% budget
		}))
		runner, _ := historyRunner(dir, at)
		Expect(runner.Poll(ctx)).To(Succeed())

		st := getStandard(ctx, ns, "checkout").Status
		byName := map[string]pledgev1.ObjectiveStatus{}
		for _, o := range st.Objectives {
			byName[o.Name] = o
		}
		Expect(byName["incident-resolution-p1"]).To(And(HaveField("Target", "99"), HaveField("State", pledgev1.StateBreached),
			HaveField("Attainment", "98.000"), HaveField("ErrorBudgetRemaining", "-100.0")))
		Expect(byName["incident-resolution-p2"]).To(And(HaveField("Target", "95"), HaveField("State", pledgev1.StateMet),
			HaveField("Attainment", "98.000"), HaveField("ErrorBudgetRemaining", "60.0")))
		Expect(byName["incident-resolution-p3"]).To(And(HaveField("Target", "90"), HaveField("State", pledgev1.StateMet),
			HaveField("Attainment", "95.000"), HaveField("ErrorBudgetRemaining", "50.0")))
		// (3 × 99.92 + 2 × 99.9 + 1 × (98 + 98 + 95) / 3) / 6 = 99.43: the three classes weigh
		// a third each. Copying the weight to every class would give 98.82.
		Expect(st.Score).To(Equal("99.43"))
	})
})
