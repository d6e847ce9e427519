package procs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AlertmanagerOptions configure StartAlertmanager. Every field is optional.
type AlertmanagerOptions struct {
	// Binary is the alertmanager binary; default $ALERTMANAGER (see Tool).
	Binary string
	// Amtool is the amtool binary used for silences; default $AMTOOL when set. Without it,
	// silences go straight to the API.
	Amtool string
	// Config is alertmanager.yml; default a single receiver without notifications.
	Config string
	// StorageDir is --storage.path; default a new t.TempDir().
	StorageDir string
	// ExtraFlags are appended to the command line (for example "--log.level=debug").
	ExtraFlags []string
	// ReadyTimeout bounds the wait for /-/ready; default DefaultReadyTimeout (30s).
	ReadyTimeout time.Duration
}

// Alertmanager is a running Alertmanager on 127.0.0.1, without clustering.
type Alertmanager struct {
	t          T
	proc       *process
	port       int
	configPath string
	amtool     string
	timeout    time.Duration
}

const defaultAlertmanagerConfig = "route:\n  receiver: none\nreceivers:\n  - name: none\n"

// StartAlertmanager starts Alertmanager with the options and waits until it is ready.
func StartAlertmanager(t T, opts AlertmanagerOptions) *Alertmanager {
	t.Helper()
	if opts.Binary == "" {
		opts.Binary = Tool(t, "ALERTMANAGER")
	}
	if opts.Amtool == "" {
		opts.Amtool = os.Getenv("AMTOOL")
	}
	if opts.Config == "" {
		opts.Config = defaultAlertmanagerConfig
	}
	if opts.StorageDir == "" {
		opts.StorageDir = t.TempDir()
	}
	a := &Alertmanager{t: t, port: mustFreePort(t), configPath: filepath.Join(t.TempDir(), "alertmanager.yml"),
		amtool: opts.Amtool, timeout: opts.ReadyTimeout}
	a.WriteConfig(opts.Config)
	args := []string{
		"--config.file=" + a.configPath,
		"--storage.path=" + opts.StorageDir,
		"--web.listen-address=" + a.Addr(),
		"--cluster.listen-address=",
	}
	args = append(args, opts.ExtraFlags...)
	a.proc = newProcess(t, "alertmanager", opts.Binary, args, a.URL()+"/-/ready")
	a.proc.start(a.timeout)
	return a
}

// URL is the base URL, http://127.0.0.1:<port>.
func (a *Alertmanager) URL() string { return "http://" + a.Addr() }

// Addr is 127.0.0.1:<port>.
func (a *Alertmanager) Addr() string { return "127.0.0.1:" + strconv.Itoa(a.port) }

// ConfigPath is the alertmanager.yml in use (for amtool config routes test, for example).
func (a *Alertmanager) ConfigPath() string { return a.configPath }

// WriteConfig replaces alertmanager.yml; call Reload to apply it.
func (a *Alertmanager) WriteConfig(yml string) {
	a.t.Helper()
	if err := os.WriteFile(a.configPath, []byte(yml), 0o644); err != nil {
		a.t.Fatal(err)
	}
}

// Reload makes Alertmanager re-read its configuration (POST /-/reload).
func (a *Alertmanager) Reload() {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := PostOK(ctx, a.URL()+"/-/reload"); err != nil {
		a.t.Fatalf("alertmanager reload: %v", err)
	}
}

// Stop terminates Alertmanager.
func (a *Alertmanager) Stop() { a.proc.stop() }

// Restart stops Alertmanager and starts it again with the same port, storage and configuration.
func (a *Alertmanager) Restart() {
	a.t.Helper()
	a.proc.stop()
	a.proc.start(a.timeout)
}

// Alert is an alert as Alertmanager's API v2 shows it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Fingerprint string            `json:"fingerprint"`
	Receivers   []struct {
		Name string `json:"name"`
	} `json:"receivers"`
	Status struct {
		State       string   `json:"state"` // active, suppressed, unprocessed
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
		MutedBy     []string `json:"mutedBy"`
	} `json:"status"`
}

// Alerts lists the alerts Alertmanager holds (silenced and inhibited included) that match
// every matcher ("name=value", "name=~regex", …).
func (a *Alertmanager) Alerts(ctx context.Context, matchers ...string) ([]Alert, error) {
	q := url.Values{}
	for _, m := range matchers {
		q.Add("filter", m)
	}
	var alerts []Alert
	err := a.do(ctx, http.MethodGet, "/api/v2/alerts?"+q.Encode(), nil, &alerts)
	return alerts, err
}

// WaitForAlerts polls Alerts until ok accepts them; it fails the test after timeout.
func (a *Alertmanager) WaitForAlerts(t T, ok func([]Alert) bool, timeout time.Duration, matchers ...string) []Alert {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		alerts, err := a.Alerts(ctx, matchers...)
		cancel()
		if err == nil && ok(alerts) {
			return alerts
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(alerts, "", "  ")
			t.Fatalf("after %s, alertmanager alerts %v: error %v\n%s", timeout, matchers, err, b)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Silence is a silence to add.
type Silence struct {
	// Matchers such as "service_standard=checkout" or "objective=~avail.*".
	Matchers []string
	Duration time.Duration // default 1h
	Comment  string        // default "pledge test"
	Author   string        // default "pledge-test"
}

// AddSilence adds a silence and returns its ID. It runs the real
// `amtool silence add --alertmanager.url=…` when amtool is known (AlertmanagerOptions.Amtool or
// $AMTOOL), as docs/escalation.md tells users to, and uses the API otherwise.
func (a *Alertmanager) AddSilence(t T, s Silence) string {
	t.Helper()
	if a.amtool == "" {
		return a.AddSilenceAPI(t, s)
	}
	s = s.withDefaults()
	args := []string{"silence", "add", "--alertmanager.url=" + a.URL(),
		"--author=" + s.Author, "--comment=" + s.Comment, "--duration=" + s.Duration.String()}
	out := a.runAmtool(t, append(args, s.Matchers...)...)
	id := strings.TrimSpace(out)
	if id == "" || strings.ContainsAny(id, " \n") {
		t.Fatalf("amtool silence add: unexpected output %q", out)
	}
	return id
}

// ExpireSilence expires a silence: `amtool silence expire` when amtool is known, the API
// otherwise.
func (a *Alertmanager) ExpireSilence(t T, id string) {
	t.Helper()
	if a.amtool == "" {
		a.ExpireSilenceAPI(t, id)
		return
	}
	a.runAmtool(t, "silence", "expire", "--alertmanager.url="+a.URL(), id)
}

// Amtool runs amtool against this Alertmanager (--alertmanager.url is added) and returns its
// standard output; a non-zero exit fails the test.
func (a *Alertmanager) Amtool(t T, args ...string) string {
	t.Helper()
	if a.amtool == "" {
		a.amtool = Tool(t, "AMTOOL")
	}
	if len(args) == 0 {
		t.Fatal("amtool: no command")
	}
	return a.runAmtool(t, append(args, "--alertmanager.url="+a.URL())...)
}

func (a *Alertmanager) runAmtool(t T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.amtool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("amtool %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// AddSilenceAPI adds a silence with POST /api/v2/silences and returns its ID.
func (a *Alertmanager) AddSilenceAPI(t T, s Silence) string {
	t.Helper()
	s = s.withDefaults()
	type matcher struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual bool   `json:"isEqual"`
	}
	body := struct {
		Matchers  []matcher `json:"matchers"`
		StartsAt  time.Time `json:"startsAt"`
		EndsAt    time.Time `json:"endsAt"`
		CreatedBy string    `json:"createdBy"`
		Comment   string    `json:"comment"`
	}{StartsAt: time.Now(), EndsAt: time.Now().Add(s.Duration), CreatedBy: s.Author, Comment: s.Comment}
	for _, m := range s.Matchers {
		sm := matcherRE.FindStringSubmatch(m)
		if sm == nil {
			t.Fatalf("silence matcher %q: want name=value, name!=value, name=~regex or name!~regex", m)
		}
		body.Matchers = append(body.Matchers, matcher{Name: sm[1], Value: strings.Trim(sm[3], `"`),
			IsRegex: strings.HasSuffix(sm[2], "~"), IsEqual: !strings.HasPrefix(sm[2], "!")})
	}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.do(ctx, http.MethodPost, "/api/v2/silences", body, &out); err != nil {
		t.Fatalf("add silence: %v", err)
	}
	return out.SilenceID
}

// ExpireSilenceAPI expires a silence with DELETE /api/v2/silence/{id}.
func (a *Alertmanager) ExpireSilenceAPI(t T, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.do(ctx, http.MethodDelete, "/api/v2/silence/"+url.PathEscape(id), nil, nil); err != nil {
		t.Fatalf("expire silence %s: %v", id, err)
	}
}

var matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$`)

func (s Silence) withDefaults() Silence {
	if s.Duration <= 0 {
		s.Duration = time.Hour
	}
	if s.Comment == "" {
		s.Comment = "pledge test"
	}
	if s.Author == "" {
		s.Author = "pledge-test"
	}
	return s
}

func (a *Alertmanager) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL()+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return nil
}

// PostableAlert is an alert to send to Alertmanager as Prometheus would.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// PostAlerts sends alerts with POST /api/v2/alerts, bypassing Prometheus.
func (a *Alertmanager) PostAlerts(ctx context.Context, alerts ...PostableAlert) error {
	return a.do(ctx, http.MethodPost, "/api/v2/alerts", alerts, nil)
}
