package procs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// Notification is one webhook call received from Alertmanager.
type Notification struct {
	Path     string    // request path, e.g. /tier1: one path per receiver tells them apart
	Received time.Time // when the recorder got it
	Message
}

// Message is Alertmanager's webhook payload (version 4).
type Message struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"` // firing or resolved
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a webhook payload.
type WebhookAlert struct {
	Status       string            `json:"status"` // firing or resolved
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Webhook records every payload POSTed to it, on any path, on 127.0.0.1. It is safe for
// concurrent use.
type Webhook struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []Notification
	changed chan struct{} // closed and replaced on every notification
}

// StartWebhook starts a recorder; it is closed when the test ends, and on failure the test log
// shows everything it received.
func StartWebhook(t T) *Webhook {
	w := &Webhook{changed: make(chan struct{})}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(func() {
		w.srv.Close()
		if t.Failed() || testLogs() {
			t.Logf("webhook notifications:\n%s", w.Dump())
		}
	})
	return w
}

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	now := time.Now()
	b, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost {
		http.Error(rw, "POST a webhook payload", http.StatusBadRequest)
		return
	}
	n := Notification{Path: r.URL.Path, Received: now}
	if err := json.Unmarshal(b, &n.Message); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.got = append(w.got, n)
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
}

// URL is the recorder's address with path appended, e.g. URL("/tier1").
func (w *Webhook) URL(path string) string { return w.srv.URL + path }

// Received returns the notifications received so far, in order, on any of the paths (all
// notifications when no path is given).
func (w *Webhook) Received(paths ...string) []Notification {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Notification
	for _, n := range w.got {
		if len(paths) == 0 || slices.Contains(paths, n.Path) {
			out = append(out, n)
		}
	}
	return out
}

// WaitFor waits until pred accepts everything received so far and returns it; after timeout it
// fails the test with what was received.
func (w *Webhook) WaitFor(t T, pred func([]Notification) bool, timeout time.Duration) []Notification {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		got, changed := append([]Notification(nil), w.got...), w.changed
		w.mu.Unlock()
		if pred(got) {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("after %s the webhook had not received what was expected; received:\n%s", timeout, w.Dump())
		}
	}
}

// WaitForFirst waits for the first notification on path with the status ("firing",
// "resolved", or "" for either) and returns it.
func (w *Webhook) WaitForFirst(t T, path, status string, timeout time.Duration) Notification {
	t.Helper()
	var found Notification
	w.WaitFor(t, func(ns []Notification) bool {
		for _, n := range ns {
			if n.Path == path && (status == "" || n.Status == status) {
				found = n
				return true
			}
		}
		return false
	}, timeout)
	return found
}

// Dump describes everything received, one line per notification and alert.
func (w *Webhook) Dump() string {
	var b strings.Builder
	for _, n := range w.Received() {
		fmt.Fprintf(&b, "%s %s receiver=%s status=%s\n", n.Received.Format("15:04:05.000"), n.Path, n.Receiver, n.Status)
		for _, a := range n.Alerts {
			fmt.Fprintf(&b, "    %s startsAt=%s %v\n", a.Status, a.StartsAt.Format("15:04:05.000"), a.Labels)
		}
	}
	if b.Len() == 0 {
		return "(nothing)\n"
	}
	return b.String()
}
