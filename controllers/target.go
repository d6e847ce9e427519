package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// Target names (pledge manager --target).
const (
	TargetPrometheusOperator = "prometheus-operator"
	TargetFiles              = "files"
	TargetConfigMaps         = "configmaps"
)

// Target delivers standards' rules and routing to where Prometheus and Alertmanager read them:
// prometheus-operator objects (PrometheusRule, AlertmanagerConfig), plain files with reloads, or
// ConfigMaps for a sidecar. The ServiceStandard controller resolves each standard and hands it
// to its target; what the target reports becomes the Ready condition.
type Target interface {
	// Name is the target's --target value.
	Name() string
	// Deliver writes one standard's rules and routing, unless what is delivered already says
	// the same, and returns what it generated (status.generated).
	Deliver(ctx context.Context, std *pledgev1.ServiceStandard, s *render.Standard) ([]pledgev1.GeneratedObject, error)
	// Remove takes the rules and routing of a deleted standard away (a no-op where owner
	// references make the API server do it).
	Remove(ctx context.Context, key types.NamespacedName) error
	// watch adds the target's watches (the objects it generates, so that hand edits are put
	// back) to the controller's builder; start, when not nil, is called with the built
	// controller (for watches added later, or a start-up sweep).
	watch(mgr ctrl.Manager, b *builder.Builder) (*builder.Builder, func(controller.Controller) error)
	// hints name the likely cause when Prometheus or Alertmanager does not run what was
	// delivered (the RulesLoaded message).
	hints() compliance.Hints
}

// reasonedError is a delivery failure with the Ready reason it reports. When retry is false
// the standard is not requeued with backoff: only a change, or requeueAfter when set, retries it.
type reasonedError struct {
	reason       string
	retry        bool
	requeueAfter time.Duration
	err          error
}

func (e *reasonedError) Error() string { return e.err.Error() }
func (e *reasonedError) Unwrap() error { return e.err }

// deliveryFailure maps a Deliver error to the Ready reason and to how the standard is retried:
// with backoff (retry), after a time (requeueAfter), or on its next change.
func deliveryFailure(err error) (reason string, retry bool, requeueAfter time.Duration) {
	var re *reasonedError
	var conflict errConflict
	var tooLarge *render.TooLargeError
	switch {
	case errors.As(err, &re):
		return re.reason, re.retry, re.requeueAfter
	case errors.As(err, &conflict):
		return pledgev1.ReasonConflict, false, 0
	case errors.As(err, &tooLarge):
		return pledgev1.ReasonTooLarge, false, 0
	default:
		return pledgev1.ReasonApplyFailed, true, 0
	}
}

// NewTarget builds the named target from the manager's options.
func NewTarget(mgr ctrl.Manager, o Options, m *Metrics) (Target, error) {
	switch o.Target {
	case "", TargetPrometheusOperator:
		return newOperatorTarget(mgr, o, m), nil
	case TargetFiles:
		return newFilesTarget(mgr.GetAPIReader(), o.Files, m)
	case TargetConfigMaps:
		return newConfigMapsTarget(mgr, o.ConfigMaps, m)
	default:
		return nil, fmt.Errorf("unknown target %q: use %s, %s or %s", o.Target, TargetPrometheusOperator, TargetFiles, TargetConfigMaps)
	}
}
