package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/test/procs"
)

// history is OpenMetrics for the hourly totals and 5m rates of objectives of the sample
// standard in namespace ns: 30 days ending at at, each objective at its error share.
func history(ns string, at time.Time, shares map[string]float64) string {
	var b strings.Builder
	for _, series := range []struct {
		name   string
		step   time.Duration
		from   time.Time
		value  float64 // events in one step, or per second for rates
		errors bool
	}{
		{"pledge:objective_errors:increase1h", time.Hour, at.Add(-30 * 24 * time.Hour), 36_000, true},
		{"pledge:objective_events:increase1h", time.Hour, at.Add(-30 * 24 * time.Hour), 36_000, false},
		{"pledge:objective_errors:rate5m", time.Minute, at.Add(-7 * time.Hour), 10, true},
		{"pledge:objective_events:rate5m", time.Minute, at.Add(-7 * time.Hour), 10, false},
	} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", series.name)
		for objective, share := range shares {
			v := series.value
			if series.errors {
				v *= share
			}
			for t := series.from.Add(series.step); !t.After(at); t = t.Add(series.step) {
				fmt.Fprintf(&b, "%s{namespace=%q,service_standard=\"checkout\",service=\"checkout\",objective=%q} %g %d\n",
					series.name, ns, objective, v, t.Unix())
			}
		}
	}
	return b.String()
}

var _ = Describe("Compliance status against a real Prometheus", func() {
	It("writes the standing and events, and reports Prometheus going away and coming back", func() {
		ctx := context.Background()
		at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
		ns, runner, prom := sampleWithHistory(ctx, at, map[string]float64{
			"availability":  0.0008, // 80% of a 0.1% budget spent: AtRisk
			"response-time": 0.001,  // a tenth of a 1% budget: Met
		})
		Expect(runner.Poll(ctx)).To(Succeed())

		st := getStandard(ctx, ns, "checkout").Status
		byName := map[string]pledgev1.ObjectiveStatus{}
		for _, o := range st.Objectives {
			byName[o.Name] = o
		}
		Expect(byName["availability"]).To(And(
			HaveField("State", pledgev1.StateAtRisk), HaveField("Attainment", "99.920"),
			HaveField("ErrorBudgetRemaining", "20.0"), HaveField("Target", "99.9"), HaveField("WindowCoverage", "100.0")))
		Expect(byName["response-time"]).To(And(HaveField("State", pledgev1.StateMet), HaveField("Attainment", "99.900"), HaveField("ErrorBudgetRemaining", "90.0")))
		Expect(byName["incident-resolution-p1"].State).To(Equal(pledgev1.StateNoData))
		Expect(st.Objectives).To(HaveLen(5))
		// Weights 3 (availability) and 2 (response-time); objectives without data are not weighed.
		Expect(st.Score).To(Equal(fmt.Sprintf("%.2f", (3*99.92+2*99.9)/5)))
		Expect(st.ErrorBudgetRemaining).To(Equal("20.0"))
		compliant := meta.FindStatusCondition(st.Conditions, pledgev1.ConditionCompliant)
		Expect(compliant).NotTo(BeNil())
		Expect(compliant.Status).To(BeEquivalentTo("True"))
		Expect(compliant.Message).To(ContainSubstring("at risk: availability"))
		Expect(meta.FindStatusCondition(st.Conditions, pledgev1.ConditionReady).Status).To(BeEquivalentTo("True"), "the Ready condition must survive")
		exhausted := meta.FindStatusCondition(st.Conditions, pledgev1.ConditionBudgetExhausted)
		Expect(exhausted).NotTo(BeNil())
		Expect(*exhausted).To(And(HaveField("Status", BeEquivalentTo("False")), HaveField("Reason", pledgev1.ReasonBudgetLeft),
			HaveField("Message", ContainSubstring("availability (20.0%)")), HaveField("ObservedGeneration", getStandard(ctx, ns, "checkout").Generation)))

		Eventually(func() []string {
			var list eventsv1.EventList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			var notes []string
			for _, e := range list.Items {
				if e.Reason == pledgev1.ReasonBudgetAtRisk {
					notes = append(notes, e.Note)
				}
			}
			return notes
		}, timeout, interval).Should(ContainElement(ContainSubstring("Objective availability at risk: budget 20.0% left")))

		// Unchanged standing: no write.
		rv := getStandard(ctx, ns, "checkout").ResourceVersion
		Expect(runner.Poll(ctx)).To(Succeed())
		Expect(getStandard(ctx, ns, "checkout").ResourceVersion).To(Equal(rv))

		// Prometheus down: Compliant is Unknown with the error; rules stay Ready.
		prom.Stop()
		Expect(runner.Poll(ctx)).To(HaveOccurred())
		std2 := getStandard(ctx, ns, "checkout")
		c := meta.FindStatusCondition(std2.Status.Conditions, pledgev1.ConditionCompliant)
		Expect(c.Status).To(BeEquivalentTo("Unknown"))
		Expect(c.Reason).To(Equal(pledgev1.ReasonPrometheusUnavailable))
		Expect(c.Message).To(ContainSubstring("connection refused"))
		Expect(meta.FindStatusCondition(std2.Status.Conditions, pledgev1.ConditionBudgetExhausted)).To(And(
			HaveField("Status", BeEquivalentTo("Unknown")), HaveField("Reason", pledgev1.ReasonPrometheusUnavailable)))
		Expect(meta.FindStatusCondition(std2.Status.Conditions, pledgev1.ConditionReady).Status).To(BeEquivalentTo("True"))

		// Back up: the next poll restores the standing.
		prom.Restart()
		Expect(runner.Poll(ctx)).To(Succeed())
		c = meta.FindStatusCondition(getStandard(ctx, ns, "checkout").Status.Conditions, pledgev1.ConditionCompliant)
		Expect(c.Status).To(BeEquivalentTo("True"))
		Expect(c.Reason).To(Equal(pledgev1.ReasonAllObjectivesMet))
	})
})

var _ = Describe("A spent error budget", func() {
	It("sets BudgetExhausted=True naming the objective, with an event", func() {
		ctx := context.Background()
		at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
		ns, runner, _ := sampleWithHistory(ctx, at, map[string]float64{
			"availability":  0.0015, // 1.5x a 0.1% budget: Breached, -50% left
			"response-time": 0.001,  // a tenth of a 1% budget: Met
		})
		Expect(runner.Poll(ctx)).To(Succeed())

		std := getStandard(ctx, ns, "checkout")
		c := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionBudgetExhausted)
		Expect(c).NotTo(BeNil())
		Expect(*c).To(And(HaveField("Status", BeEquivalentTo("True")), HaveField("Reason", pledgev1.ReasonBudgetSpent),
			HaveField("Message", Equal("Error budget spent: availability (-50.0%)")), HaveField("ObservedGeneration", std.Generation)))
		Eventually(func() []string {
			var list eventsv1.EventList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			var notes []string
			for _, e := range list.Items {
				if e.Reason == pledgev1.ReasonBudgetSpent {
					notes = append(notes, e.Type+": "+e.Note)
				}
			}
			return notes
		}, timeout, interval).Should(Equal([]string{"Warning: Error budget spent: availability (-50.0%)"}))
	})
})

var _ = Describe("Two objectives breached in one poll", func() {
	It("are two ObjectiveBreached events, each naming its objective", func() {
		ctx := context.Background()
		at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
		ns, runner, _ := sampleWithHistory(ctx, at, map[string]float64{
			"availability":  0.0015, // 1.5x a 0.1% budget: Breached
			"response-time": 0.02,   // 2x a 1% budget: Breached
		})
		Expect(runner.Poll(ctx)).To(Succeed())
		breached := eventNotes(ctx, ns, pledgev1.ReasonObjectiveBreached)
		Eventually(breached, timeout, interval).Should(ConsistOf(
			HavePrefix("checkout: Objective availability breached"), HavePrefix("checkout: Objective response-time breached")))
		Consistently(breached, "2s", interval).Should(HaveLen(2))
	})
})

// refusingQuerier refuses the queries that contain a string, as a query front end with a
// limit would refuse one tenant's unusual window.
// sampleWithHistory applies the sample standard in a new namespace and returns it with a
// compliance runner (historyRunner) on 30 days of its hourly totals at the given error ratio
// per objective.
func sampleWithHistory(ctx context.Context, at time.Time, errorRatios map[string]float64) (string, *controllers.ComplianceRunner, *procs.Prometheus) {
	ns := applySample(ctx)
	dir := GinkgoT().TempDir()
	procs.BackfillOpenMetrics(GinkgoT(), "", dir, history(ns, at, errorRatios))
	runner, prom := historyRunner(dir, at)
	return ns, runner, prom
}

// historyRunner starts a real Prometheus on the backfilled TSDB in dir and returns a compliance
// runner that measures it as of at, with the suite's event writer.
func historyRunner(dir string, at time.Time) (*controllers.ComplianceRunner, *procs.Prometheus) {
	prom := procs.StartPrometheus(GinkgoT(), procs.PrometheusOptions{TSDBDir: dir, ExtraFlags: []string{"--storage.tsdb.retention.time=10y"}})
	q, err := compliance.NewPrometheusQuerier(compliance.PrometheusOptions{URL: prom.URL(), Timeout: 5 * time.Second}, nil)
	Expect(err).NotTo(HaveOccurred())
	return &controllers.ComplianceRunner{
		Client: k8sClient, Querier: q, Interval: time.Hour, MaxAge: time.Hour,
		Options:  compliance.Options{AtRiskBudget: 25, Periods: 3},
		Recorder: suiteEvents.Recorder("pledge-compliance"),
		Now:      func() time.Time { return at },
	}, prom
}

type refusingQuerier struct {
	compliance.Querier
	refuse string
}

func (r refusingQuerier) Query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	if strings.Contains(q, r.refuse) {
		return nil, fmt.Errorf("query %q: refused by the query front end", q)
	}
	return r.Querier.Query(ctx, q, ts)
}

func (r refusingQuerier) QueryRange(ctx context.Context, q string, rng promv1.Range) (model.Matrix, error) {
	if strings.Contains(q, r.refuse) {
		return nil, fmt.Errorf("range query %q: refused by the query front end", q)
	}
	return r.Querier.QueryRange(ctx, q, rng)
}

var _ = Describe("A compliance query that fails", func() {
	It("leaves only the standards that need it unmeasured", func() {
		ctx := context.Background()
		at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
		usual, unusual := applySample(ctx), newNamespace(ctx)
		std, policy := sample(unusual)
		std.Spec.Window = "13d5h" // measured as 13 days and a remainder of 5 hours
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		Eventually(readyOf(ctx, unusual, "checkout"), timeout, interval).Should(Equal("True/Applied"))

		dir := GinkgoT().TempDir()
		for _, ns := range []string{usual, unusual} {
			procs.BackfillOpenMetrics(GinkgoT(), "", dir, history(ns, at, map[string]float64{"availability": 0.0001}))
		}
		runner, _ := historyRunner(dir, at)
		runner.Querier = refusingQuerier{Querier: runner.Querier, refuse: "[5h]"}
		Expect(runner.Poll(ctx)).To(MatchError(ContainSubstring("refused by the query front end")))

		measured := getStandard(ctx, usual, "checkout").Status
		c := meta.FindStatusCondition(measured.Conditions, pledgev1.ConditionCompliant)
		Expect(c).NotTo(BeNil())
		Expect(c.Reason).To(Equal(pledgev1.ReasonAllObjectivesMet))
		Expect(measured.Objectives).NotTo(BeEmpty())
		Expect(measured.Objectives[0]).To(And(HaveField("Name", "availability"), HaveField("Attainment", "99.990")))

		unmeasured := getStandard(ctx, unusual, "checkout").Status
		c = meta.FindStatusCondition(unmeasured.Conditions, pledgev1.ConditionCompliant)
		Expect(c).NotTo(BeNil())
		Expect(c.Status).To(BeEquivalentTo("Unknown"))
		Expect(c.Reason).To(Equal(pledgev1.ReasonPrometheusUnavailable))
		Expect(c.Message).To(ContainSubstring("[5h]"))
		Expect(unmeasured.Objectives).To(BeEmpty())
	})
})

var _ = Describe("Numbers that cannot be a standing", func() {
	It("write NoData with the objective's message and Compliant=Unknown InvalidData, never Met", func() {
		ctx := context.Background()
		at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
		ns, runner, _ := sampleWithHistory(ctx, at, map[string]float64{
			"availability":  1.2,   // more bad events than events, every hour
			"response-time": 0.001, // sane
		})
		Expect(runner.Poll(ctx)).To(Succeed())

		st := getStandard(ctx, ns, "checkout").Status
		Expect(st.Objectives).NotTo(BeEmpty())
		Expect(st.Objectives[0]).To(And(HaveField("Name", "availability"), HaveField("State", pledgev1.StateNoData), HaveField("Attainment", ""),
			HaveField("Message", "availability: bad events (31104000) exceed all events (25920000) over the window")))
		Expect(st.Objectives[1]).To(And(HaveField("Name", "response-time"), HaveField("State", pledgev1.StateMet)))
		c := meta.FindStatusCondition(st.Conditions, pledgev1.ConditionCompliant)
		Expect(c).NotTo(BeNil())
		Expect(c.Status).To(BeEquivalentTo("Unknown"))
		Expect(c.Reason).To(Equal(pledgev1.ReasonInvalidData))
		Expect(c.Message).To(ContainSubstring("availability: bad events (31104000) exceed all events (25920000) over the window"))
	})
})
