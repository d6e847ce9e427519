// Command crd-receivers completes the CRD schema of receiver lists after controller-gen.
//
// Receiver lists reuse prometheus-operator's Receiver Go type, whose full OpenAPI schema is about
// 800 KB; embedded three times it would push the CRDs past the API server's object size limit.
// The fields are therefore marked Schemaless in Go, and this step gives each such array the
// smallest structural item schema: an object with a required name that keeps its other fields.
// The operator and `pledge validate` check the rest of each receiver against the Go type.
package main

import (
	"fmt"
	"os"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

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
		keep := true
		s.XPreserveUnknownFields = nil
		s.Items = &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
			Type:                   "object",
			XPreserveUnknownFields: &keep,
			Required:               []string{"name"},
			Properties: map[string]apiextensionsv1.JSONSchemaProps{
				"name": {Type: "string", MinLength: ptr(int64(1)), MaxLength: ptr(int64(128)),
					Description: "name of the receiver, unique in its list."},
			},
		}}
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
