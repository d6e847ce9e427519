package controllers

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// writeStatus applies change to the standard's status and patches it if anything changed, with
// optimistic locking: on a conflict it reads the standard again from reader (c when nil) and
// retries. The runners that write parts of the status between reconciles share it.
func writeStatus(ctx context.Context, c client.Client, reader client.Reader, std *pledgev1.ServiceStandard, change func(*pledgev1.ServiceStandard)) {
	log := logf.FromContext(ctx)
	for attempt := 0; attempt < 3; attempt++ {
		before := std.DeepCopy()
		change(std)
		if semanticEqual(before.Status, std.Status) {
			return
		}
		err := c.Status().Patch(ctx, std, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if err == nil || apierrors.IsNotFound(err) {
			return
		}
		if !apierrors.IsConflict(err) {
			log.Error(err, "Writing status", "standard", client.ObjectKeyFromObject(std))
			return
		}
		if reader == nil {
			reader = c
		}
		fresh := &pledgev1.ServiceStandard{}
		if err := reader.Get(ctx, client.ObjectKeyFromObject(std), fresh); err != nil {
			return
		}
		*std = *fresh
	}
}
