package controllers_test

import (
	"context"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// hugePolicy is an EscalationPolicy the CRD accepts and etcd stores (about 1.4 MB), whose
// receivers make the AlertmanagerConfig generated from it larger than etcd takes.
func hugePolicy(ns string) *pledgev1.EscalationPolicy {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: pledge.dev/v1alpha1\nkind: EscalationPolicy\nmetadata: {name: payments, namespace: %s}\nspec:\n  tiers:\n", ns)
	url := "http://pager.example.com/" + strings.Repeat("x", 2000)
	for tier := range 5 {
		fmt.Fprintf(&b, "    - name: t%d\n      after: %dm\n      receivers:\n", tier, tier*10)
		for r := range 10 {
			fmt.Fprintf(&b, "        - name: r%d\n          webhookConfigs:\n", r)
			for range 14 {
				fmt.Fprintf(&b, "            - url: %q\n", url)
			}
		}
	}
	obj, _, err := serializer.NewCodecFactory(scheme).UniversalDeserializer().Decode([]byte(b.String()), nil, nil)
	Expect(err).NotTo(HaveOccurred())
	return obj.(*pledgev1.EscalationPolicy)
}

var _ = Describe("A standard whose generated objects would not fit in etcd", func() {
	It("is Ready=False TooLarge, naming the object and its size, and nothing is applied", func() {
		ctx := context.Background()
		ns := newNamespace(ctx)
		std, _ := sample(ns)
		Expect(k8sClient.Create(ctx, hugePolicy(ns))).To(Succeed())
		Expect(k8sClient.Create(ctx, std)).To(Succeed())
		Eventually(readyOf(ctx, ns, "checkout"), timeout, interval).Should(Equal("False/" + pledgev1.ReasonTooLarge))
		Expect(readyMessage(ctx, ns, "checkout")).To(ContainSubstring("AlertmanagerConfig pledge-checkout would be"))
		_, err := prometheusRule(ctx, ns, "checkout")
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the PrometheusRule was applied: %v", err)
	})
})
