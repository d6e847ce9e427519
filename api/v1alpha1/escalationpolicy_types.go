package v1alpha1

import (
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GoDuration is a duration in Go's notation ("0m", "30m", "2h", "90s"); days are written in hours.
// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
// +kubebuilder:validation:MaxLength=32
type GoDuration string

// EscalationTier is one step of an escalation path: who is notified, and how long after the
// alert started.
type EscalationTier struct {
	// name identifies the tier (for example "on-call", "team-lead"). It becomes the
	// escalation_tier_name alert label and part of the generated receiver name.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=40
	Name string `json:"name"`

	// after is how long the page condition must hold before this tier is notified
	// ("0m" for first responders). Delays must increase strictly from tier to tier.
	// +required
	After GoDuration `json:"after"`

	// receivers are notified when this tier is reached. They use prometheus-operator's
	// AlertmanagerConfig receiver schema; secrets are referenced, never inlined.
	// +required
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:XValidation:rule="self.all(r, self.exists_one(o, o.name == r.name))",message="receiver names must be unique within the tier"
	Receivers []Receiver `json:"receivers"`

	// repeatInterval is how often a still-firing tier is notified again (Alertmanager's
	// repeat_interval). Defaults to Alertmanager's own setting.
	// +optional
	RepeatInterval GoDuration `json:"repeatInterval,omitempty"`

	// activeTimeIntervals names time intervals (from timeIntervals) outside of which this tier
	// is not notified, for example business hours. Times are UTC.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=63
	ActiveTimeIntervals []string `json:"activeTimeIntervals,omitempty"`
}

// EscalationRouting holds the parts of an escalation policy that are not tiers.
type EscalationRouting struct {
	// informed receivers get a copy of the first tier's notifications and are never paged
	// by later tiers (the "I" of RACI).
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:XValidation:rule="self.all(r, self.exists_one(o, o.name == r.name))",message="receiver names must be unique"
	Informed []Receiver `json:"informed,omitempty"`

	// tickets receive ticket-severity alerts (slow budget burn). When empty, tickets go to
	// the first tier's receivers.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:XValidation:rule="self.all(r, self.exists_one(o, o.name == r.name))",message="receiver names must be unique"
	Tickets []Receiver `json:"tickets,omitempty"`

	// timeIntervals are named time intervals (prometheus-operator's schema) referenced by
	// tiers' activeTimeIntervals. Alertmanager evaluates them in UTC.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	TimeIntervals []monitoringv1alpha1.MuteTimeInterval `json:"timeIntervals,omitempty"`
}

// EscalationPolicySpec is a reusable escalation path.
// +kubebuilder:validation:XValidation:rule="!has(self.tiers) || self.tiers.all(t, self.tiers.exists_one(u, duration(u.after) == duration(t.after)))",message="tiers[].after must be distinct"
// +kubebuilder:validation:XValidation:rule="!has(self.tiers) || self.tiers.size() < 2 || self.tiers.map(t, duration(t.after)).isSorted()",message="tiers[].after must increase strictly from tier to tier"
type EscalationPolicySpec struct {
	// tiers are the escalation steps in order: first responders first.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=5
	Tiers []EscalationTier `json:"tiers"`

	EscalationRouting `json:",inline"`
}

// EscalationPolicyStatus is the observed state of an EscalationPolicy.
type EscalationPolicyStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions describe the policy's state.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=escpol,categories=pledge
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// EscalationPolicy is a reusable escalation path (tiers, informed receivers, time intervals)
// referenced by ServiceStandards in the same namespace.
type EscalationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the escalation path.
	// +required
	Spec EscalationPolicySpec `json:"spec"`

	// status is the observed state.
	// +optional
	Status EscalationPolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// EscalationPolicyList is a list of EscalationPolicy.
type EscalationPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EscalationPolicy `json:"items"`
}
