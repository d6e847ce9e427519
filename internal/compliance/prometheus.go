package compliance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
)

// PrometheusOptions locate and authenticate the query API of Prometheus, Thanos Querier or Mimir.
type PrometheusOptions struct {
	// URL of the API root, e.g. http://prometheus:9090 or http://mimir/prometheus.
	URL string
	// BearerTokenFile is read on every request, so rotated tokens are picked up.
	BearerTokenFile string
	// CAFile verifies the server's certificate.
	CAFile string
	// Timeout bounds each query.
	Timeout time.Duration
	// Headers are added to every request (e.g. X-Scope-OrgID for Mimir tenants).
	Headers map[string]string
}

// PrometheusQuerier queries the HTTP API and counts its queries.
type PrometheusQuerier struct {
	api     promv1.API
	client  api.Client
	timeout time.Duration
	queries *prometheus.CounterVec
}

// NewPrometheusQuerier builds a querier; queries may be nil.
func NewPrometheusQuerier(o PrometheusOptions, queries *prometheus.CounterVec) (*PrometheusQuerier, error) {
	if o.URL == "" {
		return nil, errors.New("no Prometheus URL")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificates in %s", o.CAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	client, err := api.NewClient(api.Config{Address: o.URL, RoundTripper: &authTransport{next: transport, tokenFile: o.BearerTokenFile, headers: o.Headers}})
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return &PrometheusQuerier{api: promv1.NewAPI(client), client: client, timeout: o.Timeout, queries: queries}, nil
}

// Query runs an instant query and returns its vector.
func (p *PrometheusQuerier) Query(ctx context.Context, query string, ts time.Time) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v, _, _, err := p.api.Query(ctx, query, ts)
	p.count(err)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", query, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %q returned %s, not a vector", query, v.Type())
	}
	return vec, nil
}

// QueryRange runs a range query and returns its matrix.
func (p *PrometheusQuerier) QueryRange(ctx context.Context, query string, r promv1.Range) (model.Matrix, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v, _, _, err := p.api.QueryRange(ctx, query, r)
	p.count(err)
	if err != nil {
		return nil, fmt.Errorf("range query %q (%s to %s, step %s): %w", query,
			r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339), r.Step, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query %q returned %s, not a matrix", query, v.Type())
	}
	return m, nil
}

func (p *PrometheusQuerier) count(err error) {
	if p.queries == nil {
		return
	}
	result := "success"
	if err != nil {
		result = "error"
	}
	p.queries.WithLabelValues(result).Inc()
}

// authTransport adds the bearer token (read from its file on each request) and headers.
type authTransport struct {
	next      http.RoundTripper
	tokenFile string
	headers   map[string]string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.tokenFile == "" && len(t.headers) == 0 {
		return t.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	if t.tokenFile != "" {
		b, err := os.ReadFile(t.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading bearer token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(b)))
	}
	return t.next.RoundTrip(req)
}

// CountingQuerier counts the queries of another querier; for tests and benchmarks.
type CountingQuerier struct {
	Querier
	N int
}

// Query counts and forwards.
func (c *CountingQuerier) Query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	c.N++
	return c.Querier.Query(ctx, q, ts)
}

// QueryRange counts and forwards.
func (c *CountingQuerier) QueryRange(ctx context.Context, q string, r promv1.Range) (model.Matrix, error) {
	c.N++
	return c.Querier.QueryRange(ctx, q, r)
}
