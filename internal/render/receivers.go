package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

func validateReceivers(rs []pledgev1.Receiver, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, r := range rs {
		if e := r.DecodeError(); e != nil {
			errs = append(errs, receiverDecodeErrors(e, p.Index(i))...)
		}
		np := p.Index(i).Child("name")
		switch {
		case r.Name == "":
			errs = append(errs, field.Required(np, "name the receiver"))
		case seen[r.Name]:
			errs = append(errs, field.Duplicate(np, r.Name))
		}
		seen[r.Name] = true
		if r.DecodeError() == nil && receiverConfigs(r.Receiver) == 0 {
			errs = append(errs, field.Required(p.Index(i), "a receiver needs at least one notification config (webhookConfigs, emailConfigs, slackConfigs, pagerdutyConfigs, ...)"))
		}
		if r.DecodeError() == nil {
			errs = append(errs, checkReceiverFields(r.Receiver, p.Index(i))...)
		}
	}
	return errs
}

// receiverConfigs counts the notification configs of a receiver, whatever their kind.
func receiverConfigs(r monitoringv1alpha1.Receiver) int {
	m := receiverMap(r)
	n := 0
	for k, v := range m {
		if list, ok := v.([]any); ok && k != "name" {
			n += len(list)
		}
	}
	return n
}

// receiverMap is the receiver as JSON fields (camelCase), the form shared by both outputs.
func receiverMap(r monitoringv1alpha1.Receiver) map[string]any {
	b, err := json.Marshal(r)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	return m
}

// receiverDecodeErrors reports, with field paths, what in a receiver's JSON does not fit
// prometheus-operator's Go type. Values are left out of the messages: they may be secrets.
func receiverDecodeErrors(e *pledgev1.ReceiverDecodeError, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(e.Err, &te):
		got, _, _ := strings.Cut(te.Value, " ")
		at := p
		if te.Field != "" {
			if sub, ok := locateJSON(e.Raw, strings.Split(te.Field, "."), got); ok {
				at = p.Child(strings.TrimPrefix(sub, "."))
			} else {
				at = p.Child(te.Field)
			}
		}
		errs = append(errs, field.Invalid(at, field.OmitValueType{},
			fmt.Sprintf("must be %s (%s in prometheus-operator's AlertmanagerConfig receiver), not %s", jsonKindOf(te.Type), te.Type, withArticle(got))))
	case e.Err != nil:
		errs = append(errs, field.Invalid(p, field.OmitValueType{}, "does not fit prometheus-operator's AlertmanagerConfig receiver: "+e.Err.Error()))
	}
	for _, s := range e.Strict {
		var fe sigsjson.FieldError
		if !errors.As(s, &fe) {
			errs = append(errs, field.Invalid(p, field.OmitValueType{}, s.Error()))
			continue
		}
		kind, _, _ := strings.Cut(s.Error(), ` "`)
		errs = append(errs, field.Invalid(p.Child(fe.FieldPath()), field.OmitValueType{},
			kind+": not in prometheus-operator's AlertmanagerConfig receiver schema"))
	}
	return errs
}

// locateJSON finds where along a dotted field path (a type error's, which has no list
// indexes) the raw JSON holds a value of the given kind, and returns that path with indexes
// (".slackConfigs[0].apiURL").
func locateJSON(raw json.RawMessage, path []string, kind string) (string, bool) {
	if len(path) == 0 && jsonKind(raw) == kind {
		return "", true
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for i, item := range list {
			if sub, ok := locateJSON(item, path, kind); ok {
				return "[" + strconv.Itoa(i) + "]" + sub, true
			}
		}
		return "", false
	}
	var obj map[string]json.RawMessage
	if len(path) == 0 || json.Unmarshal(raw, &obj) != nil {
		return "", false
	}
	v, ok := obj[path[0]]
	if !ok {
		return "", false
	}
	sub, ok := locateJSON(v, path[1:], kind)
	return "." + path[0] + sub, ok
}

// jsonKind names a JSON value's kind as encoding/json's type errors do.
func jsonKind(raw json.RawMessage) string {
	t := strings.TrimSpace(string(raw))
	switch {
	case t == "":
		return ""
	case t[0] == '"':
		return "string"
	case t[0] == '{':
		return "object"
	case t[0] == '[':
		return "array"
	case t == "true" || t == "false":
		return "bool"
	case t == "null":
		return "null"
	}
	return "number"
}

// jsonKindOf names the JSON kind a Go type decodes from.
func jsonKindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	}
	return "a number"
}

func withArticle(kind string) string {
	switch kind {
	case "object", "array":
		return "an " + kind
	case "null":
		return kind
	}
	return "a " + kind
}
