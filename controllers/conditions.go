package controllers

import (
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// readyCondition builds the Ready condition of a standard for its current generation.
func readyCondition(std *pledgev1.ServiceStandard, ready bool, reason, message string) metav1.Condition {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	return metav1.Condition{
		Type: pledgev1.ConditionReady, Status: status, Reason: reason, Message: truncate(message, 32768),
		ObservedGeneration: std.Generation,
	}
}

// setCondition sets c on the list and reports whether anything but the timestamp changed.
func setCondition(conditions *[]metav1.Condition, c metav1.Condition) bool {
	old := meta.FindStatusCondition(*conditions, c.Type)
	changed := old == nil || old.Status != c.Status || old.Reason != c.Reason || old.Message != c.Message ||
		old.ObservedGeneration != c.ObservedGeneration
	meta.SetStatusCondition(conditions, c)
	return changed
}

// truncate shortens s to at most n bytes, ending in "..." when cut, and never inside a
// character (the API server would write a cut one as three bytes).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
