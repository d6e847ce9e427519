package v1alpha1

import (
	"encoding/json"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	sigsjson "sigs.k8s.io/json"
)

// Receiver is a receiver in prometheus-operator's AlertmanagerConfig schema: its Go type,
// decoded without ever failing. A receiver the Go type cannot hold (a string where a secret
// reference belongs, a field it does not know) is kept as written, with the reason, and
// reported by render.Resolve with its field path. The decoding of a list of standards or
// policies, which the operator's informers do for every object at once, therefore never fails
// because of one tenant's receiver.
// +kubebuilder:object:generate=false
type Receiver struct {
	monitoringv1alpha1.Receiver `json:",inline"`

	// undecodable is set when the JSON does not fit the Go type; it is never changed after
	// decoding, so copies share it.
	undecodable *ReceiverDecodeError
}

// ReceiverDecodeError is why a receiver's JSON does not fit prometheus-operator's Go type.
// +kubebuilder:object:generate=false
type ReceiverDecodeError struct {
	// Raw is the receiver's JSON as stored.
	Raw json.RawMessage
	// Err is the first type mismatch (*json.UnmarshalTypeError for a wrongly typed field), or
	// nil.
	Err error
	// Strict are the unknown and duplicate fields; each is a sigsjson.FieldError whose path is
	// within the receiver ("slackConfigs[0].apiUrl").
	Strict []error
}

// DecodeError reports why the receiver's JSON does not fit the Go type, or nil.
func (r *Receiver) DecodeError() *ReceiverDecodeError { return r.undecodable }

// UnmarshalJSON decodes strictly into the Go type and records, instead of returning, what
// does not fit.
func (r *Receiver) UnmarshalJSON(data []byte) error {
	*r = Receiver{}
	strict, err := sigsjson.UnmarshalStrict(data, &r.Receiver)
	if err == nil && len(strict) == 0 {
		return nil
	}
	r.undecodable = &ReceiverDecodeError{Raw: append(json.RawMessage(nil), data...), Err: err, Strict: strict}
	return nil
}

// MarshalJSON writes a receiver that did not fit the Go type as it was stored.
func (r Receiver) MarshalJSON() ([]byte, error) {
	if r.undecodable != nil {
		return r.undecodable.Raw, nil
	}
	return json.Marshal(r.Receiver)
}

// DeepCopyInto copies the receiver; the decode error is immutable and shared.
func (r *Receiver) DeepCopyInto(out *Receiver) {
	r.Receiver.DeepCopyInto(&out.Receiver)
	out.undecodable = r.undecodable
}

// DeepCopy copies the receiver.
func (r *Receiver) DeepCopy() *Receiver {
	if r == nil {
		return nil
	}
	out := new(Receiver)
	r.DeepCopyInto(out)
	return out
}
