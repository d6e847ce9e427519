package board_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// BenchmarkOverview renders the overview of 1,000 measured standards, read from a fake client
// (which copies every object through JSON, as the manager's cache does not).
func BenchmarkOverview(b *testing.B) {
	var objs []client.Object
	for i := range 1000 {
		std := standard(fmt.Sprintf("team-%d", i%20), fmt.Sprintf("svc-%d", i), fmt.Sprintf("svc-%d", i))
		std.Status.Score, std.Status.ErrorBudgetRemaining = "99.95", "50.0"
		std.Status.Objectives = []pledgev1.ObjectiveStatus{{Name: "availability", State: pledgev1.StateMet}}
		objs = append(objs, std)
	}
	h := newBoard(b, nil, objs...)
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		b.SetBytes(int64(rec.Body.Len()))
	}
}
