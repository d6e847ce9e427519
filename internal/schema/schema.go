// Package schema runs, offline, what kube-apiserver runs when a Pledge object is created: the
// generated CRDs (embedded from config/crd/bases) are compiled with apiextensions-apiserver's
// own packages, and an object is pruned (unknown fields reported, as kubectl's strict field
// validation does), defaulted, and checked against its metadata rules, OpenAPI schema,
// list-type invariants and CEL rules. pledge validate and the CRD tests share it.
package schema

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/pledge-dev/pledge/config/crd"
)

// Kind is one CRD, prepared for the admission checks of its objects.
type Kind struct {
	Group, Kind string
	Namespaced  bool
	// Served are the served versions, in the CRD's order.
	Served []string
	// CRD is the definition in the API server's internal form.
	CRD      *apiextensions.CustomResourceDefinition
	versions map[string]*version
}

type version struct {
	schema     apiservervalidation.SchemaValidator
	structural *structuralschema.Structural
	cel        *cel.Validator
}

// Kinds returns the embedded CRDs by kind name. They are compiled once.
var Kinds = sync.OnceValues(func() (map[string]*Kind, error) { return load(crd.Bases) })

func load(fsys fs.FS) (map[string]*Kind, error) {
	files, err := fs.Glob(fsys, "bases/*.yaml")
	if err != nil {
		return nil, err
	}
	out := map[string]*Kind{}
	for _, f := range files {
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		k, err := compile(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[k.Kind] = k
	}
	return out, nil
}

// compile converts a v1 CRD to the internal form, as the API server stores it, and compiles
// the validators of each served version.
func compile(raw []byte) (*Kind, error) {
	var v1crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &v1crd); err != nil {
		return nil, err
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(&v1crd)
	var internal apiextensions.CustomResourceDefinition
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1crd, &internal, nil); err != nil {
		return nil, err
	}
	k := &Kind{
		Group: internal.Spec.Group, Kind: internal.Spec.Names.Kind,
		Namespaced: internal.Spec.Scope == apiextensions.NamespaceScoped,
		CRD:        &internal, versions: map[string]*version{},
	}
	for _, v := range internal.Spec.Versions {
		if !v.Served {
			continue
		}
		// The internal form hoists a schema shared by all versions to spec.validation.
		props := internal.Spec.Validation
		if v.Schema != nil {
			props = v.Schema
		}
		if props == nil || props.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("version %s has no schema", v.Name)
		}
		sv, _, err := apiservervalidation.NewSchemaValidator(props.OpenAPIV3Schema)
		if err != nil {
			return nil, err
		}
		st, err := structuralschema.NewStructural(props.OpenAPIV3Schema)
		if err != nil {
			return nil, err
		}
		k.Served = append(k.Served, v.Name)
		k.versions[v.Name] = &version{schema: sv, structural: st, cel: cel.NewValidator(st, true, celconfig.PerCallLimit)}
	}
	return k, nil
}

// Admit runs the API server's create path on obj, a decoded JSON object of the given version;
// obj is changed in place to what would be stored (pruned, defaulted, without status).
// Unknown fields are returned first, as field paths: under strict field validation (kubectl's
// default) the API server refuses them before validating, so errs is empty when there are any.
func (k *Kind) Admit(ctx context.Context, version string, obj map[string]any) (unknownFields []string, errs field.ErrorList) {
	v := k.versions[version]
	if v == nil {
		return nil, field.ErrorList{field.NotSupported(field.NewPath("apiVersion"), k.Group+"/"+version, k.APIVersions())}
	}
	// Decoding: unknown metadata and schema fields, then nulls where the schema has no
	// default, then defaults.
	_, _, unknownMeta, err := schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
	}
	unknownFields = append(unknownMeta, structuralpruning.PruneWithOptions(obj, v.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	if len(unknownFields) > 0 {
		sort.Strings(unknownFields)
		return unknownFields, nil
	}
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.structural)
	if ferr, _ := schemaobjectmeta.CoerceWithOptions(nil, obj, v.structural, false, schemaobjectmeta.CoerceOptions{}); ferr != nil {
		return nil, field.ErrorList{ferr}
	}
	structuraldefaulting.Default(obj, v.structural)

	// Create: the status subresource makes the API server drop status.
	delete(obj, "status")

	// Validation, in the order of the custom resource strategy.
	errs = append(errs, k.validateMeta(obj)...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, v.schema)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, v.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	if blocking(errs) {
		// The API server skips CEL rules on an object that is already structurally wrong.
		return nil, append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	}
	celErrs, _ := v.cel.Validate(ctx, nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	return nil, append(errs, celErrs...)
}

// APIVersions are the served group/versions.
func (k *Kind) APIVersions() []string {
	out := make([]string, 0, len(k.Served))
	for _, v := range k.Served {
		out = append(out, k.Group+"/"+v)
	}
	return out
}

// validateMeta checks metadata as the API server does for a custom resource: the name is a DNS
// subdomain, a namespaced object has a namespace (kubectl fills in the context's), labels,
// annotations, finalizers and owner references are well formed.
func (k *Kind) validateMeta(obj map[string]any) field.ErrorList {
	meta, _, err := schemaobjectmeta.GetObjectMeta(obj, false)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
	}
	if meta == nil { // no metadata at all (or null): the name is missing, as for empty metadata
		meta = &metav1.ObjectMeta{}
	}
	if k.Namespaced && meta.Namespace == "" {
		meta.Namespace = "default"
	}
	return metavalidation.ValidateObjectMetaAccessor(meta, k.Namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

// blocking reports errors after which the API server does not run CEL rules.
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
