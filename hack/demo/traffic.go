package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// The demo's traffic: what the sample standards measure, as history and live.
//
// History is written straight as the series Pledge records — the hourly totals for 30 days and
// the 5m rates for the last hours — because those are what compliance and the alerts read;
// writing 30 days of raw counters and histograms would need the recording rules to run over
// them first. From the start on, a live exporter serves the raw series with the same rates
// and error shares, and the recording rules loaded into Prometheus carry the series on.

// Demo rates: events per second and the share of them that is bad.
const (
	checkoutRPS = 10.0
	searchRPS   = 20.0
	ledgerRPS   = 5.0
	// The ledger's 0/1 reconciliation gauge is scraped every second: one event per second.
	reconciliationPerSecond = 1.0

	checkoutErrors = 0.0008 // 80% of a 0.1% budget spent: AtRisk
	checkoutSlow   = 0.003  // slower than 300ms: 30% of a 1% budget
	searchErrors   = 0.008  // 160% of a 0.5% budget: Breached, and a slow-burn ticket fires
	searchSlow     = 0.02   // slower than 500ms: 40% of a 5% budget
	ledgerErrors   = 0.0001 // 20% of a 0.05% budget
)

// incidentClass is one priority of checkout's incident-resolution objective.
type incidentClass struct {
	priority  string
	perHour   float64
	threshold float64 // seconds, the objective's bucket bound
	slow      float64 // share resolved later than threshold
}

var incidentClasses = []incidentClass{
	{"p1", 2, 4 * 3600, 0.02},
	{"p2", 6, 24 * 3600, 0.015},
	{"p3", 12, 72 * 3600, 0.005},
}

// incidentBuckets are the bounds of incident_resolution_duration_seconds.
var incidentBuckets = []float64{3600, 4 * 3600, 24 * 3600, 72 * 3600}

// objective is the history of one objective of the sample standards.
type objective struct {
	namespace, standard, service, name string
	perSecond                          float64
	share                              float64 // of bad events, now and for most of the history
	// outage is an episode of the history: share bad between ago+length and ago before the start.
	outage *outage
}

type outage struct {
	ago, length time.Duration
	share       float64
}

func (o objective) shareAt(t, start time.Time) float64 {
	if o.outage != nil {
		to := start.Add(-o.outage.ago)
		if t.After(to.Add(-o.outage.length)) && !t.After(to) {
			return o.outage.share
		}
	}
	return o.share
}

// history lists the objectives of config/samples that the demo feeds.
func history() []objective {
	var out []objective
	add := func(ns, std, svc, name string, perSecond, share float64, o *outage) {
		out = append(out, objective{ns, std, svc, name, perSecond, share, o})
	}
	add("shop", "checkout", "checkout", "availability", checkoutRPS, checkoutErrors, nil)
	add("shop", "checkout", "checkout", "response-time", checkoutRPS, checkoutSlow, nil)
	for _, c := range incidentClasses {
		add("shop", "checkout", "checkout", "incident-resolution-"+c.priority, c.perHour/3600, c.slow, nil)
	}
	add("web", "search", "search", "availability", searchRPS, searchErrors, nil)
	add("web", "search", "search", "response-time", searchRPS, searchSlow, nil)
	add("payments", "ledger", "ledger", "availability", ledgerRPS, ledgerErrors, nil)
	// Twelve days ago the bank link was down for two hours: 10% of the samples were bad.
	add("payments", "ledger", "ledger", "reconciliation", reconciliationPerSecond, 0,
		&outage{ago: 12 * 24 * time.Hour, length: 2 * time.Hour, share: 0.1})
	return out
}

// historyDays of hourly totals; rateHistory of 5m rates (the alert windows up to 6h read them)
// at rateStep, Prometheus's evaluation interval in the demo.
const (
	historyDays = 30
	rateHistory = 7 * time.Hour
	rateStep    = 15 * time.Second
)

// openMetrics writes the recorded series of objs up to start as OpenMetrics text.
func openMetrics(objs []objective, start time.Time) string {
	var b strings.Builder
	labels := func(o objective) string {
		return fmt.Sprintf(`{%s=%q,%s=%q,%s=%q,%s=%q}`, render.LabelNamespace, o.namespace, render.LabelStandard, o.standard,
			render.LabelService, o.service, render.LabelObjective, o.name)
	}
	for _, s := range []struct {
		name   string
		errors bool
		hourly bool
	}{
		{render.SeriesErrorsHourly, true, true},
		{render.SeriesEventsHourly, false, true},
		{render.SeriesErrors, true, false},
		{render.SeriesEvents, false, false},
	} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", s.name)
		for _, o := range objs {
			l := labels(o)
			from, step, scale := start.Add(-rateHistory), rateStep, 1.0
			if s.hourly {
				from, step, scale = start.Add(-historyDays*24*time.Hour+time.Hour), time.Hour, 3600
			}
			for t := from; !t.After(start); t = t.Add(step) {
				v := o.perSecond * scale
				if s.errors {
					v *= o.shareAt(t, start)
				}
				fmt.Fprintf(&b, "%s%s %g %d\n", s.name, l, v, t.Unix())
			}
		}
	}
	return b.String()
}

// startTraffic makes the exporter serve the raw series the sample standards select, growing
// at the demo rates from now on.
func startTraffic(e *procs.Exporter) {
	requests := func(job string, rps, bad float64, okCode, badCode string) {
		e.Counter("http_requests_total", "job", job, "code", okCode).SetRate(rps * (1 - bad))
		e.Counter("http_requests_total", "job", job, "code", badCode).SetRate(rps * bad)
	}
	// histogram serves a classic histogram as its _bucket and _count counters; within maps
	// each bound to the share of events at or below it.
	histogram := func(name string, labels []string, rate float64, bounds []float64, within func(float64) float64) {
		for _, le := range bounds {
			e.Counter(name+"_bucket", append(labels, "le", fmt.Sprint(le))...).SetRate(rate * within(le))
		}
		e.Counter(name+"_bucket", append(labels, "le", "+Inf")...).SetRate(rate)
		e.Counter(name+"_count", labels...).SetRate(rate)
	}
	requestBounds := []float64{0.1, 0.3, 0.5, 1, 2.5}

	requests("checkout", checkoutRPS, checkoutErrors, "200", "500")
	histogram("http_request_duration_seconds", []string{"job", "checkout"}, checkoutRPS, requestBounds, func(le float64) float64 {
		switch {
		case le < 0.3:
			return 0.9
		case le < 1:
			return 1 - checkoutSlow
		default:
			return 1 - checkoutSlow/10
		}
	})
	for _, c := range incidentClasses {
		histogram("incident_resolution_duration_seconds", []string{"service", "checkout", "priority", c.priority}, c.perHour/3600,
			incidentBuckets, func(le float64) float64 {
				switch {
				case le < c.threshold:
					return 0.5 * (1 - c.slow)
				case le == c.threshold:
					return 1 - c.slow
				default:
					return 1 - c.slow/4
				}
			})
	}

	requests("search", searchRPS, searchErrors, "200", "503")
	histogram("http_request_duration_seconds", []string{"job", "search"}, searchRPS, requestBounds, func(le float64) float64 {
		switch {
		case le < 0.5:
			return 0.7
		case le < 2.5:
			return 1 - searchSlow
		default:
			return 1 - searchSlow/10
		}
	})

	requests("ledger", ledgerRPS, ledgerErrors, "201", "500")
	e.Gauge("ledger_reconciliation_ok", "job", "ledger").Set(1)
}
