// Package v1alpha1 contains the pledge.dev/v1alpha1 API: ServiceStandard and EscalationPolicy.
// +kubebuilder:object:generate=true
// +groupName=pledge.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of the Pledge API.
	GroupVersion = schema.GroupVersion{Group: "pledge.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Pledge types with a runtime scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the Pledge types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
