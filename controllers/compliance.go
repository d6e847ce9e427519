package controllers

import (
	"context"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/policies"
	"github.com/pledge-dev/pledge/internal/render"
)

// ComplianceRunner measures every standard against Prometheus once per interval and writes the
// standing on its status: a bounded number of queries per poll, whatever the number of standards
// and the windows they choose. A failed query leaves only the standards that need it unmeasured.
type ComplianceRunner struct {
	Client client.Client
	// Reader reads fresh objects after a write conflict (the API server, not the cache);
	// Client when nil.
	Reader   client.Reader
	Querier  compliance.Querier
	Interval time.Duration
	Options  compliance.Options
	// MaxAge: an unchanged standing is rewritten (with a new lastEvaluated) once it is older.
	MaxAge   time.Duration
	Recorder recorder.EventRecorder
	Metrics  *Metrics
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
}

// Start polls until the context ends. Only the leader measures.
func (c *ComplianceRunner) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("compliance")
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		if err := c.Poll(ctx); err != nil {
			log.Error(err, "Measuring compliance")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// NeedLeaderElection makes only the leader poll.
func (c *ComplianceRunner) NeedLeaderElection() bool { return true }

func (c *ComplianceRunner) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Poll measures all standards once and writes what changed.
func (c *ComplianceRunner) Poll(ctx context.Context) error {
	// The list shares the cache's standards, read only here (see LivenessChecker.Poll); a
	// standard is copied only to write its status.
	var list pledgev1.ServiceStandardList
	if err := c.Client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return err
	}
	var measured []compliance.Standard
	stds := map[string]*pledgev1.ServiceStandard{}
	now := c.now().Truncate(time.Second)
	for i := range list.Items {
		std := &list.Items[i]
		s, ok := c.describe(ctx, std, now)
		if !ok {
			continue
		}
		measured = append(measured, s)
		stds[std.Namespace+"/"+std.Name] = std
	}
	if c.Options.History == nil {
		c.Options.History = &compliance.History{}
	}
	// A failed query leaves only the standards that need it unmeasured (res.Err): they keep
	// their last standing (counted as such) and say why; every other standard is written.
	results, err := compliance.Evaluate(ctx, c.Querier, now, measured, c.Options)
	states := map[pledgev1.ObjectiveState]int{}
	for key, std := range stds {
		res := results[key]
		if res.Err != nil {
			unavailable := metav1.Condition{Status: metav1.ConditionUnknown,
				Reason: pledgev1.ReasonPrometheusUnavailable, Message: truncate(res.Err.Error(), 1024)}
			c.write(ctx, std, func(s *pledgev1.ServiceStandard) {
				for _, t := range []string{pledgev1.ConditionCompliant, pledgev1.ConditionBudgetExhausted} {
					unavailable.Type = t
					c.setMeasured(s, unavailable)
				}
			})
			res.Objectives = std.Status.Objectives
		} else {
			c.write(ctx, std, func(s *pledgev1.ServiceStandard) { c.apply(s, res, now) })
		}
		for _, o := range res.Objectives {
			states[o.State]++
		}
	}
	c.Metrics.Objectives(states)
	return err
}

// describe resolves a standard for measurement; invalid standards are not measured.
func (c *ComplianceRunner) describe(ctx context.Context, std *pledgev1.ServiceStandard, now time.Time) (compliance.Standard, bool) {
	resolved, errs := render.ResolveAt(std, policies.From(ctx, c.Client), now)
	// A missing or broken policy does not change what is measured.
	if !render.OnlyPolicyProblems(errs) {
		return compliance.Standard{}, false
	}
	s, err := compliance.FromResolved(resolved)
	if err != nil {
		return s, false
	}
	s.KnownPeriods = std.Status.Periods
	return s, true
}

// apply puts a measurement on the status. An unchanged objective keeps its lastEvaluated until
// it is older than MaxAge, so that unchanged standings are not rewritten every poll.
func (c *ComplianceRunner) apply(std *pledgev1.ServiceStandard, res compliance.Result, now time.Time) {
	old := map[string]pledgev1.ObjectiveStatus{}
	for _, o := range std.Status.Objectives {
		old[o.Name] = o
	}
	for i, o := range res.Objectives {
		// The message names a user's selector, which may be long; the API allows 1024.
		o.Message = truncate(o.Message, 1024)
		res.Objectives[i] = o
		prev, ok := old[o.Name]
		if ok && prev.LastEvaluated != nil && now.Sub(prev.LastEvaluated.Time) < c.MaxAge {
			same := o
			same.LastEvaluated = prev.LastEvaluated
			if semanticEqual(prev, same) {
				res.Objectives[i] = prev
			}
		}
		c.event(std, prev.State, res.Objectives[i])
	}
	std.Status.Objectives = res.Objectives
	std.Status.Score = res.Score
	std.Status.ErrorBudgetRemaining = res.MinBudget
	c.periodEvents(std, res.Periods)
	std.Status.Periods = res.Periods
	status, reason, msg := res.Compliant()
	c.setMeasured(std, metav1.Condition{Type: pledgev1.ConditionCompliant, Status: status, Reason: reason, Message: msg})
	status, reason, msg = res.BudgetExhausted()
	msg = truncate(msg, 1024)
	c.budgetEvent(std, status, msg)
	c.setMeasured(std, metav1.Condition{Type: pledgev1.ConditionBudgetExhausted, Status: status, Reason: reason, Message: msg})
}

// budgetEvent records BudgetExhausted turning True, and turning False again after it was True.
func (c *ComplianceRunner) budgetEvent(std *pledgev1.ServiceStandard, to metav1.ConditionStatus, msg string) {
	from := meta.FindStatusCondition(std.Status.Conditions, pledgev1.ConditionBudgetExhausted)
	if c.Recorder == nil || to == metav1.ConditionUnknown || (from != nil && from.Status == to) {
		return
	}
	switch {
	case to == metav1.ConditionTrue:
		c.Recorder.Eventf(std, nil, corev1.EventTypeWarning, pledgev1.ReasonBudgetSpent, "Measure", "%s", msg)
	case from != nil && from.Status == metav1.ConditionTrue:
		c.Recorder.Eventf(std, nil, corev1.EventTypeNormal, pledgev1.ReasonBudgetLeft, "Measure", "%s", msg)
	}
}

// periodEvents records a PeriodClosed event for each closed period that is new on the status:
// once per period, when it is first measured after its end.
func (c *ComplianceRunner) periodEvents(std *pledgev1.ServiceStandard, periods []pledgev1.Period) {
	if c.Recorder == nil {
		return
	}
	for _, p := range periods {
		if slices.ContainsFunc(std.Status.Periods, func(k pledgev1.Period) bool { return k.Start.Equal(&p.Start) && k.End.Equal(&p.End) }) {
			continue
		}
		kept := "not met"
		if p.Met {
			kept = "met"
		}
		loc := time.UTC
		if cal := std.Spec.Calendar; cal != nil {
			if l, err := time.LoadLocation(cal.TimeZone); err == nil {
				loc = l
			}
		}
		c.Recorder.Eventf(std, nil, corev1.EventTypeNormal, pledgev1.ReasonPeriodClosed, "Measure",
			"Period %s to %s (%s) closed: attainment %s%%, %s, coverage %s%%", p.Start.In(loc).Format(time.DateOnly), p.End.In(loc).Format(time.DateOnly),
			loc, p.Attainment, kept, p.Coverage)
	}
}

// event records an objective's state transition.
func (c *ComplianceRunner) event(std *pledgev1.ServiceStandard, from pledgev1.ObjectiveState, to pledgev1.ObjectiveStatus) {
	if c.Recorder == nil || from == to.State {
		return
	}
	switch {
	case to.State == pledgev1.StateBreached:
		c.Recorder.Eventf(std, nil, corev1.EventTypeWarning, pledgev1.ReasonObjectiveBreached, "Measure",
			"Objective %s breached: attainment %s%% against %s%%, budget %s%%", to.Name, to.Attainment, to.Target, to.ErrorBudgetRemaining)
	case to.State == pledgev1.StateAtRisk:
		c.Recorder.Eventf(std, nil, corev1.EventTypeWarning, pledgev1.ReasonBudgetAtRisk, "Measure",
			"Objective %s at risk: budget %s%% left, attainment %s%%", to.Name, to.ErrorBudgetRemaining, to.Attainment)
	case to.State == pledgev1.StateMet && (from == pledgev1.StateBreached || from == pledgev1.StateAtRisk):
		c.Recorder.Eventf(std, nil, corev1.EventTypeNormal, pledgev1.ReasonObjectiveRecovered, "Measure",
			"Objective %s met again: attainment %s%%, budget %s%% left", to.Name, to.Attainment, to.ErrorBudgetRemaining)
	}
}

func (c *ComplianceRunner) setMeasured(std *pledgev1.ServiceStandard, cond metav1.Condition) {
	cond.ObservedGeneration = std.Generation
	setCondition(&std.Status.Conditions, cond)
}

// write applies change to the standard's status and patches it if anything changed.
func (c *ComplianceRunner) write(ctx context.Context, std *pledgev1.ServiceStandard, change func(*pledgev1.ServiceStandard)) {
	writeStatus(logf.IntoContext(ctx, logf.FromContext(ctx).WithName("compliance")), c.Client, c.Reader, std.DeepCopy(), change)
}
