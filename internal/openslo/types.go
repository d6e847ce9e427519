// Package openslo converts between OpenSLO v1 documents (Service, SLO, SLI, AlertPolicy,
// AlertCondition, AlertNotificationTarget, DataSource) and Pledge's ServiceStandards and
// EscalationPolicies. What does not map is reported with its field path, never dropped
// silently. The types below hold the parts of the OpenSLO v1 specification that Pledge reads
// or writes; the specification is at https://github.com/OpenSLO/OpenSLO.
package openslo

import "encoding/json"

// APIVersion is the OpenSLO version read and written.
const APIVersion = "openslo/v1"

// Kinds of OpenSLO v1 documents.
const (
	KindService                 = "Service"
	KindSLO                     = "SLO"
	KindSLI                     = "SLI"
	KindDataSource              = "DataSource"
	KindAlertPolicy             = "AlertPolicy"
	KindAlertCondition          = "AlertCondition"
	KindAlertNotificationTarget = "AlertNotificationTarget"
)

// Metadata is an OpenSLO object's metadata. Label values are a string or a list of strings.
type Metadata struct {
	Name        string                     `json:"name"`
	DisplayName string                     `json:"displayName,omitempty"`
	Labels      map[string]json.RawMessage `json:"labels,omitempty"`
	Annotations map[string]string          `json:"annotations,omitempty"`
}

// Document is one OpenSLO object; Spec is decoded by kind.
type Document struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   Metadata        `json:"metadata"`
	Spec       json.RawMessage `json:"spec,omitempty"`
}

// ServiceSpec is the spec of a Service.
type ServiceSpec struct {
	Description string `json:"description,omitempty"`
}

// DataSourceSpec is the spec of a DataSource.
type DataSourceSpec struct {
	Description       string          `json:"description,omitempty"`
	Type              string          `json:"type,omitempty"`
	ConnectionDetails json.RawMessage `json:"connectionDetails,omitempty"`
}

// SLOSpec is the spec of an SLO.
type SLOSpec struct {
	Description     string           `json:"description,omitempty"`
	Service         string           `json:"service,omitempty"`
	Indicator       *InlineSLI       `json:"indicator,omitempty"`
	IndicatorRef    string           `json:"indicatorRef,omitempty"`
	TimeWindow      []TimeWindow     `json:"timeWindow,omitempty"`
	BudgetingMethod string           `json:"budgetingMethod,omitempty"`
	Objectives      []Objective      `json:"objectives"`
	AlertPolicies   []AlertPolicyUse `json:"alertPolicies,omitempty"`
}

// Budgeting methods.
const (
	BudgetingOccurrences     = "Occurrences"
	BudgetingTimeslices      = "Timeslices"
	BudgetingRatioTimeslices = "RatioTimeslices"
)

// TimeWindow is a rolling or calendar-aligned window.
type TimeWindow struct {
	Duration  string    `json:"duration"`
	IsRolling *bool     `json:"isRolling,omitempty"`
	Calendar  *Calendar `json:"calendar,omitempty"`
}

// Calendar anchors a calendar-aligned window.
type Calendar struct {
	StartTime string `json:"startTime,omitempty"`
	TimeZone  string `json:"timeZone,omitempty"`
}

// Objective is one threshold of an SLO. Numbers are kept as written (json.Number) so that
// targets convert to Pledge's decimal percentages exactly.
type Objective struct {
	DisplayName     string       `json:"displayName,omitempty"`
	Op              string       `json:"op,omitempty"`
	Value           *json.Number `json:"value,omitempty"`
	Target          *json.Number `json:"target,omitempty"`
	TargetPercent   *json.Number `json:"targetPercent,omitempty"`
	TimeSliceTarget *json.Number `json:"timeSliceTarget,omitempty"`
	TimeSliceWindow string       `json:"timeSliceWindow,omitempty"`
	Indicator       *InlineSLI   `json:"indicator,omitempty"`
	IndicatorRef    string       `json:"indicatorRef,omitempty"`
	CompositeWeight *json.Number `json:"compositeWeight,omitempty"`
}

// InlineSLI is an SLI written inside an SLO (or the metadata and spec of an SLI document).
type InlineSLI struct {
	Metadata Metadata `json:"metadata"`
	Spec     SLISpec  `json:"spec"`
}

// SLISpec is the spec of an SLI.
type SLISpec struct {
	Description     string       `json:"description,omitempty"`
	ThresholdMetric *Metric      `json:"thresholdMetric,omitempty"`
	RatioMetric     *RatioMetric `json:"ratioMetric,omitempty"`
}

// RatioMetric is good (or bad) events over total events, or a precomputed ratio.
type RatioMetric struct {
	Counter *bool   `json:"counter,omitempty"`
	Good    *Metric `json:"good,omitempty"`
	Bad     *Metric `json:"bad,omitempty"`
	Total   *Metric `json:"total,omitempty"`
	RawType string  `json:"rawType,omitempty"`
	Raw     *Metric `json:"raw,omitempty"`
}

// Metric wraps a metric source.
type Metric struct {
	MetricSource MetricSource `json:"metricSource"`
}

// MetricSource names where a query runs; Spec is free-form per source type.
type MetricSource struct {
	MetricSourceRef string         `json:"metricSourceRef,omitempty"`
	Type            string         `json:"type,omitempty"`
	Spec            map[string]any `json:"spec,omitempty"`
}

// AlertPolicyUse is an entry of an SLO's alertPolicies: a reference or an inline policy.
type AlertPolicyUse struct {
	AlertPolicyRef string           `json:"alertPolicyRef,omitempty"`
	Kind           string           `json:"kind,omitempty"`
	Metadata       *Metadata        `json:"metadata,omitempty"`
	Spec           *AlertPolicySpec `json:"spec,omitempty"`
}

// AlertPolicySpec is the spec of an AlertPolicy.
type AlertPolicySpec struct {
	Description         string         `json:"description,omitempty"`
	AlertWhenNoData     *bool          `json:"alertWhenNoData,omitempty"`
	AlertWhenResolved   *bool          `json:"alertWhenResolved,omitempty"`
	AlertWhenBreaching  *bool          `json:"alertWhenBreaching,omitempty"`
	Conditions          []ConditionUse `json:"conditions"`
	NotificationTargets []TargetUse    `json:"notificationTargets,omitempty"`
}

// ConditionUse is a reference to an AlertCondition or an inline one.
type ConditionUse struct {
	ConditionRef string              `json:"conditionRef,omitempty"`
	Kind         string              `json:"kind,omitempty"`
	Metadata     *Metadata           `json:"metadata,omitempty"`
	Spec         *AlertConditionSpec `json:"spec,omitempty"`
}

// AlertConditionSpec is the spec of an AlertCondition.
type AlertConditionSpec struct {
	Description string       `json:"description,omitempty"`
	Severity    string       `json:"severity"`
	Condition   BurnRateRule `json:"condition"`
}

// BurnRateRule is an alert condition of kind burnrate.
type BurnRateRule struct {
	Kind           string       `json:"kind,omitempty"`
	Op             string       `json:"op,omitempty"`
	Threshold      *json.Number `json:"threshold,omitempty"`
	LookbackWindow string       `json:"lookbackWindow,omitempty"`
	AlertAfter     string       `json:"alertAfter,omitempty"`
}

// TargetUse is a reference to an AlertNotificationTarget or an inline one.
type TargetUse struct {
	TargetRef string      `json:"targetRef,omitempty"`
	Kind      string      `json:"kind,omitempty"`
	Metadata  *Metadata   `json:"metadata,omitempty"`
	Spec      *TargetSpec `json:"spec,omitempty"`
}

// TargetSpec is the spec of an AlertNotificationTarget.
type TargetSpec struct {
	Target      string `json:"target"`
	Description string `json:"description,omitempty"`
}
