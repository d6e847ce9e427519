package compliance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pledge-dev/pledge/internal/render"
)

// LoadedRuleGroups reads the names of the rule groups the query API shows loaded, with one
// request for every standard (GET /api/v1/rules). exclude_alerts=true leaves out the active
// alerts; servers that do not know the parameter ignore it. With a cluster label, only groups
// with a rule carrying it count: a rules API that lists several clusters' rules (Thanos Query)
// shows the same group names for each cluster.
func (p *PrometheusQuerier) LoadedRuleGroups(ctx context.Context, cluster render.ClusterLabel) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	u := p.client.URL("/api/v1/rules", nil)
	u.RawQuery = "exclude_alerts=true"
	groups, err := p.ruleGroups(ctx, u.String(), cluster)
	p.count(err)
	if err != nil {
		return nil, fmt.Errorf("reading the loaded rule groups (GET %s): %w", u.Path, err)
	}
	return groups, nil
}

// loadedRule is the part of a loaded rule that LoadedRuleGroups reads.
type loadedRule struct {
	Labels map[string]string `json:"labels"`
}

func (p *PrometheusQuerier) ruleGroups(ctx context.Context, u string, cluster render.ClusterLabel) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, body, err := p.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Groups []struct {
				Name  string       `json:"name"`
				Rules []loadedRule `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", resp.Status, err)
	}
	if resp.StatusCode/100 != 2 || out.Status != "success" {
		return nil, fmt.Errorf("%s: %s", resp.Status, out.Error)
	}
	groups := make(map[string]bool, len(out.Data.Groups))
	for _, g := range out.Data.Groups {
		if cluster.Name == "" || slices.ContainsFunc(g.Rules, func(r loadedRule) bool { return r.Labels[cluster.Name] == cluster.Value }) {
			groups[g.Name] = true
		}
	}
	return groups, nil
}

// AlertmanagerReader reads the receivers of Alertmanager's running configuration.
type AlertmanagerReader struct {
	url    string
	client *http.Client
}

// NewAlertmanagerReader reads from the Alertmanager at url (its API root, e.g.
// http://alertmanager:9093), each request bounded by timeout.
func NewAlertmanagerReader(url string, timeout time.Duration) *AlertmanagerReader {
	return &AlertmanagerReader{url: strings.TrimSuffix(url, "/"), client: &http.Client{Timeout: timeout}}
}

// Receivers returns the receiver names of the running configuration (GET /api/v2/status,
// config.original), one request for every standard. Only the names are decoded: the running
// configuration shows secrets as <secret>, which Alertmanager's own loader would refuse.
func (a *AlertmanagerReader) Receivers(ctx context.Context) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/api/v2/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading Alertmanager's configuration: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading Alertmanager's configuration: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("reading Alertmanager's configuration (GET /api/v2/status): %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var status struct {
		Config struct {
			Original string `json:"original"`
		} `json:"config"`
	}
	if err := json.Unmarshal(body, &status); err != nil {
		return nil, fmt.Errorf("decoding Alertmanager's status: %w", err)
	}
	var cfg struct {
		Receivers []struct {
			Name string `yaml:"name"`
		} `yaml:"receivers"`
	}
	if err := yaml.Unmarshal([]byte(status.Config.Original), &cfg); err != nil {
		return nil, fmt.Errorf("decoding Alertmanager's running configuration: %w", err)
	}
	names := make(map[string]bool, len(cfg.Receivers))
	for _, r := range cfg.Receivers {
		names[r.Name] = true
	}
	return names, nil
}
