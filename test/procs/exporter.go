package procs

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Exporter serves /metrics in the Prometheus text format with series the test controls.
// Counters can grow continuously at a rate (SetRate), so that every scrape sees the traffic
// of the time since the last one without a goroutine ticking.
type Exporter struct {
	srv    *httptest.Server
	mu     sync.Mutex
	types  map[string]string // metric name -> counter / gauge
	series map[string]*Series
}

// Series is one exposed series. Its value is base + rate × (now − since).
type Series struct {
	e      *Exporter
	name   string
	labels [][2]string
	base   float64
	rate   float64 // per second
	since  time.Time
}

// StartExporter starts an exporter on 127.0.0.1; it is closed when the test ends.
func StartExporter(t T) *Exporter {
	e := &Exporter{types: map[string]string{}, series: map[string]*Series{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", e.serve)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// URL is the exporter's base URL; metrics are at URL()+"/metrics".
func (e *Exporter) URL() string { return e.srv.URL }

// Target is host:port, for a scrape configuration's targets.
func (e *Exporter) Target() string { return strings.TrimPrefix(e.srv.URL, "http://") }

// Counter returns the counter series name{labels}, creating it at 0. labels are name, value
// pairs: Counter("http_requests_total", "code", "500").
func (e *Exporter) Counter(name string, labels ...string) *Series {
	return e.get("counter", name, labels)
}

// Gauge returns the gauge series name{labels}, creating it at 0.
func (e *Exporter) Gauge(name string, labels ...string) *Series {
	return e.get("gauge", name, labels)
}

func (e *Exporter) get(typ, name string, labels []string) *Series {
	if len(labels)%2 != 0 {
		panic("procs: labels must be name, value pairs")
	}
	s := &Series{e: e, name: name, since: time.Now()}
	for i := 0; i < len(labels); i += 2 {
		s.labels = append(s.labels, [2]string{labels[i], labels[i+1]})
	}
	slices.SortFunc(s.labels, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	key := s.key()
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.types[name]; ok && t != typ {
		panic(fmt.Sprintf("procs: %s is a %s, not a %s", name, t, typ))
	}
	e.types[name] = typ
	if old, ok := e.series[key]; ok {
		return old
	}
	e.series[key] = s
	return s
}

func (s *Series) key() string {
	var b strings.Builder
	b.WriteString(s.name)
	if len(s.labels) > 0 {
		b.WriteByte('{')
		for i, l := range s.labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l[0] + `="` + labelEscaper.Replace(l[1]) + `"`)
		}
		b.WriteByte('}')
	}
	return b.String()
}

// valueAt is base + rate × elapsed; callers hold e.mu.
func (s *Series) valueAt(now time.Time) float64 {
	return s.base + s.rate*now.Sub(s.since).Seconds()
}

// Set sets the value (and keeps the rate).
func (s *Series) Set(v float64) *Series {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	s.base, s.since = v, time.Now()
	return s
}

// Add adds delta to the value.
func (s *Series) Add(delta float64) *Series {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	now := time.Now()
	s.base, s.since = s.valueAt(now)+delta, now
	return s
}

// SetRate makes the value grow by perSecond every second from now on (0 stops it).
func (s *Series) SetRate(perSecond float64) *Series {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	now := time.Now()
	s.base, s.since, s.rate = s.valueAt(now), now, perSecond
	return s
}

// Value is the current value.
func (s *Series) Value() float64 {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	return s.valueAt(time.Now())
}

// Delete stops exposing the series (Prometheus marks it stale at the next scrape).
func (s *Series) Delete() {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	delete(s.e.series, s.key())
}

func (e *Exporter) serve(w http.ResponseWriter, _ *http.Request) {
	now := time.Now()
	e.mu.Lock()
	byName := map[string][]*Series{}
	for _, s := range e.series {
		byName[s.name] = append(byName[s.name], s)
	}
	var b strings.Builder
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "# TYPE %s %s\n", n, e.types[n])
		list := byName[n]
		slices.SortFunc(list, func(a, b *Series) int { return strings.Compare(a.key(), b.key()) })
		for _, s := range list {
			fmt.Fprintf(&b, "%s %s\n", s.key(), formatValue(s.valueAt(now)))
		}
	}
	e.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// labelEscaper escapes label values as the text format wants.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
