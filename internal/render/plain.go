package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/pledge-dev/pledge/internal/parallel"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// SecretsDir is where the plain Alertmanager format expects referenced secrets, one file per
// key: <SecretsDir>/<namespace>/<secret name>/<key>, the namespace being the standard's (or
// policy's). Resolve accepts only Kubernetes Secret names and keys, so a path never leaves its
// directory and two namespaces' secrets of the same name never share a file.
const SecretsDir = "/etc/alertmanager/secrets"

// RulesFile renders the standards as one plain Prometheus rule file (groups:), in Prometheus's
// own rule-file types.
func RulesFile(standards []*Standard) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteRulesFile(&buf, standards); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteRulesFile writes the rule file of RulesFile one standard at a time, so that memory does
// not grow with the number of standards: each standard's groups are encoded and written before
// the next standard is rendered.
func WriteRulesFile(w io.Writer, standards []*Standard) error {
	if err := distinct(standards); err != nil {
		return err
	}
	// Standards are rendered side by side and written in order: memory holds a few
	// standards' text at a time.
	started := false
	err := parallel.Ordered(len(standards), func(i int) ([]byte, error) {
		return standardRulesYAML(nil, standards[i])
	}, func(_ int, b []byte) error {
		if len(b) == 0 {
			return nil
		}
		// Each standard's document is "groups:" and its items; the file is one "groups:" and
		// every standard's items.
		if started {
			b = bytes.TrimPrefix(b, []byte(groupsKey))
		}
		started = true
		_, err := w.Write(b)
		return err
	})
	if err != nil || started {
		return err
	}
	_, err = io.WriteString(w, "groups: []\n")
	return err
}

const groupsKey = "groups:\n"

// standardRulesYAML appends the standard's rule groups as one rule-file document
// ("groups:" and its items) to buf; nothing for a standard without rules.
func standardRulesYAML(buf []byte, s *Standard) ([]byte, error) {
	f := ruleFileGroups(s)
	if len(f.Groups) == 0 {
		return buf, nil
	}
	if b, ok := appendRuleGroupsYAML(buf, f); ok {
		return b, nil
	}
	b, err := encodeYAML(f)
	return append(buf, b...), err
}

// ruleFileGroups is the standard's rule groups in Prometheus's rule-file types.
func ruleFileGroups(s *Standard) rulefmt.RuleGroups {
	f := rulefmt.RuleGroups{}
	for _, g := range s.RuleGroups() {
		pg := rulefmt.RuleGroup{Name: g.Name, Interval: model.Duration(g.Interval), Rules: make([]rulefmt.Rule, 0, len(g.Rules))}
		for _, r := range g.Rules {
			pg.Rules = append(pg.Rules, rulefmt.Rule{Record: r.Record, Alert: r.Alert, Expr: r.Expr, Labels: r.Labels, Annotations: r.Annotations,
				For: model.Duration(r.For), KeepFiringFor: model.Duration(r.KeepFiringFor)})
		}
		f.Groups = append(f.Groups, pg)
	}
	return f
}

type plainAM struct {
	Global        map[string]string   `yaml:"global,omitempty"`
	Route         plainRoute          `yaml:"route"`
	Receivers     []map[string]any    `yaml:"receivers"`
	InhibitRules  []plainInhibit      `yaml:"inhibit_rules,omitempty"`
	TimeIntervals []plainTimeInterval `yaml:"time_intervals,omitempty"`
}

type plainRoute struct {
	Receiver            string       `yaml:"receiver,omitempty"`
	GroupBy             []string     `yaml:"group_by,omitempty"`
	Matchers            []string     `yaml:"matchers,omitempty"`
	Continue            bool         `yaml:"continue,omitempty"`
	RepeatInterval      string       `yaml:"repeat_interval,omitempty"`
	ActiveTimeIntervals []string     `yaml:"active_time_intervals,omitempty"`
	Routes              []plainRoute `yaml:"routes,omitempty"`
}

type plainInhibit struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal"`
}

type plainTimeInterval struct {
	Name          string           `yaml:"name"`
	TimeIntervals []map[string]any `yaml:"time_intervals"`
}

// DefaultReceiver is the receiver of the plain configuration's top route, for alerts that are
// not Pledge's. It has no notification configs; merge the routes into your own configuration.
const DefaultReceiver = "pledge-default"

// SMTP is the global e-mail sender of the plain Alertmanager configuration. Alertmanager
// refuses e-mail receivers that name neither their own smarthost and sender nor global ones.
type SMTP struct {
	Smarthost string // host:port
	From      string
}

// DefaultSMTP is used when e-mail receivers need a global sender and none was given.
var DefaultSMTP = SMTP{Smarthost: "localhost:25", From: "alertmanager@localhost"}

// NeedsGlobalSMTP reports whether an e-mail receiver of the standards lacks its own smarthost
// or sender, so that the plain configuration needs global ones.
func NeedsGlobalSMTP(standards []*Standard) bool {
	for _, s := range standards {
		r := s.Routing()
		if r == nil {
			continue
		}
		for _, rc := range r.Receivers {
			for _, e := range rc.EmailConfigs {
				if e.Smarthost == nil || *e.Smarthost == "" || e.From == nil || *e.From == "" {
					return true
				}
			}
		}
	}
	return false
}

// AlertmanagerFile renders the standards' routing as one plain Alertmanager configuration:
// a top route with one subtree per standard, the receivers, time intervals and inhibitions.
// Receivers and time intervals are named <namespace>/<standard>/<name> (ReceiverName), so that
// standards cannot collide.
// smtp (DefaultSMTP when empty) becomes the global e-mail sender when a receiver needs one.
func AlertmanagerFile(standards []*Standard, smtp SMTP) ([]byte, error) {
	if err := distinct(standards); err != nil {
		return nil, err
	}
	cfg := plainAM{
		Route:     plainRoute{Receiver: DefaultReceiver, GroupBy: []string{LabelNamespace, LabelStandard, LabelObjective}},
		Receivers: []map[string]any{{"name": DefaultReceiver}},
	}
	for _, s := range standards {
		r := s.Routing()
		if r == nil {
			continue
		}
		rename := func(n string) string { return s.ReceiverName(n) }
		cfg.Route.Routes = append(cfg.Route.Routes, plainRouteOf(r.Route, rename))
		cfg.Route.Routes[len(cfg.Route.Routes)-1].GroupBy = r.GroupBy
		for _, rc := range r.Receivers {
			pr, err := plainReceiver(rc, s.Namespace)
			if err != nil {
				return nil, fmt.Errorf("standard %s/%s: %w", s.Namespace, s.Name, err)
			}
			cfg.Receivers = append(cfg.Receivers, pr)
		}
		cfg.InhibitRules = append(cfg.InhibitRules, plainInhibit{
			SourceMatchers: matcherStrings(r.Inhibit.Source),
			TargetMatchers: matcherStrings(r.Inhibit.Target),
			Equal:          r.Inhibit.Equal,
		})
		for _, ti := range r.TimeIntervals {
			cfg.TimeIntervals = append(cfg.TimeIntervals, plainTimeIntervalOf(ti, rename(ti.Name)))
		}
	}
	if NeedsGlobalSMTP(standards) {
		if smtp.Smarthost == "" {
			smtp.Smarthost = DefaultSMTP.Smarthost
		}
		if smtp.From == "" {
			smtp.From = DefaultSMTP.From
		}
		cfg.Global = map[string]string{"smtp_smarthost": smtp.Smarthost, "smtp_from": smtp.From}
	}
	return encodeYAML(cfg)
}

// distinct refuses a standard given twice: its rule groups, receivers and time intervals
// would collide in one file.
func distinct(standards []*Standard) error {
	seen := make(map[string]bool, len(standards))
	for _, s := range standards {
		key := s.Namespace + "/" + s.Name
		if seen[key] {
			return fmt.Errorf("standard %s is given more than once", key)
		}
		seen[key] = true
	}
	return nil
}

// encodeYAML writes YAML with two-space indentation. The plain formats are encoded directly
// rather than through JSON: for thousands of objectives the JSON round trip took most of the time.
func encodeYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func plainRouteOf(r Route, rename func(string) string) plainRoute {
	out := plainRoute{Receiver: r.Receiver, Matchers: matcherStrings(r.Matchers), Continue: r.Continue}
	if r.RepeatInterval > 0 {
		out.RepeatInterval = promDuration(r.RepeatInterval)
	}
	for _, n := range r.ActiveTimeIntervals {
		out.ActiveTimeIntervals = append(out.ActiveTimeIntervals, rename(n))
	}
	for _, c := range r.Routes {
		out.Routes = append(out.Routes, plainRouteOf(c, rename))
	}
	return out
}

func plainTimeIntervalOf(ti monitoringv1alpha1.MuteTimeInterval, name string) plainTimeInterval {
	out := plainTimeInterval{Name: name, TimeIntervals: []map[string]any{}}
	for _, t := range ti.TimeIntervals {
		m := map[string]any{}
		if len(t.Times) > 0 {
			var times []map[string]string
			for _, tr := range t.Times {
				times = append(times, map[string]string{"start_time": string(tr.StartTime), "end_time": string(tr.EndTime)})
			}
			m["times"] = times
		}
		if len(t.Weekdays) > 0 {
			m["weekdays"] = t.Weekdays
		}
		if len(t.DaysOfMonth) > 0 {
			var days []string
			for _, d := range t.DaysOfMonth {
				days = append(days, fmt.Sprintf("%d:%d", d.Start, d.End))
			}
			m["days_of_month"] = days
		}
		if len(t.Months) > 0 {
			m["months"] = t.Months
		}
		if len(t.Years) > 0 {
			m["years"] = t.Years
		}
		out.TimeIntervals = append(out.TimeIntervals, m)
	}
	return out
}

// plainKinds are the receiver kinds of prometheus-operator's AlertmanagerConfig, by their list
// key, and what differs in Alertmanager's own format beyond camelCase becoming snake_case.
var plainKinds = map[string]plainKind{
	"webhookConfigs": {renames: map[string]string{"urlSecret": "url"}},
	"emailConfigs":   {maps: []string{"headers"}},
	"slackConfigs":   {},
	"pagerdutyConfigs": {renames: map[string]string{"pagerDutyImageConfigs": "images", "pagerDutyLinkConfigs": "links"}, maps: []string{"details"},
		nested: map[string]map[string]string{"pagerDutyLinkConfigs": {"alt": "text"}}},
	"opsgenieConfigs": {maps: []string{"details"}},
	"discordConfigs":  {renames: map[string]string{"apiURL": "webhook_url"}},
	// Alertmanager reads the WeChat API secret only inline, which a rendered file cannot hold.
	"wechatConfigs":     {unsupported: []string{"apiSecret"}},
	"victoropsConfigs":  {maps: []string{"customFields"}},
	"pushoverConfigs":   {},
	"snsConfigs":        {unsupported: []string{"useAWSHTTPClient"}},
	"telegramConfigs":   {},
	"webexConfigs":      {},
	"msteamsConfigs":    {},
	"msteamsv2Configs":  {},
	"rocketchatConfigs": {},
}

// plainKind is how one kind of receiver config differs from a plain camelCase-to-snake_case
// conversion.
type plainKind struct {
	renames     map[string]string // camelCase field -> Alertmanager's name (before a secret's _file)
	maps        []string          // lists of {key, value} in the CRD, maps in Alertmanager
	unsupported []string          // fields with no plain equivalent
	// nested renames keys within a field's objects where Alertmanager names them otherwise.
	nested map[string]map[string]string
}

// plainReceiver converts a receiver to Alertmanager's configuration format: every kind of
// receiver prometheus-operator knows, each field by its snake_case name; a secret reference
// becomes the field's *_file path under SecretsDir/namespace. A field the plain format cannot
// carry (httpConfig, whose secrets and TLS files have no generic mapping) is an error rather
// than being dropped; use the prometheus-operator target for it.
func plainReceiver(r monitoringv1alpha1.Receiver, namespace string) (map[string]any, error) {
	out := map[string]any{"name": r.Name}
	for kindKey, v := range receiverMap(r) {
		if kindKey == "name" {
			continue
		}
		kind, ok := plainKinds[kindKey]
		if !ok {
			return nil, fmt.Errorf("receiver %s: %s are not supported by the plain alertmanager format (supported: %s); use --format alertmanagerconfig",
				r.Name, kindKey, strings.Join(sortedKeys(plainKinds), ", "))
		}
		var configs []map[string]any
		for i, item := range v.([]any) {
			c, err := plainConfig(kind, item.(map[string]any), namespace)
			if err != nil {
				return nil, fmt.Errorf("receiver %s: %s[%d]: %w", r.Name, kindKey, i, err)
			}
			configs = append(configs, c)
		}
		out[snakeCase(kindKey)] = configs
	}
	return out, nil
}

func plainConfig(kind plainKind, in map[string]any, namespace string) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range sortedKeys(in) {
		if k == "httpConfig" || slices.Contains(kind.unsupported, k) {
			return nil, fmt.Errorf("field %s is not supported by the plain alertmanager format; use --format alertmanagerconfig (the prometheus-operator target)", k)
		}
		target, ok := kind.renames[k]
		if !ok {
			target = snakeCase(k)
		}
		v := in[k]
		switch {
		case isSecretRef(v):
			ref := v.(map[string]any)
			out[target+"_file"] = path.Join(SecretsDir, namespace, ref["name"].(string), ref["key"].(string))
		case slices.Contains(kind.maps, k):
			m := map[string]any{}
			list, _ := v.([]any)
			for _, kv := range list {
				e, _ := kv.(map[string]any)
				key, _ := e["key"].(string)
				m[key] = e["value"]
			}
			out[target] = m
		default:
			out[target] = snakeKeys(v, kind.nested[k])
		}
	}
	return out, nil
}

// isSecretRef reports whether v is a Kubernetes secret key reference ({name, key}).
func isSecretRef(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	name, _ := m["name"].(string)
	key, _ := m["key"].(string)
	for k := range m {
		if k != "name" && k != "key" && k != "optional" {
			return false
		}
	}
	return name != "" && key != ""
}

// snakeKeys converts the keys of nested objects (Slack fields and actions, OpsGenie responders,
// PagerDuty links) to snake_case, or to their name in renames.
func snakeKeys(v any, renames map[string]string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			name, ok := renames[k]
			if !ok {
				name = snakeCase(k)
			}
			out[name] = snakeKeys(e, renames)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = snakeKeys(e, renames)
		}
		return out
	default:
		return v
	}
}

// snakeCase turns a camelCase field name into Alertmanager's snake_case one, acronyms kept
// together: apiURL is api_url, messageThreadID message_thread_id, msteamsv2Configs
// msteamsv2_configs.
func snakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		upper := unicode.IsUpper(r)
		if upper && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// CheckRuleFile parses a rule file as Prometheus does when it loads it, and returns every
// problem found (nil when Prometheus would load it).
func CheckRuleFile(content []byte) error {
	_, errs := rulefmt.Parse(content, false, model.UTF8Validation, parser.NewParser(parser.Options{}), promslog.NewNopLogger())
	return errors.Join(errs...)
}
