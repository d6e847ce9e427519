// Command crd-receivers completes the CRD schema of receiver lists after controller-gen.
//
// Receiver lists reuse prometheus-operator's Receiver Go type, whose full OpenAPI schema is about
// 90 KB without descriptions; embedded three times it would push each CRD past the 256 KiB that
// `kubectl apply` (client-side) can store in its last-applied annotation. The fields are
// therefore marked Schemaless in Go, and this step gives each such array an item schema derived
// from the Go type itself: every field typed (string, boolean, integer, list, object) down to
// objects nested objectDepth deep, such as a notification config's secret reference or
// httpConfig, so that the API server (and kubectl) rejects a wrongly typed or unknown field
// there. Deeper objects keep their fields unchecked; the operator and `pledge validate` check
// them against the Go type and report the field path (api/v1alpha1.Receiver).
package main

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// objectDepth is how many levels of nested objects below a receiver are typed: 1 is a
// notification config (slackConfigs[0]), 2 its objects (apiURL, httpConfig). A third level
// (httpConfig.authorization) would add 65 KB to each CRD.
const objectDepth = 2

func main() {
	for _, path := range os.Args[1:] {
		if err := fix(path); err != nil {
			fmt.Fprintf(os.Stderr, "crd-receivers: %s: %v\n", path, err)
			os.Exit(1)
		}
	}
}

func fix(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
		return err
	}
	n := 0
	for i := range crd.Spec.Versions {
		if s := crd.Spec.Versions[i].Schema; s != nil && s.OpenAPIV3Schema != nil {
			n += walk(s.OpenAPIV3Schema)
		}
	}
	if n == 0 {
		return nil
	}
	js, err := yaml.Marshal(&crd)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(js, &doc); err != nil {
		return err
	}
	delete(doc, "status") // controller-gen writes neither status nor creationTimestamp
	if meta, ok := doc["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}

// walk completes every array that preserves unknown fields but has no item schema.
func walk(s *apiextensionsv1.JSONSchemaProps) int {
	n := 0
	if s.Type == "array" && s.Items == nil && s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
		s.XPreserveUnknownFields = nil
		item := receiverSchema()
		s.Items = &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &item}
		n++
	}
	for k, p := range s.Properties {
		n += walk(&p)
		s.Properties[k] = p
	}
	if s.Items != nil && s.Items.Schema != nil {
		n += walk(s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		n += walk(s.AdditionalProperties.Schema)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// receiverSchema is the item schema of a receiver list.
func receiverSchema() apiextensionsv1.JSONSchemaProps {
	s := schemaOf(reflect.TypeOf(monitoringv1alpha1.Receiver{}), 0)
	s.Nullable = false
	s.Required = []string{"name"}
	s.Properties["name"] = apiextensionsv1.JSONSchemaProps{Type: "string", MinLength: ptr(int64(1)), MaxLength: ptr(int64(128)),
		Description: "name of the receiver, unique in its list."}
	return s
}

// schemaOf is the structural schema of what encoding/json decodes into t, for an object
// nested depth objects below the receiver. It accepts whatever the Go type accepts (null
// included), so the API server never refuses what the operator could use.
func schemaOf(t reflect.Type, depth int) apiextensionsv1.JSONSchemaProps {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	switch t.Kind() {
	case reflect.String:
		return apiextensionsv1.JSONSchemaProps{Type: "string", Nullable: nullable}
	case reflect.Bool:
		return apiextensionsv1.JSONSchemaProps{Type: "boolean", Nullable: nullable}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return apiextensionsv1.JSONSchemaProps{Type: "integer", Nullable: nullable}
	case reflect.Float32, reflect.Float64:
		return apiextensionsv1.JSONSchemaProps{Type: "number", Nullable: nullable}
	case reflect.Slice:
		items := schemaOf(t.Elem(), depth)
		return apiextensionsv1.JSONSchemaProps{Type: "array", Nullable: true, Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &items}}
	case reflect.Map:
		if depth > objectDepth {
			break
		}
		values := schemaOf(t.Elem(), depth+1)
		return apiextensionsv1.JSONSchemaProps{Type: "object", Nullable: true, AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Allows: true, Schema: &values}}
	case reflect.Struct:
		if depth > objectDepth {
			break
		}
		s := apiextensionsv1.JSONSchemaProps{Type: "object", Nullable: nullable, Properties: map[string]apiextensionsv1.JSONSchemaProps{}}
		addFields(s.Properties, t, depth)
		return s
	default:
		panic(fmt.Sprintf("crd-receivers: no schema for %s", t))
	}
	keep := true
	return apiextensionsv1.JSONSchemaProps{Type: "object", Nullable: true, XPreserveUnknownFields: &keep}
}

// addFields adds the JSON fields of struct t, inlined structs included, as encoding/json
// sees them.
func addFields(props map[string]apiextensionsv1.JSONSchemaProps, t reflect.Type, depth int) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			addFields(props, f.Type, depth)
		default:
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type, depth+1)
		}
	}
}
