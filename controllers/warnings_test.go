package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

func TestRenderWarningEventOnlyWhenWarningsChange(t *testing.T) {
	const w = `window pair "page-fast" can never fire`
	cases := map[string]struct {
		ready *metav1.Condition // the Ready condition before the reconcile
		event bool
	}{
		"first reconcile":    {nil, true},
		"same warnings":      {&metav1.Condition{Status: "True", Message: "Applied PrometheusRule pledge-x (4)" + warningsMarker + w}, false},
		"other warnings":     {&metav1.Condition{Status: "True", Message: "Applied PrometheusRule pledge-x (4)" + warningsMarker + "time interval"}, true},
		"no warnings before": {&metav1.Condition{Status: "True", Message: "Applied PrometheusRule pledge-x (4)"}, true},
		"not ready before":   {&metav1.Condition{Status: "False", Message: "spec.objectives[0].target: invalid"}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			std := &pledgev1.ServiceStandard{}
			if tc.ready != nil {
				c := *tc.ready
				c.Type, c.Reason = pledgev1.ConditionReady, "Applied"
				std.Status.Conditions = []metav1.Condition{c}
			}
			rec := &recordedEvents{}
			(&ServiceStandardReconciler{Recorder: rec}).warnOnChange(std, w)
			want := 0
			if tc.event {
				want = 1
			}
			if len(rec.reasons) != want {
				t.Fatalf("events %v, want %d", rec.reasons, want)
			}
			if want == 1 && rec.reasons[0] != "Warning/"+pledgev1.ReasonRenderWarning+": "+w {
				t.Fatalf("event %q", rec.reasons[0])
			}
		})
	}
}
