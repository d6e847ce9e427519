package render

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// MergeAlertmanagerConfig merges the routing of standards into a platform team's own Alertmanager
// configuration (base). Each fragment is one standard's plain configuration, as AlertmanagerFile
// renders it for that standard alone. The merged configuration keeps everything of base and adds,
// per fragment: its standard's route, first among the top route's children (Pledge's routes
// match only Pledge's alerts, so they never take alerts from the platform's routes), its
// receivers, inhibit rules and time intervals, and the global e-mail sender when base has none.
// A receiver or time interval name that base already uses is an error naming it: nothing is
// renamed silently. An empty base is a top route to a receiver without notifications.
func MergeAlertmanagerConfig(base []byte, fragments [][]byte) ([]byte, error) {
	cfg := map[string]any{}
	if err := yaml.Unmarshal(base, &cfg); err != nil {
		return nil, fmt.Errorf("base configuration: %w", err)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	if len(cfg) == 0 {
		cfg["route"] = map[string]any{"receiver": DefaultReceiver}
		cfg["receivers"] = []any{map[string]any{"name": DefaultReceiver}}
	}
	route, ok := cfg["route"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("base configuration: it has no top-level route")
	}
	if r, _ := route["receiver"].(string); r == "" {
		return nil, fmt.Errorf("base configuration: the top-level route names no receiver")
	}
	names := map[string]string{}
	for _, list := range []string{"receivers", "time_intervals", "mute_time_intervals"} {
		for _, item := range asList(cfg[list]) {
			if n, _ := asMap(item)["name"].(string); n != "" {
				names[n] = "the base configuration"
			}
		}
	}
	var routes, receivers, inhibit, intervals []any
	for i, f := range fragments {
		frag := map[string]any{}
		if err := yaml.Unmarshal(f, &frag); err != nil {
			return nil, fmt.Errorf("fragment %d: %w", i, err)
		}
		routes = append(routes, asList(asMap(frag["route"])["routes"])...)
		for _, list := range []string{"receivers", "time_intervals"} {
			for _, item := range asList(frag[list]) {
				n, _ := asMap(item)["name"].(string)
				if n == DefaultReceiver && list == "receivers" {
					continue
				}
				if prev, dup := names[n]; dup {
					return nil, fmt.Errorf("%s name %q of a standard is already used by %s", list[:len(list)-1], n, prev)
				}
				names[n] = "another standard"
				if list == "receivers" {
					receivers = append(receivers, item)
				} else {
					intervals = append(intervals, item)
				}
			}
		}
		inhibit = append(inhibit, asList(frag["inhibit_rules"])...)
		if g := asMap(frag["global"]); len(g) > 0 {
			global := asMap(cfg["global"])
			if global == nil {
				global = map[string]any{}
			}
			if _, set := global["smtp_smarthost"]; !set {
				global["smtp_smarthost"], global["smtp_from"] = g["smtp_smarthost"], g["smtp_from"]
				cfg["global"] = global
			}
		}
	}
	if len(routes) > 0 {
		route["routes"] = slices.Concat(routes, asList(route["routes"]))
	}
	appendTo(cfg, "receivers", receivers)
	appendTo(cfg, "inhibit_rules", inhibit)
	appendTo(cfg, "time_intervals", intervals)
	return encodeYAML(cfg)
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func asList(v any) []any { l, _ := v.([]any); return l }

func appendTo(cfg map[string]any, key string, items []any) {
	if len(items) > 0 {
		cfg[key] = append(asList(cfg[key]), items...)
	}
}
