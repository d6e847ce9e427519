// Package v1alpha1 contains the pledge.dev/v1alpha1 API: ServiceStandard and EscalationPolicy.
// +kubebuilder:object:generate=true
// +groupName=pledge.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the Pledge API.
	GroupVersion = schema.GroupVersion{Group: "pledge.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Pledge types with a runtime scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the Pledge types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&ServiceStandard{}, &ServiceStandardList{},
		&EscalationPolicy{}, &EscalationPolicyList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
