package controllers

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

func TestSetCondition(t *testing.T) {
	std := &pledgev1.ServiceStandard{}
	std.Generation = 3
	ready := readyCondition(std, true, pledgev1.ReasonApplied, "applied")
	cases := map[string]struct {
		existing    []metav1.Condition
		set         metav1.Condition
		wantChanged bool
		wantStatus  metav1.ConditionStatus
	}{
		"first condition":          {nil, ready, true, metav1.ConditionTrue},
		"same condition again":     {[]metav1.Condition{ready}, ready, false, metav1.ConditionTrue},
		"status flips":             {[]metav1.Condition{ready}, readyCondition(std, false, pledgev1.ReasonInvalidSpec, "bad"), true, metav1.ConditionFalse},
		"message changes":          {[]metav1.Condition{ready}, readyCondition(std, true, pledgev1.ReasonApplied, "other"), true, metav1.ConditionTrue},
		"new generation, same say": {[]metav1.Condition{ready}, func() metav1.Condition { c := ready; c.ObservedGeneration = 4; return c }(), true, metav1.ConditionTrue},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			list := append([]metav1.Condition(nil), tc.existing...)
			if got := setCondition(&list, tc.set); got != tc.wantChanged {
				t.Errorf("changed = %v, want %v", got, tc.wantChanged)
			}
			c := meta.FindStatusCondition(list, pledgev1.ConditionReady)
			if c == nil || c.Status != tc.wantStatus || c.ObservedGeneration != tc.set.ObservedGeneration {
				t.Errorf("condition = %+v", c)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("abcdef", 5); got != "ab..." {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("abc", 5); got != "abc" {
		t.Errorf("truncate = %q", got)
	}
}

func TestSameJSONIgnoresKeyOrderInRawJSON(t *testing.T) {
	built := apiextensionsv1.JSON{Raw: []byte(`{"receiver":"r","matchers":[{"name":"a","value":"1"}],"continue":true}`)}
	served := apiextensionsv1.JSON{Raw: []byte(`{"continue":true,"matchers":[{"name":"a","value":"1"}],"receiver":"r"}`)}
	if !sameJSON(built, served) {
		t.Error("the same route with keys in another order must compare equal")
	}
	changed := apiextensionsv1.JSON{Raw: []byte(`{"continue":false,"matchers":[{"name":"a","value":"1"}],"receiver":"r"}`)}
	if sameJSON(built, changed) {
		t.Error("a changed route must compare unequal")
	}
}
