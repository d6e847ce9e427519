package controllers_test

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
)

var _ = Describe("Events", func() {
	// startEvents runs an event writer against the suite's API server until the spec ends.
	startEvents := func() (*controllers.Events, *controllers.Metrics) {
		m := controllers.NewMetrics(prometheus.NewRegistry())
		e, err := controllers.NewEvents(cfg, nil, scheme, m)
		Expect(err).NotTo(HaveOccurred())
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Start(ctx) }()
		DeferCleanup(func() {
			stop()
			Expect(<-done).To(Succeed())
		})
		return e, m
	}

	It("writes every event with its own note: two objectives breached at once are two events", func() {
		ctx := context.Background()
		ns := newNamespace(ctx)
		std := escalating(ns, "alpha", "99.9")
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		e, m := startEvents()
		rec := e.Recorder("pledge-compliance")
		rec.Eventf(std, nil, corev1.EventTypeWarning, pledgev1.ReasonObjectiveBreached, "Measure", "Objective %s breached", "latency")
		rec.Eventf(std, nil, corev1.EventTypeWarning, pledgev1.ReasonObjectiveBreached, "Measure", "Objective %s breached", "availability")
		rec.Eventf(std, nil, corev1.EventTypeWarning, pledgev1.ReasonObjectiveBreached, "Measure", "Objective %s breached", "latency")
		Eventually(eventNotes(ctx, ns, pledgev1.ReasonObjectiveBreached)).Should(ConsistOf(
			"alpha: Objective latency breached", "alpha: Objective availability breached", "alpha: Objective latency breached"))
		Consistently(eventNotes(ctx, ns, pledgev1.ReasonObjectiveBreached), "2s").Should(HaveLen(3))
		Expect(testutil.ToFloat64(m.EventsCounter("written"))).To(Equal(3.0))

		var list eventsv1.EventList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		for _, ev := range list.Items {
			if ev.Reason == pledgev1.ReasonObjectiveBreached {
				Expect(ev.ReportingController).To(Equal("pledge-compliance"))
				Expect(ev.ReportingInstance).To(HavePrefix("pledge-compliance-"))
				Expect(ev.Action).To(Equal("Measure"))
				Expect(ev.Type).To(Equal(corev1.EventTypeWarning))
				Expect(ev.Regarding.Kind).To(Equal("ServiceStandard"))
				Expect(ev.Regarding.UID).To(Equal(std.UID))
				Expect(ev.Series).To(BeNil())
			}
		}
	})

	It("counts an event the API server rejects as failed and says so", func() {
		std := escalating("no-such-namespace", "alpha", "99.9")
		std.UID = "0d1c5a3e-8b1e-4a57-9d0b-000000000001"
		e, m := startEvents()
		e.Recorder("pledge").Eventf(std, nil, corev1.EventTypeNormal, pledgev1.ReasonApplied, "Reconcile", "applied")
		Eventually(func() float64 { return testutil.ToFloat64(m.EventsCounter("failed")) }).Should(Equal(1.0))
		Expect(testutil.ToFloat64(m.EventsCounter("written"))).To(BeZero())
	})

	It("drops and counts what does not fit its queue rather than hold up a reconcile", func() {
		m := controllers.NewMetrics(prometheus.NewRegistry())
		e, err := controllers.NewEvents(cfg, nil, scheme, m) // not started: nothing leaves the queue
		Expect(err).NotTo(HaveOccurred())
		std := escalating("default", "alpha", "99.9")
		rec := e.Recorder("pledge")
		for i := range controllers.EventQueue + 2 {
			rec.Eventf(std, nil, corev1.EventTypeNormal, pledgev1.ReasonApplied, "Reconcile", fmt.Sprint(i))
		}
		Expect(testutil.ToFloat64(m.EventsCounter("dropped"))).To(Equal(2.0))
	})
})
