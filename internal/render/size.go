package render

import (
	"encoding/json"
	"fmt"
)

// EtcdLimit is etcd's default limit on a request (--max-request-bytes): no object larger than
// this can be stored.
const EtcdLimit = 1536 << 10

// MaxObjectBytes is the largest generated object, serialized as JSON as the API server stores
// it, that Pledge writes: etcd's limit less 256 KiB for what the API server adds (managed
// fields) and what others add (labels, annotations).
const MaxObjectBytes = EtcdLimit - 256<<10

// TooLargeError reports a generated object larger than MaxObjectBytes.
type TooLargeError struct {
	Kind, Name string
	Bytes      int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the generated %s %s would be %d bytes, more than the %d that fit in etcd; "+
		"split the standard into several (fewer objectives, graded classes, window pairs or tiers each)", e.Kind, e.Name, e.Bytes, MaxObjectBytes)
}

// CheckSize returns a *TooLargeError when obj, a generated object, serializes to more than
// MaxObjectBytes.
func CheckSize(kind, name string, obj any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding %s %s: %w", kind, name, err)
	}
	if len(b) > MaxObjectBytes {
		return &TooLargeError{Kind: kind, Name: name, Bytes: len(b)}
	}
	return nil
}

// CheckSizes renders the standard's PrometheusRule and AlertmanagerConfig and checks that each
// fits (CheckSize).
func (s *Standard) CheckSizes() error {
	pr := s.PrometheusRule()
	if err := CheckSize(pr.Kind, pr.Name, pr); err != nil {
		return err
	}
	amc, err := s.AlertmanagerConfig()
	if err != nil || amc == nil {
		return err
	}
	return CheckSize(amc.Kind, amc.Name, amc)
}
