package procs

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// queryAPI is the Prometheus query API of a server that serves it: Prometheus or Thanos Query.
type queryAPI struct {
	api promv1.API
}

func newQueryAPI(t T, url string) queryAPI {
	t.Helper()
	client, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		t.Fatal(err)
	}
	return queryAPI{api: promv1.NewAPI(client)}
}

// API is the Prometheus HTTP API client (github.com/prometheus/client_golang/api/prometheus/v1).
func (q queryAPI) API() promv1.API { return q.api }

// Query evaluates an instant query now and returns its vector. Scalars are returned as a
// vector of one sample without labels; other result types are an error.
func (q queryAPI) Query(ctx context.Context, query string) (model.Vector, error) {
	return q.QueryAt(ctx, query, time.Now())
}

// QueryAt evaluates an instant query at ts.
func (q queryAPI) QueryAt(ctx context.Context, query string, ts time.Time) (model.Vector, error) {
	v, _, _, err := q.api.Query(ctx, query, ts)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", query, err)
	}
	switch v := v.(type) {
	case model.Vector:
		return v, nil
	case *model.Scalar:
		return model.Vector{{Metric: model.Metric{}, Value: v.Value, Timestamp: v.Timestamp}}, nil
	default:
		return nil, fmt.Errorf("query %q: got a %s, want a vector", query, v.Type())
	}
}

// WaitForQuery polls query every 250ms until ok accepts its result, and returns that result.
// It fails the test after timeout, showing the last result or error.
func (q queryAPI) WaitForQuery(t T, query string, ok func(model.Vector) bool, timeout time.Duration) model.Vector {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last model.Vector
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := q.Query(ctx, query)
		cancel()
		if err == nil && ok(v) {
			return v
		}
		last, lastErr = v, err
		if time.Now().After(deadline) {
			t.Fatalf("after %s, query %q: result %v, error %v", timeout, query, last, lastErr)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// NonEmpty accepts a result with at least one sample (for WaitForQuery).
func NonEmpty(v model.Vector) bool { return len(v) > 0 }
