package controllers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestEventWriteTries checks which failures of the API server are tried again (pure logic: the
// server is an httptest one answering with the statuses under test).
func TestEventWriteTries(t *testing.T) {
	status := func(code int, reason metav1.StatusReason) string {
		return `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"` + string(reason) + `","code":` + strconv.Itoa(code) + `}`
	}
	created := `{"kind":"Event","apiVersion":"events.k8s.io/v1","metadata":{"name":"e","namespace":"shop"}}`
	for _, tc := range []struct {
		name    string
		answers []int // HTTP status per try
		posts   int
		result  string
	}{
		{"written at once", []int{201}, 1, "written"},
		{"unavailable, then written", []int{503, 201}, 2, "written"},
		{"timing out three times", []int{504, 504, 504}, eventTries, "failed"},
		{"rejected as invalid: not tried again", []int{422}, 1, "failed"},
		{"namespace being deleted: not tried again", []int{403}, 1, "failed"},
		{"an earlier try wrote it after all", []int{504, 409}, 2, "written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(posts.Add(1)) - 1
				code := tc.answers[min(n, len(tc.answers)-1)]
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				switch code {
				case 201:
					_, _ = w.Write([]byte(created))
				case 409:
					_, _ = w.Write([]byte(status(code, metav1.StatusReasonAlreadyExists)))
				case 422:
					_, _ = w.Write([]byte(status(code, metav1.StatusReasonInvalid)))
				case 403:
					_, _ = w.Write([]byte(status(code, metav1.StatusReasonForbidden)))
				case 503:
					_, _ = w.Write([]byte(status(code, metav1.StatusReasonServiceUnavailable)))
				default:
					_, _ = w.Write([]byte(status(code, metav1.StatusReasonTimeout)))
				}
			}))
			defer srv.Close()
			m := NewMetrics(prometheus.NewRegistry())
			e, err := NewEvents(&rest.Config{Host: srv.URL}, nil, NewScheme(), m)
			if err != nil {
				t.Fatal(err)
			}
			e.retry = time.Millisecond
			ev := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "shop"}}
			e.write(context.Background(), logr.Discard(), ev)
			if got := int(posts.Load()); got != tc.posts {
				t.Errorf("%d POSTs, want %d", got, tc.posts)
			}
			for _, r := range []string{"written", "failed", "dropped"} {
				want := 0.0
				if r == tc.result {
					want = 1
				}
				if got := testutil.ToFloat64(m.EventsCounter(r)); got != want {
					t.Errorf("pledge_events_total{result=%q} = %v, want %v", r, got, want)
				}
			}
		})
	}
}
