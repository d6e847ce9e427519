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

// MaxDataBytes is the most data a ConfigMap or Secret holds (the API server's limit).
const MaxDataBytes = 1 << 20

// TooLargeError reports a generated object larger than MaxObjectBytes, or a ConfigMap or
// Secret with more data than MaxDataBytes.
type TooLargeError struct {
	Kind, Name string
	Bytes      int
	// Limit is the limit exceeded; MaxObjectBytes when 0.
	Limit int
}

func (e *TooLargeError) Error() string {
	limit, where := e.Limit, "fit in a ConfigMap or Secret"
	if limit == 0 {
		limit, where = MaxObjectBytes, "fit in etcd"
	}
	return fmt.Sprintf("the generated %s %s would be %d bytes, more than the %d that %s; "+
		"split the standard into several (fewer objectives, graded classes, window pairs or tiers each)", e.Kind, e.Name, e.Bytes, limit, where)
}

// CheckDataSize returns a *TooLargeError when the data of a generated ConfigMap or Secret is
// larger than MaxDataBytes.
func CheckDataSize(kind, name string, data map[string]string) error {
	n := 0
	for k, v := range data {
		n += len(k) + len(v)
	}
	if n > MaxDataBytes {
		return &TooLargeError{Kind: kind, Name: name, Bytes: n, Limit: MaxDataBytes}
	}
	return nil
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
// fits (CheckSize). The PrometheusRule is encoded only when its rules could reach the limit
// (prometheusRuleBound): for most standards they are far below it, and encoding them was a
// fifth of pledge validate's time.
func (s *Standard) CheckSizes() error {
	if s.prometheusRuleBound() > MaxObjectBytes {
		pr := s.PrometheusRule()
		if err := CheckSize(pr.Kind, pr.Name, pr); err != nil {
			return err
		}
	}
	amc, err := s.AlertmanagerConfig()
	if err != nil || amc == nil {
		return err
	}
	return CheckSize(amc.Kind, amc.Name, amc)
}

// prometheusRuleBound is more than the PrometheusRule's JSON can be: every string counted as
// if each byte were escaped (\u00XX, 6 bytes), plus room for the keys and punctuation around
// each rule, group, label and annotation. TestPrometheusRuleBound and FuzzRender hold it above
// the encoded size.
func (s *Standard) prometheusRuleBound() int {
	const (
		escaped  = 6   // bytes per byte of a string, at most
		envelope = 512 // apiVersion, kind, metadata and spec keys, creationTimestamp
		perGroup = 128 // name, interval and rules keys, the interval, punctuation
		perRule  = 256 // record/alert/expr/for/keep_firing_for/labels/annotations keys, durations
		perEntry = 8   // quotes, colon and comma of a map entry
	)
	meta := s.objectMeta()
	n := envelope + escaped*(len(meta.Name)+len(meta.Namespace))
	for k, v := range meta.Labels {
		n += perEntry + escaped*(len(k)+len(v))
	}
	for _, g := range s.RuleGroups() {
		n += perGroup + escaped*len(g.Name)
		for _, r := range g.Rules {
			n += perRule + escaped*(len(r.Record)+len(r.Alert)+len(r.Expr))
			for _, m := range []map[string]string{r.Labels, r.Annotations} {
				for k, v := range m {
					n += perEntry + escaped*(len(k)+len(v))
				}
			}
		}
	}
	return n
}
