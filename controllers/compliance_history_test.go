package controllers_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/test/procs"
)

// rawRequests is OpenMetrics for http_requests_total{job="checkout",code} from from to at: 10
// requests per second, share of them failing (code 500), sampled every 2 minutes.
func rawRequests(from, at time.Time, share float64) string {
	var good, bad strings.Builder
	var g, b float64
	for t := from; !t.After(at); t = t.Add(2 * time.Minute) {
		g += 10 * (1 - share) * 120
		b += 10 * share * 120
		fmt.Fprintf(&good, "http_requests_total{job=\"checkout\",code=\"200\"} %s %d\n", strconv.FormatFloat(g, 'g', -1, 64), t.Unix())
		fmt.Fprintf(&bad, "http_requests_total{job=\"checkout\",code=\"500\"} %s %d\n", strconv.FormatFloat(b, 'g', -1, 64), t.Unix())
	}
	return good.String() + bad.String()
}

var _ = Describe("A standard applied to a service with 30 days of raw history", func() {
	It("shows its real standing at the first poll, from the raw series, and then costs no history queries", func() {
		ctx := context.Background()
		at := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
		ns := applySample(ctx)
		dir := GinkgoT().TempDir()
		// Only the raw counters: no hourly totals, no 5m rates.
		procs.BackfillOpenMetrics(GinkgoT(), "", dir, rawRequests(at.Add(-721*time.Hour), at, 0.0008))
		runner, _ := historyRunner(dir, at)
		// The runner measures every standard of the suite's API server (the other tests' too):
		// a budget for all of them, so this one's history is asked for at the first poll.
		runner.Options.History = &compliance.History{Queries: 1000}
		Expect(runner.Poll(ctx)).To(Succeed())

		st := getStandard(ctx, ns, "checkout").Status
		byName := map[string]pledgev1.ObjectiveStatus{}
		for _, o := range st.Objectives {
			byName[o.Name] = o
		}
		// 0.08% of the requests failed over the 719 hours before the last: 80% of a 0.1% budget.
		Expect(byName["availability"]).To(And(HaveField("State", pledgev1.StateAtRisk), HaveField("Attainment", "99.920"),
			HaveField("ErrorBudgetRemaining", "20.0"), HaveField("WindowCoverage", "99.9"), HaveField("HistoryCoverage", "99.9")))
		Expect(byName["response-time"]).To(And(HaveField("State", pledgev1.StateNoData), HaveField("HistoryCoverage", "")))

		// The next poll finds every history known: the standing is unchanged, nothing is written.
		rv := getStandard(ctx, ns, "checkout").ResourceVersion
		Expect(runner.Poll(ctx)).To(Succeed())
		Expect(getStandard(ctx, ns, "checkout").ResourceVersion).To(Equal(rv))
	})
})

var _ = Describe("A calendar month in Europe/Berlin that closes", func() {
	It("keeps the closed period with its coverage and records one PeriodClosed event", func() {
		ctx := context.Background()
		berlin, err := time.LoadLocation("Europe/Berlin")
		Expect(err).NotTo(HaveOccurred())
		// Half an hour into November in Berlin (23:30 UTC on 31 October).
		at := time.Date(2026, 11, 1, 0, 30, 0, 0, berlin)
		ns := newNamespace(ctx)
		std, policy := sample(ns)
		std.Spec.Window = ""
		std.Spec.Calendar = &pledgev1.CalendarWindow{Period: pledgev1.CalendarMonth, TimeZone: "Europe/Berlin"}
		Expect(k8sClient.Create(ctx, policy)).To(Succeed())
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("True/Applied"))

		// Hourly totals for the 30 days before at (from 2 October, 00:30 UTC): October in
		// Berlin has 745 hours, of which the 744 after its first are measured; 719 have data.
		dir := GinkgoT().TempDir()
		procs.BackfillOpenMetrics(GinkgoT(), "", dir, history(ns, at, map[string]float64{"availability": 0.0008, "response-time": 0.001}))
		runner, _ := historyRunner(dir, at)
		Expect(runner.Poll(ctx)).To(Succeed())

		periods := getStandard(ctx, ns, "checkout").Status.Periods
		Expect(periods).To(HaveLen(1))
		Expect(periods[0].Start.Time.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, berlin))).To(BeTrue(), "start %v", periods[0].Start)
		Expect(periods[0].End.Time.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, berlin))).To(BeTrue(), "end %v", periods[0].End)
		// (3 × 99.92 + 2 × 99.9) / 5; 719 of 744 hours.
		Expect(periods[0]).To(And(HaveField("Attainment", "99.91"), HaveField("Met", true), HaveField("Coverage", "96.6")))

		closed := func() []string {
			var list eventsv1.EventList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			var notes []string
			for _, e := range list.Items {
				if e.Reason == pledgev1.ReasonPeriodClosed {
					notes = append(notes, e.Note)
				}
			}
			return notes
		}
		Eventually(closed, timeout, interval).Should(Equal([]string{
			"Period 2026-10-01 to 2026-11-01 (Europe/Berlin) closed: attainment 99.91%, met, coverage 96.6%"}))
		// Once per period: the next poll finds it on the status.
		Expect(runner.Poll(ctx)).To(Succeed())
		Consistently(closed, 2*time.Second, interval).Should(HaveLen(1))
	})
})
