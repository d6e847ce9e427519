package controllers

import (
	"testing"
	"unsafe"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

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
	if got := truncate("aééé", 5); got != "a..." { // é is two bytes: no cut inside it
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("abc", 5); got != "abc" {
		t.Errorf("truncate = %q", got)
	}
}

func TestSpecDigestIgnoresKeyOrderInRawJSON(t *testing.T) {
	built := apiextensionsv1.JSON{Raw: []byte(`{"receiver":"r","matchers":[{"name":"a","value":"1"}],"continue":true}`)}
	served := apiextensionsv1.JSON{Raw: []byte(`{"continue":true,"matchers":[{"name":"a","value":"1"}],"receiver":"r"}`)}
	if specDigest(built) != specDigest(served) {
		t.Error("the same route with keys in another order must have the same digest")
	}
	changed := apiextensionsv1.JSON{Raw: []byte(`{"continue":false,"matchers":[{"name":"a","value":"1"}],"receiver":"r"}`)}
	if specDigest(built) == specDigest(changed) {
		t.Error("a changed route must have another digest")
	}
}

func TestCompactGeneratedKeepsTheSpecDigest(t *testing.T) {
	pr := &monitoringv1.PrometheusRule{
		ObjectMeta: metav1.ObjectMeta{Name: "pledge-x", Labels: map[string]string{"a": "b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: FieldManager}}},
		Spec: monitoringv1.PrometheusRuleSpec{Groups: []monitoringv1.RuleGroup{{Name: "g", Rules: []monitoringv1.Rule{{Record: "r", Expr: intstr.FromString("vector(1)")}}}}},
	}
	full := pr.DeepCopy()
	if _, err := compactGenerated(pr); err != nil {
		t.Fatal(err)
	}
	if len(pr.Spec.Groups) != 0 || pr.ManagedFields != nil || pr.Labels["a"] != "b" {
		t.Fatalf("cached copy keeps spec or managedFields, or lost labels: %+v", pr)
	}
	if pr.Annotations != nil {
		t.Errorf("the digest must go into the labels map the object has, not a new annotations map: %v", pr.Annotations)
	}
	if !sameSpec(pr, pr.Spec, full.Spec) || !sameSpec(full, full.Spec, full.Spec) {
		t.Error("the cached and the full object must both hold the spec they were made from")
	}
	// Idempotent: a second pass keeps the digest of the real spec.
	if _, err := compactGenerated(pr); err != nil || !sameSpec(pr, pr.Spec, full.Spec) {
		t.Errorf("a second transform lost the digest (%v)", err)
	}
	changed := full.DeepCopy()
	changed.Spec.Groups[0].Rules[0].Expr = intstr.FromString("vector(2)")
	if sameSpec(pr, pr.Spec, changed.Spec) {
		t.Error("a changed spec must not compare equal to the cached copy")
	}
	// Other objects pass untouched.
	cm := &corev1.ConfigMap{Data: map[string]string{"k": "v"}}
	if out, _ := compactGenerated(cm); out.(*corev1.ConfigMap).Data["k"] != "v" {
		t.Error("a ConfigMap must pass untouched")
	}
}

func TestCompactGeneratedDropsLastApplied(t *testing.T) {
	std := &pledgev1.ServiceStandard{ObjectMeta: metav1.ObjectMeta{Name: "checkout", Annotations: map[string]string{
		corev1.LastAppliedConfigAnnotation: `{"apiVersion":"pledge.dev/v1alpha1","kind":"ServiceStandard"}`,
		"team.example.com/owner":           "payments",
	}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}}
	if _, err := compactGenerated(std); err != nil {
		t.Fatal(err)
	}
	if _, kept := std.Annotations[corev1.LastAppliedConfigAnnotation]; kept || std.ManagedFields != nil {
		t.Errorf("the cached standard keeps kubectl's last-applied configuration or managedFields: %+v", std.ObjectMeta)
	}
	if std.Annotations["team.example.com/owner"] != "payments" {
		t.Errorf("other annotations must stay: %v", std.Annotations)
	}
}

func TestCompactGeneratedSharesRepeatedWords(t *testing.T) {
	decoded := func(name string) *pledgev1.ServiceStandard {
		// Built from separate byte slices, as the decoder would: no string is shared yet.
		s := func(v string) string { return string([]byte(v)) }
		return &pledgev1.ServiceStandard{
			TypeMeta:   metav1.TypeMeta{APIVersion: s("pledge.dev/v1alpha1"), Kind: s("ServiceStandard")},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s("shop"), Labels: map[string]string{s("team.example.com/owner"): s("payments")}},
			Status:     pledgev1.ServiceStandardStatus{Conditions: []metav1.Condition{{Type: s("Ready"), Status: metav1.ConditionStatus(s("True")), Reason: s("Applied"), Message: s("Applied")}}},
		}
	}
	a, b := decoded("a"), decoded("b")
	for _, o := range []*pledgev1.ServiceStandard{a, b} {
		if _, err := compactGenerated(o); err != nil {
			t.Fatal(err)
		}
	}
	same := func(x, y string) bool { return x == y && unsafe.StringData(x) == unsafe.StringData(y) }
	var keyA, keyB string
	for k := range a.Labels {
		keyA = k
	}
	for k := range b.Labels {
		keyB = k
	}
	ca, cb := a.Status.Conditions[0], b.Status.Conditions[0]
	if !same(a.Kind, b.Kind) || !same(a.APIVersion, b.APIVersion) || !same(a.Namespace, b.Namespace) || !same(keyA, keyB) ||
		!same(ca.Type, cb.Type) || !same(string(ca.Status), string(cb.Status)) || !same(ca.Reason, cb.Reason) {
		t.Errorf("the transform must keep one copy of the words every standard repeats: %+v %+v", a, b)
	}
	if a.Labels["team.example.com/owner"] != "payments" || ca.Message != "Applied" || a.Name != "a" || b.Name != "b" {
		t.Errorf("the transform changed a value: %+v %+v", a, b)
	}
}
