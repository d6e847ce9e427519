package controllers

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// Metrics are the operator's own series on controller-runtime's registry.
type Metrics struct {
	mu        sync.Mutex
	ready     map[types.NamespacedName]string // Ready status per standard
	standards *prometheus.GaugeVec
	writes    prometheus.Counter
	// Queries counts Prometheus queries by result; hand it to compliance.NewPrometheusQuerier.
	Queries    *prometheus.CounterVec
	objectives *prometheus.GaugeVec
	loaded     *prometheus.GaugeVec
	reloads    *prometheus.CounterVec
	events     *prometheus.CounterVec
}

// NewMetrics registers the pledge_ series with reg (controller-runtime's registry when nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = metrics.Registry
	}
	m := &Metrics{
		ready: map[types.NamespacedName]string{},
		standards: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pledge_servicestandards",
			Help: "ServiceStandards by the status of their Ready condition.",
		}, []string{"ready"}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pledge_generated_object_writes_total",
			Help: "Writes (applies and deletes) of generated objects (PrometheusRules, AlertmanagerConfigs, ConfigMaps, Secrets) and files.",
		}),
	}
	m.Queries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pledge_prometheus_queries_total",
		Help: "Requests sent to the Prometheus API by the compliance poller and the rules-loaded check, by result.",
	}, []string{"result"})
	m.objectives = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "pledge_objectives",
		Help: "Objectives by state at the last compliance poll.",
	}, []string{"state"})
	m.loaded = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "pledge_servicestandards_rules_loaded",
		Help: "ServiceStandards by the status of their RulesLoaded condition at the last liveness check.",
	}, []string{"status"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pledge_target_reloads_total",
		Help: "Reloads requested by the files target, by component (prometheus, alertmanager) and result (ok, failed).",
	}, []string{"component", "result"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pledge_events_total",
		Help: "Events recorded by the operator, by result (written, failed, dropped).",
	}, []string{"result"})
	for _, s := range []string{"True", "False", "Unknown"} {
		m.standards.WithLabelValues(s)
	}
	for _, r := range []string{"written", "failed", "dropped"} {
		m.events.WithLabelValues(r)
	}
	reg.MustRegister(m.standards, m.writes, m.Queries, m.objectives, m.loaded, m.reloads, m.events)
	return m
}

// Observe records a standard's Ready status.
func (m *Metrics) Observe(std *pledgev1.ServiceStandard) {
	if m == nil {
		return
	}
	status := "Unknown"
	if c := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionReady); c != nil {
		status = string(c.Status)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := types.NamespacedName{Namespace: std.Namespace, Name: std.Name}
	if old, ok := m.ready[key]; ok {
		if old == status {
			return
		}
		m.standards.WithLabelValues(old).Dec()
	}
	m.ready[key] = status
	m.standards.WithLabelValues(status).Inc()
}

// Forget drops a deleted standard.
func (m *Metrics) Forget(key types.NamespacedName) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.ready[key]; ok {
		m.standards.WithLabelValues(old).Dec()
		delete(m.ready, key)
	}
}

// Wrote counts a write of a generated object.
func (m *Metrics) Wrote(wrote bool) {
	if m != nil && wrote {
		m.writes.Inc()
	}
}

// Reloaded counts a reload request of the files target.
func (m *Metrics) Reloaded(component string, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.reloads.WithLabelValues(component, result).Inc()
}

// StandardsGauge is the pledge_servicestandards series for one Ready status.
func (m *Metrics) StandardsGauge(ready string) prometheus.Gauge {
	return m.standards.WithLabelValues(ready)
}

// Objectives records how many objectives are in each state.
func (m *Metrics) Objectives(states map[pledgev1.ObjectiveState]int) {
	if m == nil {
		return
	}
	for _, s := range []pledgev1.ObjectiveState{pledgev1.StateMet, pledgev1.StateAtRisk, pledgev1.StateBreached, pledgev1.StateNoData} {
		m.objectives.WithLabelValues(string(s)).Set(float64(states[s]))
	}
}

// RulesLoaded records how many standards have each RulesLoaded status.
func (m *Metrics) RulesLoaded(counts map[metav1.ConditionStatus]int) {
	if m == nil {
		return
	}
	for _, s := range []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown} {
		m.loaded.WithLabelValues(string(s)).Set(float64(counts[s]))
	}
}

// RulesLoadedGauge is the pledge_servicestandards_rules_loaded series for one status.
func (m *Metrics) RulesLoadedGauge(status metav1.ConditionStatus) prometheus.Gauge {
	return m.loaded.WithLabelValues(string(status))
}

// event counts an event by result: written, failed (the API server rejected it, or it could not
// be built) or dropped (the queue was full).
func (m *Metrics) event(result string) {
	if m != nil {
		m.events.WithLabelValues(result).Inc()
	}
}

// EventsCounter is pledge_events_total for result, for tests.
func (m *Metrics) EventsCounter(result string) prometheus.Counter {
	return m.events.WithLabelValues(result)
}
