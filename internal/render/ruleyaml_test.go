package render_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/pledge-dev/pledge/internal/render"
)

// checkRuleYAML fails when the rule-file writer and yaml.v3 write f differently (or when the
// writer declines f but yaml.v3 cannot write it either).
func checkRuleYAML(t testing.TB, f rulefmt.RuleGroups) (written bool) {
	t.Helper()
	want, err := render.EncodeYAML(f)
	if err != nil {
		t.Fatalf("yaml.v3: %v", err)
	}
	got, ok := render.AppendRuleGroupsYAML(nil, f)
	if !ok {
		return false
	}
	if string(got) != string(want) {
		t.Fatalf("the rule-file writer and yaml.v3 differ\n--- writer:\n%q\n--- yaml.v3:\n%q", got, want)
	}
	return true
}

// yamlPieces are the fragments random scalars are built from: YAML indicators in every
// position, quotes, comment and mapping markers, words that read back as booleans, numbers,
// null or timestamps, durations, templates and PromQL, spaces, tabs, line breaks, non-ASCII.
var yamlPieces = []string{
	"a", "Z", "_", "x1", "sum(rate(http_requests_total{job=\"api\"}[5m]))", "{{ $value | printf \"%.2f\" }}",
	" ", "  ", "\t", "\n", "\n\n", "\r", ":", ": ", " #", "#", "-", "- ", "--- ", "...", "?", ",", "[", "]", "{", "}",
	"&", "*", "!", "|", ">", "'", "\"", "%", "@", "`", "~", "<<", "=", "\\", "/", ".",
	"true", "False", "NULL", "yes", "No", "on", "OFF", "y", "N", ".inf", "-.Inf", ".nan",
	"0", "12", "007", "123456789012345678901", "-3", "+4", "1.5", "1e3", "0x1f", "0o17", "1_000", "2026-12-07", "2026-12-07T10:00:00Z", "1:30",
	"5m", "1h30m", "3d", "30s", "100ms", "é", "日本", "\u00a0", "\u2028", "\x7f", "\x00",
	"https://runbooks.example.com/x", "99.9%", "a: b", "x > 14.4", "(a) / 0.001 > 6\nand\n(b) > 6", "x(\n  y\n)", "\n  ",
}

// randomScalar joins 0–5 random pieces.
func randomScalar(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(6) {
		b.WriteString(yamlPieces[r.IntN(len(yamlPieces))])
	}
	return b.String()
}

// labelKeys are label and annotation names: most written by the fast writer, some (upper
// case, digits, words that resolve) left to yaml.v3.
var labelKeys = []string{"severity", "service", "service_standard", "team", "long_window", "_x", "summary",
	"description", "runbook_url", "on", "y", "Team", "tier2", "a_b"}

func randomMap(r *rand.Rand) map[string]string {
	if r.IntN(4) == 0 {
		return nil
	}
	m := map[string]string{}
	for range r.IntN(5) {
		m[labelKeys[r.IntN(len(labelKeys))]] = randomScalar(r)
	}
	return m
}

func randomRuleGroups(r *rand.Rand) rulefmt.RuleGroups {
	durations := []time.Duration{0, 30 * time.Second, 5 * time.Minute, time.Hour + 30*time.Minute, 72 * time.Hour, 100 * time.Millisecond}
	var f rulefmt.RuleGroups
	for range r.IntN(3) {
		g := rulefmt.RuleGroup{Name: randomScalar(r), Interval: model.Duration(durations[r.IntN(len(durations))])}
		for range r.IntN(4) {
			rule := rulefmt.Rule{Expr: randomScalar(r), Labels: randomMap(r), Annotations: randomMap(r),
				For: model.Duration(durations[r.IntN(len(durations))]), KeepFiringFor: model.Duration(durations[r.IntN(len(durations))])}
			if r.IntN(2) == 0 {
				rule.Record = randomScalar(r)
			} else {
				rule.Alert = randomScalar(r)
			}
			g.Rules = append(g.Rules, rule)
		}
		f.Groups = append(f.Groups, g)
	}
	return f
}

// TestRuleYAMLMatchesEncoder writes 20,000 random rule files, whose names, expressions, labels
// and annotations are made of YAML's hard cases, with the rule-file writer and with yaml.v3,
// and requires the same bytes. Most are written by the writer itself (counted), the rest
// declined and left to yaml.v3.
func TestRuleYAMLMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 7))
	written := 0
	const n = 20000
	for range n {
		if checkRuleYAML(t, randomRuleGroups(r)) {
			written++
		}
	}
	if written < n/4 {
		t.Fatalf("the writer declined %d of %d files: it should write most of them itself", n-written, n)
	}
	t.Logf("%d of %d written by the rule-file writer, the rest declined to yaml.v3", written, n)
}

// TestRuleYAMLGolden: every golden standard's rule groups are written by the writer itself,
// byte for byte as yaml.v3 writes them.
func TestRuleYAMLGolden(t *testing.T) {
	for _, path := range append(standardFiles(t), "testdata/grouped/grouped.yaml") {
		for _, s := range loadStandards(t, path) {
			if !checkRuleYAML(t, render.RuleFileGroups(s)) {
				t.Errorf("%s: %s/%s: the writer declined the standard's rule groups", path, s.Namespace, s.Name)
			}
		}
	}
}

// FuzzRuleYAML puts one fuzzed string in every scalar position of a rule file.
func FuzzRuleYAML(f *testing.F) {
	for _, p := range yamlPieces {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rule := rulefmt.Rule{Alert: s, Expr: s, Labels: map[string]string{"severity": s}, Annotations: map[string]string{"summary": s, "description": "x"}}
		checkRuleYAML(t, rulefmt.RuleGroups{Groups: []rulefmt.RuleGroup{{Name: s, Rules: []rulefmt.Rule{rule, {Record: s, Expr: "1"}}}}})
	})
}
