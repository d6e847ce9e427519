// Package policies looks up the EscalationPolicy a ServiceStandard references, for
// render.Resolve: from the API server (or the manager's cache), or from a set read from files.
package policies

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// From looks policies up with a client (the manager's cache, or the API server): a policy that
// does not exist is nil without an error.
func From(ctx context.Context, c client.Reader) render.PolicyLookup {
	return func(namespace, name string) (*pledgev1.EscalationPolicy, error) {
		p := &pledgev1.EscalationPolicy{}
		err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, p)
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}
