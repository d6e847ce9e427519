package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/render"
	"github.com/pledge-dev/pledge/test/procs"
)

// TestClusterLabelGroupByRefused: with a --cluster-label, a standard whose objective is
// grouped by the label's name is Ready=False InvalidSpec naming the field, and nothing is
// generated for it (the cluster label would replace the grouped label on every series, and
// the rules would fail at each evaluation); grouped by another label it is delivered.
func TestClusterLabelGroupByRefused(t *testing.T) {
	cfg := procs.StartAPIServer(t, []string{filepath.Join("..", "..", "config", "crd", "bases")})
	startManager(t, cfg, controllers.Options{Target: controllers.TargetConfigMaps,
		Cluster: render.ClusterLabel{Name: "region", Value: "eu-1"}})
	c, err := client.New(cfg, client.Options{Scheme: controllers.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, c, "shop")
	std := &pledgev1.ServiceStandard{}
	if err := yaml.Unmarshal([]byte(`
metadata: {name: api, namespace: shop}
spec:
  service: api
  objectives:
    - name: availability
      target: "99.9"
      groupBy: [route, region]
      ratio: {errors: 'http_requests_total{code="500"}', total: http_requests_total}
`), std); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Create(ctx, std); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(std)
	cond := waitCondition(t, c, key, pledgev1.ConditionReady, metav1.ConditionFalse, pledgev1.ReasonInvalidSpec, 30*time.Second)
	if !strings.Contains(cond.Message, "spec.objectives[0].groupBy[1]") || !strings.Contains(cond.Message, "--cluster-label") {
		t.Errorf("Ready message %q does not name spec.objectives[0].groupBy[1] and the cluster label", cond.Message)
	}
	var cms corev1.ConfigMapList
	if err := c.List(ctx, &cms, client.InNamespace("shop"), client.MatchingLabels{render.LabelManagedBy: render.ManagedByValue}); err != nil {
		t.Fatal(err)
	}
	if len(cms.Items) != 0 {
		t.Errorf("%d ConfigMaps generated for a refused standard", len(cms.Items))
	}

	if err := c.Get(ctx, key, std); err != nil {
		t.Fatal(err)
	}
	std.Spec.Objectives[0].GroupBy = []string{"route"}
	if err := c.Update(ctx, std); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, c, key, pledgev1.ConditionReady, metav1.ConditionTrue, pledgev1.ReasonApplied, 30*time.Second)
}
