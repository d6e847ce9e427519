package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PromDuration is a duration in Prometheus notation: "5m", "4h", "30d", "1w", "300ms".
// +kubebuilder:validation:Pattern=`^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$`
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="self.matches('[1-9]')",message="must be a positive duration such as 5m, 4h or 30d"
type PromDuration string

// Percent is a percentage written as a decimal string strictly between 0 and 100, e.g. "99.9".
// +kubebuilder:validation:Pattern=`^[0-9]{1,3}(\.[0-9]{1,9})?$`
// +kubebuilder:validation:MaxLength=13
// +kubebuilder:validation:XValidation:rule="!self.matches('^[0-9]+(\\\\.[0-9]+)?$') || (double(self) > 0.0 && double(self) < 100.0)",message="must be strictly between 0 and 100"
type Percent string

// PromQLSelector is a PromQL instant-vector selector such as `http_requests_total{job="checkout"}`.
// It is parsed by Prometheus's own parser when the standard is rendered.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=1024
type PromQLSelector string

// CalendarPeriod is the length of a calendar compliance window.
// +kubebuilder:validation:Enum=month;quarter
type CalendarPeriod string

const (
	// CalendarMonth is a calendar month window.
	CalendarMonth CalendarPeriod = "month"
	// CalendarQuarter is a calendar quarter window.
	CalendarQuarter CalendarPeriod = "quarter"
)

// CalendarWindow is a compliance window aligned to the calendar.
type CalendarWindow struct {
	// period is the calendar period: month or quarter.
	// +required
	Period CalendarPeriod `json:"period"`

	// timeZone is the IANA time zone in which periods start, e.g. "Europe/Berlin". Defaults to UTC.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TimeZone string `json:"timeZone,omitempty"`
}

// Owners names who is responsible for the standard (RACI).
type Owners struct {
	// responsible is who does the work and is paged (the R of RACI).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Responsible string `json:"responsible,omitempty"`

	// accountable is who answers for the standard and is escalated to (the A of RACI).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Accountable string `json:"accountable,omitempty"`

	// consulted are asked before changes (the C of RACI).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=253
	Consulted []string `json:"consulted,omitempty"`

	// informed are kept up to date and never paged (the I of RACI).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=253
	Informed []string `json:"informed,omitempty"`
}

// RatioIndicator measures the share of bad events among all events, from two counters.
// +kubebuilder:validation:XValidation:rule="has(self.errors) != has(self.good)",message="set exactly one of errors or good"
type RatioIndicator struct {
	// errors selects the counter of bad events. Exactly one of errors and good is set.
	// +optional
	Errors PromQLSelector `json:"errors,omitempty"`

	// good selects the counter of good events. Exactly one of errors and good is set.
	// +optional
	Good PromQLSelector `json:"good,omitempty"`

	// total selects the counter of all events.
	// +required
	Total PromQLSelector `json:"total"`
}

// GradedThresholds expands one latency objective into one objective per class of a label,
// each with its own threshold (for example priority p1: 4h, p2: 24h) and, optionally, its own
// target. The classes share the objective's weight in the score.
// +kubebuilder:validation:XValidation:rule="!has(self.targets) || self.targets.all(k, k in self.thresholds)",message="every class in targets needs a threshold in thresholds",fieldPath=".targets"
type GradedThresholds struct {
	// label is the histogram label that carries the class, e.g. "priority".
	// +required
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_]*$`
	// +kubebuilder:validation:MaxLength=63
	Label string `json:"label"`

	// thresholds maps each class (label value) to its threshold. Each class becomes an
	// objective named "<objective>-<class>".
	// +required
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=10
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && k.size() <= 20)",message="classes must be lower-case alphanumerics or '-', at most 20 characters"
	Thresholds map[string]PromDuration `json:"thresholds"`

	// targets gives classes their own target percentage, e.g. {p1: "99", p2: "95"}. A class
	// without one keeps the objective's target; every class named here needs a threshold.
	// +optional
	// +kubebuilder:validation:MaxProperties=10
	Targets map[string]Percent `json:"targets,omitempty"`
}

// LatencyIndicator counts an event as good when it completed within a threshold, read from a
// classic Prometheus histogram (the _bucket and _count series).
// +kubebuilder:validation:XValidation:rule="has(self.threshold) != has(self.graded)",message="set exactly one of threshold or graded"
type LatencyIndicator struct {
	// histogram selects the histogram by its base name and labels, e.g.
	// `http_request_duration_seconds{job="checkout"}` (without _bucket).
	// +required
	Histogram PromQLSelector `json:"histogram"`

	// histogramType says how the histogram is exposed: classic (default: _bucket series with an
	// le label, _count) or native (one native histogram series, read with histogram_count and
	// histogram_fraction).
	// +optional
	// +kubebuilder:validation:Enum=classic;native
	HistogramType HistogramType `json:"histogramType,omitempty"`

	// threshold is the duration within which an event is good. For a classic histogram it must
	// equal one of the bucket bounds (le label); for a native histogram any duration, the share
	// below it being interpolated within its bucket.
	// +optional
	Threshold PromDuration `json:"threshold,omitempty"`

	// graded gives per-class thresholds (and, optionally, per-class targets) instead of one
	// threshold.
	// +optional
	Graded *GradedThresholds `json:"graded,omitempty"`
}

// HistogramType is how a latency histogram is exposed.
type HistogramType string

// Histogram types.
const (
	HistogramClassic HistogramType = "classic"
	HistogramNative  HistogramType = "native"
)

// BoolIndicator reads samples that are already good (1) or bad (0), such as probe_success or up.
// Every sample is one event.
type BoolIndicator struct {
	// selector selects the 0/1 gauge.
	// +required
	Selector PromQLSelector `json:"selector"`
}

// Objective is one promise of the standard: a target share of good events over the window.
// +kubebuilder:validation:XValidation:rule="[has(self.ratio), has(self.latency), has(self.bool)].filter(x, x).size() == 1",message="set exactly one indicator: ratio, latency or bool"
type Objective struct {
	// name identifies the objective; it is the objective label on generated series and alerts.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// description says the promise in words, for people reading alerts and status.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Description string `json:"description,omitempty"`

	// target is the percentage of good events promised over the window, e.g. "99.9".
	// +required
	Target Percent `json:"target"`

	// weight of this objective in the standard's score (weighted attainment). Defaults to 1.
	// A graded objective's classes share it equally, so the objective counts once.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Weight int32 `json:"weight,omitempty"`

	// ratio measures bad (or good) events against all events from two counters.
	// +optional
	Ratio *RatioIndicator `json:"ratio,omitempty"`

	// latency measures events completed within a threshold from a classic histogram; it serves
	// response-time objectives and resolution targets alike.
	// +optional
	Latency *LatencyIndicator `json:"latency,omitempty"`

	// bool reads samples that are already good (1) or bad (0).
	// +optional
	Bool *BoolIndicator `json:"bool,omitempty"`

	// sampleInterval declares how often the objective's series are sampled, when that is
	// longer than 5m (up to 15m). Series sampled every 5m or faster need nothing declared: the
	// recorded rates fall back to a 20m range when the 5m range holds too few samples. A
	// declared interval widens that fallback to four intervals and the no-data alert's
	// window to two.
	// +optional
	SampleInterval PromDuration `json:"sampleInterval,omitempty"`

	// groupBy measures and alerts on the objective per value of these labels of its series,
	// for example [route]: the recorded rates keep the labels, so burn-rate, escalation and
	// budget-left alerts fire for each value on its own and carry its labels, and the status
	// lists the worst values (status.objectives[].values). At most 3 label names; not le, not a
	// name starting with __ and not a label Pledge sets itself. The no-data alert stays one per
	// objective.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:Pattern=`^[a-zA-Z_][a-zA-Z0-9_]*$`
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.all(l, !l.startsWith('__') && !(l in ['le','service_standard','namespace','service','objective','severity','long_window','short_window','escalation_tier','escalation_tier_name','budget_left_threshold','alertname','alertstate']))",message="groupBy must not name le, a __ label or a label Pledge sets itself"
	GroupBy []string `json:"groupBy,omitempty"`
}

// Severity of a burn-rate alert.
// +kubebuilder:validation:Enum=page;ticket
type Severity string

const (
	// SeverityPage wakes someone up.
	SeverityPage Severity = "page"
	// SeverityTicket is handled in working hours.
	SeverityTicket Severity = "ticket"
)

// BurnRateWindow is one multi-window burn-rate alert: it fires when both the long and the short
// window burn the error budget faster than the rate at which budgetPercent of the whole budget
// would be spent within the long window.
type BurnRateWindow struct {
	// name identifies the window pair. The defaults are page-fast (1h/5m, 2% of budget),
	// page-slow (6h/30m, 5%) and ticket (3d/6h, 10%); naming one of them overrides or
	// disables it, other names add pairs.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=40
	Name string `json:"name"`

	// severity is page or ticket.
	// +optional
	Severity Severity `json:"severity,omitempty"`

	// long is the long window.
	// +optional
	Long PromDuration `json:"long,omitempty"`

	// short is the short window; it makes the alert stop soon after the burn stops.
	// +optional
	Short PromDuration `json:"short,omitempty"`

	// budgetPercent is the share of the whole window's error budget that, spent within the
	// long window, fires the alert. The burn-rate factor is budgetPercent/100 × window ÷ long.
	// +optional
	BudgetPercent Percent `json:"budgetPercent,omitempty"`

	// disabled turns this window pair off.
	// +optional
	Disabled bool `json:"disabled,omitempty"`
}

// Alerting tunes the generated burn-rate alerts.
type Alerting struct {
	// runbookURL is added to every alert as the runbook_url annotation.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^https?://`
	RunbookURL string `json:"runbookURL,omitempty"`

	// labels are added to every generated alert (not to recorded series). Values must not
	// hold template braces: Prometheus would expand them, a value that changes between
	// evaluations (the alert's value, say) resets the alert's for: duration, and a template
	// query runs arbitrary PromQL.
	// +optional
	// +kubebuilder:validation:MaxProperties=10
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 63 && self[k].size() <= 128)",message="label names are at most 63 characters, values at most 128: they are copied into every alert"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !self[k].contains('{' + '{'))",message="label values must not hold template braces: Prometheus expands them, and a value that changes between evaluations resets the alert's for: duration"
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-zA-Z_][a-zA-Z0-9_]*$') && !(k in ['service_standard','namespace','service','objective','severity','long_window','short_window','escalation_tier','escalation_tier_name','budget_left_threshold','alertname']))",message="label names must be valid and must not override Pledge's own labels"
	Labels map[string]string `json:"labels,omitempty"`

	// windows override, disable or add burn-rate window pairs (see BurnRateWindow).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=4
	Windows []BurnRateWindow `json:"windows,omitempty"`

	// minEvents is the low-traffic guard: a burn-rate alert fires only when its long window
	// saw at least this many events.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MinEvents int64 `json:"minEvents,omitempty"`

	// disabled turns all alerts of this standard off; recording rules are still generated.
	// +optional
	Disabled bool `json:"disabled,omitempty"`

	// keepFiringFor is how long a page (and every escalation tier reached) keeps firing after
	// the page condition clears, so that a burn which dips below its threshold for a moment
	// neither resolves the page nor sends the tiers back to the start. Defaults to 10m.
	// +optional
	KeepFiringFor PromDuration `json:"keepFiringFor,omitempty"`

	// noData tunes PledgeObjectiveNoData, the ticket raised when an objective's series is
	// absent (a typo in a selector, a renamed metric, a wrong bucket bound).
	// +optional
	NoData *NoDataAlert `json:"noData,omitempty"`

	// budgetLeft tunes PledgeErrorBudgetLow, the tickets raised as an objective's error budget
	// over the rolling window runs low. Not generated for calendar windows.
	// +optional
	BudgetLeft *BudgetLeftAlerts `json:"budgetLeft,omitempty"`
}

// BudgetLeftAlerts tunes the tickets raised as an objective's error budget runs low.
type BudgetLeftAlerts struct {
	// thresholds are shares of the window's error budget, in percent from 0 up to below 100.
	// Per objective and threshold one PledgeErrorBudgetLow ticket fires while the budget left
	// over the window is at or below the threshold ("0": the budget is exhausted). Defaults to
	// ["25", "0"].
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=4
	// +kubebuilder:validation:items:Pattern=`^[0-9]{1,2}(\.[0-9]{1,3})?$`
	Thresholds []string `json:"thresholds,omitempty"`

	// disabled turns the budget-left tickets off.
	// +optional
	Disabled bool `json:"disabled,omitempty"`
}

// NoDataAlert tunes the alert raised while an objective's series is absent.
type NoDataAlert struct {
	// after is how long the series must have been absent before the alert fires. Defaults to
	// 10m, and is at least twice the objective's sampleInterval.
	// +optional
	After PromDuration `json:"after,omitempty"`

	// disabled turns the no-data alert off.
	// +optional
	Disabled bool `json:"disabled,omitempty"`
}

// PolicyReference names an EscalationPolicy in the standard's namespace.
type PolicyReference struct {
	// name of the EscalationPolicy.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Escalation is either a reference to an EscalationPolicy or the policy's fields inline.
// +kubebuilder:validation:XValidation:rule="has(self.policyRef) != has(self.tiers)",message="set either policyRef or tiers"
// +kubebuilder:validation:XValidation:rule="!has(self.policyRef) || !(has(self.informed) || has(self.tickets) || has(self.timeIntervals))",message="informed, tickets and timeIntervals belong to the referenced policy when policyRef is set"
// +kubebuilder:validation:XValidation:rule="!has(self.tiers) || self.tiers.all(t, self.tiers.exists_one(u, duration(u.after) == duration(t.after)))",message="tiers[].after must be distinct"
// +kubebuilder:validation:XValidation:rule="!has(self.tiers) || self.tiers.size() < 2 || self.tiers.map(t, duration(t.after)).isSorted()",message="tiers[].after must increase strictly from tier to tier"
type Escalation struct {
	// policyRef names an EscalationPolicy in the same namespace.
	// +optional
	PolicyRef *PolicyReference `json:"policyRef,omitempty"`

	// tiers are inline escalation steps, used when no policyRef is given.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=5
	Tiers []EscalationTier `json:"tiers,omitempty"`

	EscalationRouting `json:",inline"`
}

// ServiceStandardSpec declares a service's promises. Its size is bounded so that the generated
// PrometheusRule stays well below etcd's 1.5 MiB object limit: every objective (each graded
// class counts as one) costs 6 units, plus one per added window pair and one per escalation
// tier (5, the most a policy holds, with a policyRef); a standard may spend 180 units.
// +kubebuilder:validation:XValidation:rule="!(has(self.window) && has(self.calendar))",message="set either window or calendar, not both"
// +kubebuilder:validation:XValidation:rule="self.objectives.map(o, has(o.latency) && has(o.latency.graded) ? size(o.latency.graded.thresholds) : 1).sum() * (6 + (has(self.alerting) && has(self.alerting.windows) ? size(self.alerting.windows) : 0) + (!has(self.escalation) ? 0 : has(self.escalation.tiers) ? size(self.escalation.tiers) : 5)) <= 180",message="too large: objectives (each graded class counts) × (6 + added window pairs + escalation tiers, 5 with a policyRef) must be at most 180, so that the generated PrometheusRule fits in etcd; split the standard"
type ServiceStandardSpec struct {
	// service is the name of the service the standard is about; it is the service label.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Service string `json:"service"`

	// description says what the standard covers.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// window is a rolling compliance window such as "30d" or "28d". Defaults to 30d when
	// neither window nor calendar is set.
	// +optional
	Window PromDuration `json:"window,omitempty"`

	// calendar is a calendar compliance window (month or quarter) instead of a rolling one.
	// +optional
	Calendar *CalendarWindow `json:"calendar,omitempty"`

	// owners names who is responsible, accountable, consulted and informed.
	// +optional
	Owners *Owners `json:"owners,omitempty"`

	// objectives are the promises.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Objectives []Objective `json:"objectives"`

	// alerting tunes the generated burn-rate alerts.
	// +optional
	Alerting *Alerting `json:"alerting,omitempty"`

	// escalation says who is called, and when, while an objective's budget burns fast.
	// +optional
	Escalation *Escalation `json:"escalation,omitempty"`
}

// ObjectiveState is the standing of one objective.
// +kubebuilder:validation:Enum=Met;AtRisk;Breached;NoData
type ObjectiveState string

const (
	// StateMet means the objective is met and no fast burn is under way.
	StateMet ObjectiveState = "Met"
	// StateAtRisk means a burn-rate alert condition holds or little budget is left.
	StateAtRisk ObjectiveState = "AtRisk"
	// StateBreached means the error budget of the window is spent.
	StateBreached ObjectiveState = "Breached"
	// StateNoData means there were no events to measure.
	StateNoData ObjectiveState = "NoData"
)

// BurnRate is the current error-budget burn rate over one alert window.
type BurnRate struct {
	// window is the alert window, e.g. "1h".
	Window string `json:"window"`
	// value is the burn rate (1 = spending the budget exactly over the window).
	Value string `json:"value"`
}

// ObjectiveStatus is the measured standing of one (expanded) objective.
type ObjectiveStatus struct {
	// name of the objective (graded objectives appear once per class).
	Name string `json:"name"`
	// target percentage.
	// +optional
	Target string `json:"target,omitempty"`
	// attainment is the percentage of good events over the window.
	// +optional
	Attainment string `json:"attainment,omitempty"`
	// errorBudgetRemaining is the percentage of error budget left (negative when overspent).
	// +optional
	ErrorBudgetRemaining string `json:"errorBudgetRemaining,omitempty"`
	// burnRates per alert window.
	// +optional
	// +listType=map
	// +listMapKey=window
	BurnRates []BurnRate `json:"burnRates,omitempty"`
	// state is Met, AtRisk, Breached or NoData.
	// +optional
	State ObjectiveState `json:"state,omitempty"`
	// windowCoverage is the percentage of the window for which data exists.
	// +optional
	WindowCoverage string `json:"windowCoverage,omitempty"`
	// historyCoverage is the percentage of the window measured from the raw series, before
	// Pledge's own hourly totals of the objective begin (a standard applied to a service with
	// existing data); it is part of windowCoverage.
	// +optional
	HistoryCoverage string `json:"historyCoverage,omitempty"`
	// projectedAttainment is the attainment expected at the end of the calendar period if the
	// rest of it has the period's average traffic at the current error ratio (calendar windows
	// only).
	// +optional
	ProjectedAttainment string `json:"projectedAttainment,omitempty"`
	// projectedErrorBudgetRemaining is the percentage of error budget expected to be left at
	// the end of the calendar period on the same assumption (calendar windows only).
	// +optional
	ProjectedErrorBudgetRemaining string `json:"projectedErrorBudgetRemaining,omitempty"`
	// lastEvaluated is when the standing was last measured.
	// +optional
	LastEvaluated *metav1.Time `json:"lastEvaluated,omitempty"`
	// message says what is wrong with the objective's measurement: the numbers Prometheus
	// returned cannot be a standing (state NoData, Compliant reason InvalidData), or its series
	// is absent (PledgeObjectiveNoData is firing).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
	// values are, for an objective with groupBy, its worst values over the window: at most 5,
	// those whose numbers cannot be a standing first, then by error budget left, lowest first.
	// The objective's own attainment, budget left, burn rates and state are its worst value's.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	Values []ValueStatus `json:"values,omitempty"`
	// valueCount is, for an objective with groupBy, how many values have series in the window.
	// +optional
	ValueCount int32 `json:"valueCount,omitempty"`
}

// ValueStatus is the standing of one value of a grouped objective's labels.
type ValueStatus struct {
	// labels are the groupBy labels and their values, e.g. {route: "/pay"} (values longer
	// than 128 characters are cut).
	// +kubebuilder:validation:MaxProperties=3
	Labels map[string]string `json:"labels"`
	// attainment is the percentage of good events of this value over the window.
	// +optional
	Attainment string `json:"attainment,omitempty"`
	// errorBudgetRemaining is the percentage of this value's error budget left.
	// +optional
	ErrorBudgetRemaining string `json:"errorBudgetRemaining,omitempty"`
	// state is Met, AtRisk, Breached or NoData.
	// +optional
	State ObjectiveState `json:"state,omitempty"`
}

// Period is a closed calendar period and whether the standard was kept in it.
type Period struct {
	// start of the period.
	Start metav1.Time `json:"start"`
	// end of the period.
	End metav1.Time `json:"end"`
	// attainment is the weighted attainment over the period.
	// +optional
	Attainment string `json:"attainment,omitempty"`
	// met is true when every objective met its target in the period.
	Met bool `json:"met"`
	// coverage is the percentage of the period for which data exists: the lowest among the
	// objectives with data.
	// +optional
	Coverage string `json:"coverage,omitempty"`
}

// GeneratedObject references an object generated from the standard.
type GeneratedObject struct {
	// kind of the object (PrometheusRule, AlertmanagerConfig).
	Kind string `json:"kind"`
	// name of the object, in the standard's namespace.
	Name string `json:"name"`
	// rules is the number of rules (recording and alerting) or routes it holds.
	// +optional
	Rules int32 `json:"rules,omitempty"`
}

// ServiceStandardStatus is the observed state of a ServiceStandard.
type ServiceStandardStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready (everything generated and applied), RulesLoaded (Prometheus runs the
	// generated rule groups and Alertmanager the receivers) and Compliant (all objectives met).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// objectives is the standing of each objective.
	// +optional
	// +listType=map
	// +listMapKey=name
	Objectives []ObjectiveStatus `json:"objectives,omitempty"`

	// score is the weighted attainment over all objectives, in percent.
	// +optional
	Score string `json:"score,omitempty"`

	// errorBudgetRemaining is the smallest budget left among the objectives, in percent.
	// +optional
	ErrorBudgetRemaining string `json:"errorBudgetRemaining,omitempty"`

	// periods are the last closed calendar periods (calendar windows only).
	// +optional
	// +listType=atomic
	Periods []Period `json:"periods,omitempty"`

	// generated lists the objects generated from the standard.
	// +optional
	// +listType=atomic
	Generated []GeneratedObject `json:"generated,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ss;pledge,categories=pledge
// +kubebuilder:printcolumn:name="Service",type=string,JSONPath=`.spec.service`
// +kubebuilder:printcolumn:name="Score",type=string,JSONPath=`.status.score`
// +kubebuilder:printcolumn:name="Budget",type=string,JSONPath=`.status.errorBudgetRemaining`
// +kubebuilder:printcolumn:name="Compliant",type=string,JSONPath=`.status.conditions[?(@.type=="Compliant")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Exhausted",type=string,JSONPath=`.status.conditions[?(@.type=="BudgetExhausted")].status`,priority=1
// +kubebuilder:printcolumn:name="Loaded",type=string,JSONPath=`.status.conditions[?(@.type=="RulesLoaded")].status`,priority=1
// +kubebuilder:printcolumn:name="Window",type=string,JSONPath=`.spec.window`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ServiceStandard declares a service's promises (objectives with targets and weights), how
// breaches are alerted and escalated, and reports how well the promises are kept.
type ServiceStandard struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the standard.
	// +required
	Spec ServiceStandardSpec `json:"spec"`

	// status reports the standing.
	// +optional
	Status ServiceStandardStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ServiceStandardList is a list of ServiceStandard.
type ServiceStandardList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ServiceStandard `json:"items"`
}
