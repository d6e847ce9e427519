// Package board serves Pledge's read-only web board: an overview of every ServiceStandard's
// standing, read from the manager's cache, and a page per standard with its objectives, its
// error budget over the window (one Prometheus range query), burn rates against the alert
// thresholds, the escalation tiers, the closed calendar periods and the recent events.
//
// Pages are rendered on the server with html/template, charts as inline SVG; the stylesheet is
// embedded. Nothing on the board writes: it needs get/list/watch only.
package board

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pages = template.Must(template.New("board").Funcs(template.FuncMap{
	"stateClass":  stateClass,
	"statusClass": statusClass,
	"sub":         func(a, b float64) float64 { return a - b },
	"cond":        func(t, s string) conditionRow { return conditionRow{Type: t, Status: s} },
}).ParseFS(templateFS, "templates/*.html"))

// Options tune the board.
type Options struct {
	// Events reads the events.k8s.io Events of a standard. The manager's cache does not hold
	// Events, so the manager passes its uncached API reader; the board's reader when nil.
	Events client.Reader
	// Cluster is matched by the range queries, as by every compliance query
	// (pledge manager --cluster-label).
	Cluster render.ClusterLabel
	// QueryTimeout bounds the range query of a standard's page; default 20s.
	QueryTimeout time.Duration
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
}

// Board is the board's HTTP handler.
type Board struct {
	reader client.Reader
	q      compliance.Querier
	o      Options
	mux    *http.ServeMux
}

// New returns the board's handler. reader reads ServiceStandards and EscalationPolicies (the
// manager's cache); q is the query API, or nil when the manager has no --prometheus-url (the
// pages then show no data instead of charts).
func New(reader client.Reader, q compliance.Querier, o Options) http.Handler {
	if o.Events == nil {
		o.Events = reader
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 20 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &Board{reader: reader, q: q, o: o, mux: http.NewServeMux()}
	static, _ := fs.Sub(staticFS, "static")
	b.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	b.mux.HandleFunc("GET /{$}", b.overview)
	b.mux.HandleFunc("GET /standards/{namespace}/{name}", b.standard)
	return b
}

// ServeHTTP serves the pages with headers that keep them self-contained.
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	b.mux.ServeHTTP(w, r)
}

// execute renders a page; a template error after the first byte can only be logged.
func (b *Board) execute(ctx context.Context, w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		logf.FromContext(ctx).WithName("board").Error(err, "Rendering page", "page", name)
	}
}

// fail writes an error page with status code.
func (b *Board) fail(ctx context.Context, w http.ResponseWriter, code int, title, detail string) {
	w.WriteHeader(code)
	b.execute(ctx, w, "error.html", struct{ Title, Detail string }{title, detail})
}
