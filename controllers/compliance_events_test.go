package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
)

// recordedEvents is a recorder that keeps the reasons of the events it is given.
type recordedEvents struct{ reasons []string }

func (r *recordedEvents) Eventf(_ runtime.Object, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.reasons = append(r.reasons, eventtype+"/"+reason+": "+fmt.Sprintf(note, args...))
}

func (r *recordedEvents) AnnotatedEventf(regarding, related runtime.Object, _ map[string]string, eventtype, reason, action, note string, args ...any) {
	r.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

func TestComplianceEvents(t *testing.T) {
	cases := map[string]struct {
		from, to pledgev1.ObjectiveState
		want     string // reason, or "" for no event
	}{
		"met to at risk":        {pledgev1.StateMet, pledgev1.StateAtRisk, "Warning/" + pledgev1.ReasonBudgetAtRisk},
		"first measurement":     {"", pledgev1.StateAtRisk, "Warning/" + pledgev1.ReasonBudgetAtRisk},
		"at risk to breached":   {pledgev1.StateAtRisk, pledgev1.StateBreached, "Warning/" + pledgev1.ReasonObjectiveBreached},
		"breached to met":       {pledgev1.StateBreached, pledgev1.StateMet, "Normal/" + pledgev1.ReasonObjectiveRecovered},
		"at risk to met":        {pledgev1.StateAtRisk, pledgev1.StateMet, "Normal/" + pledgev1.ReasonObjectiveRecovered},
		"unchanged":             {pledgev1.StateBreached, pledgev1.StateBreached, ""},
		"no data to met":        {pledgev1.StateNoData, pledgev1.StateMet, ""},
		"first measurement met": {"", pledgev1.StateMet, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recordedEvents{}
			c := &ComplianceRunner{Recorder: rec}
			c.event(&pledgev1.ServiceStandard{}, tc.from, pledgev1.ObjectiveStatus{Name: "availability", State: tc.to,
				Attainment: "99.5", Target: "99.9", ErrorBudgetRemaining: "-400.0"})
			switch {
			case tc.want == "" && len(rec.reasons) > 0:
				t.Errorf("want no event, got %v", rec.reasons)
			case tc.want != "" && (len(rec.reasons) != 1 || rec.reasons[0][:len(tc.want)] != tc.want):
				t.Errorf("want one %s event, got %v", tc.want, rec.reasons)
			}
		})
	}
}

func TestBudgetExhaustedEvents(t *testing.T) {
	cases := map[string]struct {
		from, to metav1.ConditionStatus // from "" when the condition is not set yet
		want     string                 // type/reason, or "" for no event
	}{
		"first measurement spent": {"", metav1.ConditionTrue, "Warning/" + pledgev1.ReasonBudgetSpent},
		"left to spent":           {metav1.ConditionFalse, metav1.ConditionTrue, "Warning/" + pledgev1.ReasonBudgetSpent},
		"unknown to spent":        {metav1.ConditionUnknown, metav1.ConditionTrue, "Warning/" + pledgev1.ReasonBudgetSpent},
		"spent to left":           {metav1.ConditionTrue, metav1.ConditionFalse, "Normal/" + pledgev1.ReasonBudgetLeft},
		"still spent":             {metav1.ConditionTrue, metav1.ConditionTrue, ""},
		"first measurement left":  {"", metav1.ConditionFalse, ""},
		"unknown to left":         {metav1.ConditionUnknown, metav1.ConditionFalse, ""},
		"spent to unknown":        {metav1.ConditionTrue, metav1.ConditionUnknown, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recordedEvents{}
			std := &pledgev1.ServiceStandard{}
			if tc.from != "" {
				std.Status.Conditions = []metav1.Condition{{Type: pledgev1.ConditionBudgetExhausted, Status: tc.from}}
			}
			(&ComplianceRunner{Recorder: rec}).budgetEvent(std, tc.to, "Error budget spent: availability (-400.0%)")
			switch {
			case tc.want == "" && len(rec.reasons) > 0:
				t.Errorf("want no event, got %v", rec.reasons)
			case tc.want != "" && (len(rec.reasons) != 1 || !strings.HasPrefix(rec.reasons[0], tc.want+": Error budget spent")):
				t.Errorf("want one %s event, got %v", tc.want, rec.reasons)
			}
		})
	}
}

// TestComplianceMessageFitsTheAPI: an objective's message (which names a user's selector) is
// cut to the 1024 characters the CRD allows, so the status write is not refused.
func TestComplianceMessageFitsTheAPI(t *testing.T) {
	long := "no samples of " + strings.Repeat("x", 2000)
	std := &pledgev1.ServiceStandard{}
	(&ComplianceRunner{}).apply(std, compliance.Result{Objectives: []pledgev1.ObjectiveStatus{{Name: "a", State: pledgev1.StateNoData, Message: long}}}, time.Now())
	if got := std.Status.Objectives[0].Message; len(got) != 1024 || !strings.HasPrefix(got, "no samples of xxx") {
		t.Errorf("message of %d bytes: %.40q…", len(got), got)
	}
}

// TestPeriodClosedEvents: a closed period new on the status is recorded once, with its
// attainment, dates in the standard's time zone and coverage; a period already on the status
// is not recorded again.
func TestPeriodClosedEvents(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	october := pledgev1.Period{Start: metav1.NewTime(time.Date(2026, 10, 1, 0, 0, 0, 0, berlin).UTC()),
		End: metav1.NewTime(time.Date(2026, 11, 1, 0, 0, 0, 0, berlin).UTC()), Attainment: "99.80", Met: false, Coverage: "100.0"}
	september := pledgev1.Period{Start: metav1.NewTime(time.Date(2026, 9, 1, 0, 0, 0, 0, berlin).UTC()),
		End: october.Start, Attainment: "99.95", Met: true, Coverage: "41.2"}
	std := &pledgev1.ServiceStandard{Spec: pledgev1.ServiceStandardSpec{Calendar: &pledgev1.CalendarWindow{Period: pledgev1.CalendarMonth, TimeZone: "Europe/Berlin"}}}
	std.Status.Periods = []pledgev1.Period{september}
	rec := &recordedEvents{}
	c := &ComplianceRunner{Recorder: rec, MaxAge: time.Hour}
	now := time.Date(2026, 11, 1, 0, 30, 0, 0, berlin)
	c.apply(std, compliance.Result{Periods: []pledgev1.Period{october, september}}, now)
	want := "Normal/" + pledgev1.ReasonPeriodClosed + ": Period 2026-10-01 to 2026-11-01 (Europe/Berlin) closed: attainment 99.80%, not met, coverage 100.0%"
	var closed []string
	for _, r := range rec.reasons {
		if strings.Contains(r, pledgev1.ReasonPeriodClosed) {
			closed = append(closed, r)
		}
	}
	if len(closed) != 1 || closed[0] != want {
		t.Errorf("events %q, want one %q", closed, want)
	}
	rec.reasons = nil
	c.apply(std, compliance.Result{Periods: []pledgev1.Period{october, september}}, now.Add(time.Minute))
	for _, r := range rec.reasons {
		if strings.Contains(r, pledgev1.ReasonPeriodClosed) {
			t.Errorf("the period is on the status: no second event, got %q", r)
		}
	}
}
