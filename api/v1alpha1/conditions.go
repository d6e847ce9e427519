package v1alpha1

// Condition types on a ServiceStandard.
const (
	// ConditionReady is True when every generated object is rendered and applied.
	ConditionReady = "Ready"
	// ConditionCompliant is True when every objective meets its target.
	ConditionCompliant = "Compliant"
	// ConditionRulesLoaded is True when Prometheus has loaded every generated rule group and,
	// when the manager checks Alertmanager, its running configuration holds the standard's
	// receivers: the alerting is live, not only applied.
	ConditionRulesLoaded = "RulesLoaded"
	// ConditionBudgetExhausted is True while any objective's error budget is at or below zero:
	// the signal a deploy pipeline or admission policy gates on.
	ConditionBudgetExhausted = "BudgetExhausted"
)

// Reasons used on conditions and events.
const (
	// ReasonApplied: the generated objects are applied and up to date.
	ReasonApplied = "Applied"
	// ReasonInvalidSpec: the spec passed the schema but failed deeper validation.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonConflict: an object with a generated object's name exists and is not ours.
	ReasonConflict = "Conflict"
	// ReasonPolicyNotFound: the referenced EscalationPolicy does not exist.
	ReasonPolicyNotFound = "PolicyNotFound"
	// ReasonCRDsMissing: the prometheus-operator CRDs are not installed.
	ReasonCRDsMissing = "PrometheusOperatorCRDsMissing"
	// ReasonApplyFailed: the API server refused a generated object.
	ReasonApplyFailed = "ApplyFailed"
	// ReasonTooLarge: a generated object would exceed what etcd stores; nothing is applied.
	ReasonTooLarge = "TooLarge"
	// ReasonAllObjectivesMet: every objective meets its target.
	ReasonAllObjectivesMet = "AllObjectivesMet"
	// ReasonObjectivesNotMet: at least one objective misses its target.
	ReasonObjectivesNotMet = "ObjectivesNotMet"
	// ReasonNoData: no objective has events to measure yet.
	ReasonNoData = "NoData"
	// ReasonPrometheusUnavailable: the standing could not be measured.
	ReasonPrometheusUnavailable = "PrometheusUnavailable"
	// ReasonInvalidData: Prometheus returned numbers that cannot be a standing (NaN, Inf,
	// negative counts, more bad events than events).
	ReasonInvalidData = "InvalidData"
	// ReasonBudgetAtRisk: an objective's budget burns fast or runs low.
	ReasonBudgetAtRisk = "BudgetAtRisk"
	// ReasonObjectiveBreached: an objective's budget is spent.
	ReasonObjectiveBreached = "ObjectiveBreached"
	// ReasonObjectiveRecovered: an objective is met again.
	ReasonObjectiveRecovered = "ObjectiveRecovered"
	// ReasonLoaded: Prometheus (and Alertmanager, when checked) runs what was generated.
	ReasonLoaded = "Loaded"
	// ReasonNotLoaded: a generated rule group or receiver is still not running after the grace
	// period; the message names it and the likely cause.
	ReasonNotLoaded = "NotLoaded"
	// ReasonLoadPending: something generated is not running yet, within the grace period.
	ReasonLoadPending = "LoadPending"
	// ReasonNotChecked: liveness is not checked (no --prometheus-url, or nothing applied yet).
	ReasonNotChecked = "NotChecked"
	// ReasonAlertmanagerUnavailable: Alertmanager's running configuration could not be read.
	ReasonAlertmanagerUnavailable = "AlertmanagerUnavailable"
	// ReasonBudgetSpent: at least one objective's error budget is at or below zero (on the
	// BudgetExhausted condition, and on the event when it turns True).
	ReasonBudgetSpent = "BudgetSpent"
	// ReasonBudgetLeft: every measured objective has error budget left (on the BudgetExhausted
	// condition, and on the event when it turns False again).
	ReasonBudgetLeft = "BudgetLeft"
	// ReasonPeriodClosed: a calendar period closed; the event carries its attainment.
	ReasonPeriodClosed = "PeriodClosed"
	// ReasonRenderWarning: the standard renders, with warnings (on an event).
	ReasonRenderWarning = "RenderWarning"
	// ReasonReloadFailed: Prometheus or Alertmanager refused to reload the files written for the
	// standard (files target); the previous files were put back.
	ReasonReloadFailed = "ReloadFailed"
	// ReasonWriteFailed: a file or object of the delivery target could not be written.
	ReasonWriteFailed = "WriteFailed"
)
