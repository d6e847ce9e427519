package render_test

// Validation tests: every case starts from a valid standard, breaks one thing and expects
// Resolve to report it on the exact field path a user would have to edit.

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

// vtBaseStandard is valid: the canonical sample with its escalation inline.
const vtBaseStandard = `
apiVersion: pledge.dev/v1alpha1
kind: ServiceStandard
metadata:
  name: checkout
  namespace: shop
spec:
  service: checkout
  window: 30d
  owners:
    responsible: payments-oncall
    accountable: payments-lead
  objectives:
    - name: availability
      target: "99.9"
      weight: 3
      ratio:
        errors: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
    - name: response-time
      target: "99"
      weight: 2
      latency:
        histogram: http_request_duration_seconds{job="checkout"}
        threshold: 300ms
    - name: incident-resolution
      target: "95"
      weight: 1
      latency:
        histogram: incident_resolution_duration_seconds{service="checkout"}
        graded:
          label: priority
          thresholds: {p1: 4h, p2: 24h, p3: 72h}
  alerting:
    runbookURL: https://runbooks.example.com/checkout
  escalation:
    tiers:
      - name: on-call
        after: 0m
        receivers:
          - name: pager
            webhookConfigs: [{url: "http://pager.example.com/hook"}]
      - name: team-lead
        after: 30m
        repeatInterval: 1h
        receivers:
          - name: lead
            webhookConfigs: [{url: "http://lead.example.com/hook"}]
      - name: head-of-department
        after: 2h
        activeTimeIntervals: [business-hours]
        receivers:
          - name: head
            emailConfigs: [{to: "head@example.com"}]
    informed:
      - name: status-channel
        webhookConfigs: [{url: "http://status.example.com/hook"}]
    timeIntervals:
      - name: business-hours
        timeIntervals:
          - weekdays: ["monday:friday"]
            times: [{startTime: "09:00", endTime: "18:00"}]
`

// vtBasePolicy is the canonical sample's policy.
const vtBasePolicy = `
apiVersion: pledge.dev/v1alpha1
kind: EscalationPolicy
metadata:
  name: payments
  namespace: shop
spec:
  tiers:
    - name: on-call
      after: 0m
      receivers:
        - name: pager
          webhookConfigs: [{url: "http://pager.example.com/hook"}]
    - name: team-lead
      after: 30m
      repeatInterval: 1h
      receivers:
        - name: lead
          webhookConfigs: [{url: "http://lead.example.com/hook"}]
  informed:
    - name: status-channel
      webhookConfigs: [{url: "http://status.example.com/hook"}]
`

// policyRef replaces the inline escalation by a reference to the base policy.
const vtPolicyRef = `{policyRef: {name: payments}}`

// vtPatch decodes base YAML, applies edits and decodes the result strictly into out. Each edit
// maps a dotted path ("spec.objectives.0.target"; list indexes as numbers, the length of a
// list appends) to a YAML value; null removes the field. Edits apply in path order, so a
// parent is set before its children.
func vtPatch(t *testing.T, base string, edits map[string]string, out any) {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal([]byte(base), &doc); err != nil {
		t.Fatalf("base: %v", err)
	}
	paths := make([]string, 0, len(edits))
	for p := range edits {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		var v any
		if err := yaml.Unmarshal([]byte(edits[p]), &v); err != nil {
			t.Fatalf("edit %s: value %q: %v", p, edits[p], err)
		}
		var err error
		if doc, err = vtSet(doc, strings.Split(p, "."), v); err != nil {
			t.Fatalf("edit %s: %v", p, err)
		}
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(js, out); err != nil {
		t.Fatalf("patched document does not decode: %v\n%s", err, js)
	}
}

func vtSet(node any, path []string, v any) (any, error) {
	seg, rest := path[0], path[1:]
	switch n := node.(type) {
	case map[string]any:
		if len(rest) == 0 {
			if v == nil {
				delete(n, seg)
			} else {
				n[seg] = v
			}
			return n, nil
		}
		child, ok := n[seg]
		if !ok {
			return nil, &vtPathError{seg}
		}
		c, err := vtSet(child, rest, v)
		n[seg] = c
		return n, err
	case []any:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i > len(n) {
			return nil, &vtPathError{seg}
		}
		if i == len(n) {
			if len(rest) > 0 {
				return nil, &vtPathError{seg}
			}
			return append(n, v), nil
		}
		if len(rest) == 0 {
			if v == nil {
				return slices.Delete(n, i, i+1), nil
			}
			n[i] = v
			return n, nil
		}
		c, err := vtSet(n[i], rest, v)
		n[i] = c
		return n, err
	}
	return nil, &vtPathError{seg}
}

type vtPathError struct{ seg string }

func (e *vtPathError) Error() string { return "no such element " + strconv.Quote(e.seg) }

func vtErrors(errs field.ErrorList) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

func TestInvalidStandards(t *testing.T) {
	cases := map[string]struct {
		edits map[string]string
		// policy, when set, patches the base policy (use {} for the policy as is) and passes
		// it to Resolve; otherwise Resolve gets nil.
		policy map[string]string
		field  string
		msg    string // optional part of the error text
	}{
		// metadata and service
		"name missing":              {edits: map[string]string{"metadata.name": "null"}, field: "metadata.name", msg: "needs a name"},
		"name not a DNS label":      {edits: map[string]string{"metadata.name": "Check_Out"}, field: "metadata.name", msg: "DNS label"},
		"namespace not a DNS label": {edits: map[string]string{"metadata.namespace": "Shop Floor"}, field: "metadata.namespace", msg: "DNS label"},
		"service with template":     {edits: map[string]string{"spec.service": `"checkout {{ $value"`}, field: "spec.service", msg: "template"},
		"service missing":           {edits: map[string]string{"spec.service": "null"}, field: "spec.service"},

		// targets
		"target 0":               {edits: map[string]string{"spec.objectives.0.target": `"0"`}, field: "spec.objectives[0].target", msg: "strictly between 0 and 100"},
		"target 100":             {edits: map[string]string{"spec.objectives.0.target": `"100"`}, field: "spec.objectives[0].target", msg: "strictly between 0 and 100"},
		"target 100.5":           {edits: map[string]string{"spec.objectives.1.target": `"100.5"`}, field: "spec.objectives[1].target", msg: "strictly between 0 and 100"},
		"target -1":              {edits: map[string]string{"spec.objectives.1.target": `"-1"`}, field: "spec.objectives[1].target"},
		"target fraction":        {edits: map[string]string{"spec.objectives.0.target": `"999/10"`}, field: "spec.objectives[0].target", msg: "not a decimal number"},
		"target exponent":        {edits: map[string]string{"spec.objectives.0.target": `"9.99e1"`}, field: "spec.objectives[0].target", msg: "not a decimal number"},
		"target abc":             {edits: map[string]string{"spec.objectives.0.target": `abc`}, field: "spec.objectives[0].target", msg: "not a decimal number"},
		"target empty":           {edits: map[string]string{"spec.objectives.2.target": `""`}, field: "spec.objectives[2].target", msg: "Required"},
		"weight too big":         {edits: map[string]string{"spec.objectives.0.weight": `1001`}, field: "spec.objectives[0].weight"},
		"objective name invalid": {edits: map[string]string{"spec.objectives.0.name": `Availability`}, field: "spec.objectives[0].name"},
		"objective name missing": {edits: map[string]string{"spec.objectives.0.name": `null`}, field: "spec.objectives[0].name", msg: "Required"},
		"no objectives":          {edits: map[string]string{"spec.objectives": `[]`}, field: "spec.objectives", msg: "at least one objective"},

		// PromQL of ratio and bool indicators
		"invalid PromQL": {
			edits: map[string]string{"spec.objectives.0.ratio.errors": `http_requests_total{job="checkout"`},
			field: "spec.objectives[0].ratio.errors", msg: "invalid PromQL",
		},
		"function call instead of selector": {
			edits: map[string]string{"spec.objectives.0.ratio.errors": `rate(x[5m])`},
			field: "spec.objectives[0].ratio.errors", msg: "function call",
		},
		"aggregation instead of selector": {
			edits: map[string]string{"spec.objectives.0.ratio.total": `sum(http_requests_total)`},
			field: "spec.objectives[0].ratio.total", msg: "aggregation",
		},
		"range selector": {
			edits: map[string]string{"spec.objectives.0.ratio.total": `http_requests_total{job="checkout"}[5m]`},
			field: "spec.objectives[0].ratio.total", msg: "range",
		},
		"offset": {
			edits: map[string]string{"spec.objectives.0.ratio.errors": `http_requests_total{code=~"5.."} offset 5m`},
			field: "spec.objectives[0].ratio.errors", msg: "offset",
		},
		"at modifier": {
			edits: map[string]string{"spec.objectives.0.ratio.errors": `http_requests_total{code=~"5.."} @ 1700000000`},
			field: "spec.objectives[0].ratio.errors", msg: "@",
		},
		"ratio total missing": {
			edits: map[string]string{"spec.objectives.0.ratio.total": `null`},
			field: "spec.objectives[0].ratio.total", msg: "Required",
		},
		"ratio with errors and good": {
			edits: map[string]string{"spec.objectives.0.ratio.good": `http_requests_total{code!~"5.."}`},
			field: "spec.objectives[0].ratio", msg: "exactly one of errors or good",
		},
		"ratio with neither errors nor good": {
			edits: map[string]string{"spec.objectives.0.ratio.errors": `null`},
			field: "spec.objectives[0].ratio", msg: "exactly one of errors or good",
		},
		"bool selector invalid": {
			edits: map[string]string{"spec.objectives.0": `{name: probe, target: "99", bool: {selector: "probe_success{"}}`},
			field: "spec.objectives[0].bool.selector", msg: "invalid PromQL",
		},
		"two indicators": {
			edits: map[string]string{"spec.objectives.0.bool": `{selector: probe_success}`},
			field: "spec.objectives[0]", msg: "set exactly one indicator",
		},
		"no indicator": {
			edits: map[string]string{"spec.objectives.0.ratio": `null`},
			field: "spec.objectives[0]", msg: "set exactly one indicator",
		},

		// latency indicators
		"histogram with _bucket suffix": {
			edits: map[string]string{"spec.objectives.1.latency.histogram": `http_request_duration_seconds_bucket{job="checkout"}`},
			field: "spec.objectives[1].latency.histogram", msg: "without _bucket",
		},
		"histogram with _count suffix": {
			edits: map[string]string{"spec.objectives.2.latency.histogram": `incident_resolution_duration_seconds_count`},
			field: "spec.objectives[2].latency.histogram", msg: "without _bucket",
		},
		"histogram with le matcher": {
			edits: map[string]string{"spec.objectives.1.latency.histogram": `http_request_duration_seconds{job="checkout",le="0.3"}`},
			field: "spec.objectives[1].latency.histogram", msg: "must not match le",
		},
		"histogram without metric name": {
			edits: map[string]string{"spec.objectives.1.latency.histogram": `'{job="checkout"}'`},
			field: "spec.objectives[1].latency.histogram", msg: "must name the histogram metric",
		},
		"histogram name by regex": {
			edits: map[string]string{"spec.objectives.1.latency.histogram": `'{__name__=~"http_.*",job="checkout"}'`},
			field: "spec.objectives[1].latency.histogram", msg: "must name the histogram metric",
		},
		"histogram not a selector": {
			edits: map[string]string{"spec.objectives.1.latency.histogram": `histogram_quantile(0.9, x)`},
			field: "spec.objectives[1].latency.histogram", msg: "function call",
		},
		"threshold and graded": {
			edits: map[string]string{"spec.objectives.1.latency.graded": `{label: priority, thresholds: {p1: 1s}}`},
			field: "spec.objectives[1].latency", msg: "exactly one of threshold or graded",
		},
		"neither threshold nor graded": {
			edits: map[string]string{"spec.objectives.1.latency.threshold": `null`},
			field: "spec.objectives[1].latency", msg: "exactly one of threshold or graded",
		},
		"zero threshold": {
			edits: map[string]string{"spec.objectives.1.latency.threshold": `0s`},
			field: "spec.objectives[1].latency.threshold", msg: "positive duration",
		},
		"threshold not a duration": {
			edits: map[string]string{"spec.objectives.1.latency.threshold": `fast`},
			field: "spec.objectives[1].latency.threshold", msg: "positive duration",
		},
		"graded zero threshold": {
			edits: map[string]string{"spec.objectives.2.latency.graded.thresholds.p1": `0m`},
			field: "spec.objectives[2].latency.graded.thresholds[p1]", msg: "positive duration",
		},
		"graded bad class name": {
			edits: map[string]string{"spec.objectives.2.latency.graded.thresholds.P1": `1h`},
			field: "spec.objectives[2].latency.graded.thresholds[P1]", msg: "lower-case",
		},
		"graded class too long": {
			edits: map[string]string{"spec.objectives.2.latency.graded.thresholds.priority-one-of-three": `1h`},
			field: "spec.objectives[2].latency.graded.thresholds[priority-one-of-three]", msg: "at most 20",
		},
		"graded label le": {
			edits: map[string]string{"spec.objectives.2.latency.graded.label": `le`},
			field: "spec.objectives[2].latency.graded.label", msg: "other than le",
		},
		"graded label invalid": {
			edits: map[string]string{"spec.objectives.2.latency.graded.label": `prio-rity`},
			field: "spec.objectives[2].latency.graded.label",
		},
		"graded without thresholds": {
			edits: map[string]string{"spec.objectives.2.latency.graded.thresholds": `{}`},
			field: "spec.objectives[2].latency.graded.thresholds", msg: "at least one class",
		},
		"graded target for an unknown class": {
			edits: map[string]string{"spec.objectives.2.latency.graded.targets": `{p1: "99", p4: "90"}`},
			field: "spec.objectives[2].latency.graded.targets[p4]", msg: "needs a threshold",
		},
		"graded target 100": {
			edits: map[string]string{"spec.objectives.2.latency.graded.targets": `{p2: "100"}`},
			field: "spec.objectives[2].latency.graded.targets[p2]", msg: "strictly between 0 and 100",
		},
		"graded target not a number": {
			edits: map[string]string{"spec.objectives.2.latency.graded.targets": `{p3: "high"}`},
			field: "spec.objectives[2].latency.graded.targets[p3]",
		},
		"graded name too long with class": {
			edits: map[string]string{"spec.objectives.2.name": strings.Repeat("x", 62)},
			field: "spec.objectives[2].latency.graded.thresholds[p1]", msg: "63 characters",
		},

		// objective names
		"duplicate objective names": {
			edits: map[string]string{"spec.objectives.1.name": `availability`},
			field: "spec.objectives[1].name", msg: "Duplicate",
		},
		"graded expansion collides with a later objective": {
			edits: map[string]string{"spec.objectives.3": `{name: incident-resolution-p2, target: "90", bool: {selector: up}}`},
			field: "spec.objectives[3].name", msg: "incident-resolution-p2",
		},
		"graded expansion collides with an earlier objective": {
			edits: map[string]string{
				"spec.objectives.0":      `{name: lat-p1, target: "90", bool: {selector: up}}`,
				"spec.objectives.2.name": `lat`,
			},
			field: "spec.objectives[2].name", msg: "lat-p1",
		},

		// compliance window
		"window 0d":  {edits: map[string]string{"spec.window": `0d`}, field: "spec.window", msg: "positive duration"},
		"window abc": {edits: map[string]string{"spec.window": `abc`}, field: "spec.window"},
		"window shorter than a day": {
			edits: map[string]string{"spec.window": `12h`}, field: "spec.window", msg: "at least 1d",
		},
		"window and calendar": {
			edits: map[string]string{"spec.calendar": `{period: month}`}, field: "spec.calendar", msg: "not both",
		},
		"calendar bad time zone": {
			edits: map[string]string{"spec.window": `null`, "spec.calendar": `{period: month, timeZone: Mars/Olympus_Mons}`},
			field: "spec.calendar.timeZone", msg: "time zone",
		},
		"calendar bad period": {
			edits: map[string]string{"spec.window": `null`, "spec.calendar": `{period: year}`},
			field: "spec.calendar.period",
		},

		// alerting
		"alert window long equal to short": {
			edits: map[string]string{"spec.alerting.windows": `[{name: page-fast, long: 5m, short: 5m}]`},
			field: "spec.alerting.windows[0].long", msg: "longer than the short window",
		},
		"alert window long shorter than short": {
			edits: map[string]string{"spec.alerting.windows": `[{name: extra, severity: page, long: 30m, short: 1h, budgetPercent: "1"}]`},
			field: "spec.alerting.windows[0].long", msg: "longer than the short window",
		},
		"alert window short under 5m": {
			edits: map[string]string{"spec.alerting.windows": `[{name: page-fast, short: 1m}]`},
			field: "spec.alerting.windows[0].short", msg: "at least 5m",
		},
		"alert window short not whole minutes": {
			edits: map[string]string{"spec.alerting.windows": `[{name: page-fast, short: 330s}]`},
			field: "spec.alerting.windows[0].short", msg: "whole number of minutes",
		},
		"alert window long beyond compliance window": {
			edits: map[string]string{"spec.alerting.windows": `[{name: page-fast, severity: page}, {name: ticket, long: 31d}]`},
			field: "spec.alerting.windows[1].long", msg: "compliance window",
		},
		"user pair longer than the compliance window": {
			edits: map[string]string{"spec.window": `2d`, "spec.alerting.windows": `[{name: ticket, long: 3d}]`},
			field: "spec.alerting.windows[0].long", msg: "compliance window 2d",
		},
		"graded label already matched by the histogram selector": {
			edits: map[string]string{"spec.objectives.1.latency": `{histogram: 'h{priority="p1"}', graded: {label: priority, thresholds: {p1: 1h, p2: 4h}}}`},
			field: "spec.objectives[1].latency.graded.label", msg: "already matches this label",
		},
		"alert window long not a duration": {
			edits: map[string]string{"spec.alerting.windows": `[{name: page-slow, long: six-hours}]`},
			field: "spec.alerting.windows[0].long",
		},
		"new alert window without windows": {
			edits: map[string]string{"spec.alerting.windows": `[{name: extra, severity: page, budgetPercent: "1"}]`},
			field: "spec.alerting.windows[0].long",
		},
		"unknown severity": {
			edits: map[string]string{"spec.alerting.windows": `[{name: extra, severity: critical, long: 2h, short: 10m, budgetPercent: "3"}]`},
			field: "spec.alerting.windows[0].severity", msg: "Unsupported value",
		},
		"budgetPercent 0": {
			edits: map[string]string{"spec.alerting.windows": `[{name: page-fast, budgetPercent: "0"}]`},
			field: "spec.alerting.windows[0].budgetPercent",
		},
		"budgetPercent not a number": {
			edits: map[string]string{"spec.alerting.windows": `[{name: ticket, budgetPercent: ten}]`},
			field: "spec.alerting.windows[0].budgetPercent",
		},
		"duplicate alert window names": {
			edits: map[string]string{"spec.alerting.windows": `[{name: ticket, disabled: true}, {name: ticket, disabled: true}]`},
			field: "spec.alerting.windows[1].name", msg: "Duplicate",
		},
		"alert window name invalid": {
			edits: map[string]string{"spec.alerting.windows": `[{name: Fast_Burn, severity: page, long: 2h, short: 10m, budgetPercent: "3"}]`},
			field: "spec.alerting.windows[0].name",
		},
		"reserved alerting label": {
			edits: map[string]string{"spec.alerting.labels": `{severity: critical}`},
			field: "spec.alerting.labels[severity]", msg: "Pledge does not set itself",
		},
		"invalid alerting label name": {
			edits: map[string]string{"spec.alerting.labels": `{team-name: payments}`},
			field: "spec.alerting.labels[team-name]",
		},
		"runbookURL not http": {
			edits: map[string]string{"spec.alerting.runbookURL": `ftp://runbooks.example.com/checkout`},
			field: "spec.alerting.runbookURL", msg: "http(s) URL",
		},
		"runbookURL broken template": {
			edits: map[string]string{"spec.alerting.runbookURL": `"https://runbooks.example.com/{{ $labels.objective"`},
			field: "spec.alerting.runbookURL", msg: "valid Prometheus template",
		},
		"alerting label with the alert's value": {
			edits: map[string]string{"spec.alerting.labels": `{team: payments, burn: "{{ $value }}"}`},
			field: "spec.alerting.labels[burn]", msg: "resets the alert's for: duration",
		},
		"alerting label with a query": {
			edits: map[string]string{"spec.alerting.labels": `{team: '{{ with query "up" }}{{ . | first | value }}{{ end }}'}`},
			field: "spec.alerting.labels[team]", msg: "arbitrary PromQL",
		},
		"alerting label with the alert's labels": {
			edits: map[string]string{"spec.alerting.labels": `{page_id: "{{ $labels.objective }}"}`},
			field: "spec.alerting.labels[page_id]", msg: "must not contain",
		},
		"runbookURL unknown template function": {
			edits: map[string]string{"spec.alerting.runbookURL": `"https://runbooks.example.com/{{ books $labels.objective }}"`},
			field: "spec.alerting.runbookURL", msg: `function "books" not defined`,
		},
		"runbookURL relative": {
			edits: map[string]string{"spec.alerting.runbookURL": `/runbooks/checkout`},
			field: "spec.alerting.runbookURL",
		},
		"minEvents negative": {
			edits: map[string]string{"spec.alerting.minEvents": `-1`},
			field: "spec.alerting.minEvents",
		},

		// escalation
		"policyRef and tiers": {
			edits: map[string]string{"spec.escalation.policyRef": `{name: payments}`},
			field: "spec.escalation", msg: "either policyRef or tiers",
		},
		"neither policyRef nor tiers": {
			edits: map[string]string{"spec.escalation.tiers": `null`},
			field: "spec.escalation", msg: "either policyRef or tiers",
		},
		"policyRef with inline informed": {
			edits:  map[string]string{"spec.escalation": `{policyRef: {name: payments}, informed: [{name: x, webhookConfigs: [{url: "http://x"}]}]}`},
			policy: map[string]string{},
			field:  "spec.escalation", msg: "belong to the referenced policy",
		},
		"policyRef not found": {
			edits: map[string]string{"spec.escalation": vtPolicyRef},
			field: "spec.escalation.policyRef.name", msg: "Not found",
		},
		"policyRef to another policy": {
			edits:  map[string]string{"spec.escalation": vtPolicyRef},
			policy: map[string]string{"metadata.name": "billing"},
			field:  "spec.escalation.policyRef.name", msg: "Not found",
		},
		"policyRef to an invalid policy": {
			edits:  map[string]string{"spec.escalation": vtPolicyRef},
			policy: map[string]string{"spec.tiers.1.after": "0m"},
			field:  "spec.escalation.policyRef.name", msg: "spec.tiers[1].after",
		},
		"tier delays equal": {
			edits: map[string]string{"spec.escalation.tiers.1.after": `0m`},
			field: "spec.escalation.tiers[1].after", msg: "increase strictly",
		},
		"tier delays decreasing": {
			edits: map[string]string{"spec.escalation.tiers.2.after": `20m`},
			field: "spec.escalation.tiers[2].after", msg: "increase strictly",
		},
		"tier delay in days": {
			edits: map[string]string{"spec.escalation.tiers.1.after": `1d`},
			field: "spec.escalation.tiers[1].after", msg: "days are written in hours",
		},
		"tier delay negative": {
			edits: map[string]string{"spec.escalation.tiers.0.after": `-5m`},
			field: "spec.escalation.tiers[0].after",
		},
		"tier delay missing": {
			edits: map[string]string{"spec.escalation.tiers.1.after": `null`},
			field: "spec.escalation.tiers[1].after", msg: "Required",
		},
		"duplicate tier names": {
			edits: map[string]string{"spec.escalation.tiers.1.name": `on-call`},
			field: "spec.escalation.tiers[1].name", msg: "Duplicate",
		},
		"tier name invalid": {
			edits: map[string]string{"spec.escalation.tiers.1.name": `Team_Lead`},
			field: "spec.escalation.tiers[1].name",
		},
		"tier without receivers": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers": `[]`},
			field: "spec.escalation.tiers[0].receivers", msg: "at least one receiver",
		},
		"tier named informed": {
			edits: map[string]string{"spec.escalation.tiers.0.name": `informed`},
			field: "spec.escalation.tiers[0].name", msg: "reserved",
		},
		"tier named unrouted": {
			edits: map[string]string{"spec.escalation.tiers.2.name": `unrouted`},
			field: "spec.escalation.tiers[2].name", msg: "reserved",
		},
		"undefined active time interval": {
			edits: map[string]string{"spec.escalation.tiers.2.activeTimeIntervals": `[business-hours, weekends]`},
			field: "spec.escalation.tiers[2].activeTimeIntervals[1]", msg: "weekends",
		},
		"active time interval without any intervals": {
			edits: map[string]string{"spec.escalation.timeIntervals": `null`},
			field: "spec.escalation.tiers[2].activeTimeIntervals[0]", msg: "business-hours",
		},
		"duplicate time interval names": {
			edits: map[string]string{"spec.escalation.timeIntervals.1": `{name: business-hours}`},
			field: "spec.escalation.timeIntervals[1].name", msg: "Duplicate",
		},
		"receiver without config": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.0": `{name: pager}`},
			field: "spec.escalation.tiers[0].receivers[0]", msg: "at least one notification config",
		},
		"receiver without name": {
			edits: map[string]string{"spec.escalation.tiers.1.receivers.0.name": `null`},
			field: "spec.escalation.tiers[1].receivers[0].name", msg: "Required",
		},
		"duplicate receiver names in a tier": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.1": `{name: pager, webhookConfigs: [{url: "http://b"}]}`},
			field: "spec.escalation.tiers[0].receivers[1].name", msg: "Duplicate",
		},
		// Receivers the API server stores but prometheus-operator's Go type cannot hold.
		"receiver secret reference as a string": {
			edits: map[string]string{"spec.escalation.tiers.1.receivers.0": `{name: lead, webhookConfigs: [{url: "http://b"}], slackConfigs: [{channel: "#a"}, {apiURL: "https://hooks.slack.example/T0/B0/secret"}]}`},
			field: "spec.escalation.tiers[1].receivers[0].slackConfigs[1].apiURL", msg: "must be an object (v1.SecretKeySelector",
		},
		"receiver config list as an object": {
			edits: map[string]string{"spec.escalation.informed.0.webhookConfigs": `{url: "http://b"}`},
			field: "spec.escalation.informed[0].webhookConfigs", msg: "must be a list",
		},
		"receiver nested field wrongly typed": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.0.webhookConfigs.1": `{url: "http://b", maxAlerts: "ten"}`},
			field: "spec.escalation.tiers[0].receivers[0].webhookConfigs[1].maxAlerts", msg: "must be a number",
		},
		"receiver unknown field": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.0.webhookConfigs.0.URL": `"http://b"`},
			field: "spec.escalation.tiers[0].receivers[0].webhookConfigs[0].URL", msg: "unknown field",
		},
		// URLs as Alertmanager parses them (absolute http(s) with a host), templates where allowed.
		"webhook url not a url": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.0.webhookConfigs.0.url": `not a url`},
			field: "spec.escalation.tiers[0].receivers[0].webhookConfigs[0].url", msg: "absolute http(s) URL",
		},
		"webhook url without host": {
			edits: map[string]string{"spec.escalation.informed.0.webhookConfigs.0.url": `"http:///hook"`},
			field: "spec.escalation.informed[0].webhookConfigs[0].url", msg: "missing host",
		},
		"webhook url of another scheme": {
			edits: map[string]string{"spec.escalation.tiers.1.receivers.0.webhookConfigs.0.url": `"ftp://lead.example.com/hook"`},
			field: "spec.escalation.tiers[1].receivers[0].webhookConfigs[0].url", msg: `unsupported scheme "ftp"`,
		},
		"webhook url broken template": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.0.webhookConfigs.0.url": `"http://pager.example.com/{{ .GroupLabels.x"`},
			field: "spec.escalation.tiers[0].receivers[0].webhookConfigs[0].url", msg: "valid Go template",
		},
		"pagerduty url (no templates)": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.1": `{name: pd, pagerdutyConfigs: [{routingKey: {name: pd, key: key}, url: "https://{{ .X }}/v2"}]}`},
			field: "spec.escalation.tiers[0].receivers[1].pagerdutyConfigs[0].url", msg: "absolute http(s) URL",
		},
		"pagerduty link href": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.1": `{name: pd, pagerdutyConfigs: [{routingKey: {name: pd, key: key}, pagerDutyLinkConfigs: [{href: "runbook"}]}]}`},
			field: "spec.escalation.tiers[0].receivers[1].pagerdutyConfigs[0].pagerDutyLinkConfigs[0].href", msg: "absolute http(s) URL",
		},
		"opsgenie api url": {
			edits: map[string]string{"spec.escalation.tickets": `[{name: og, opsgenieConfigs: [{apiKey: {name: og, key: key}, apiURL: "api.opsgenie.com"}]}]`},
			field: "spec.escalation.tickets[0].opsgenieConfigs[0].apiURL", msg: "absolute http(s) URL",
		},
		"rocketchat action url": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.1": `{name: rc, rocketchatConfigs: [{token: {name: rc, key: token}, tokenID: {name: rc, key: id}, actions: [{text: open, url: "//chat.example.com"}]}]}`},
			field: "spec.escalation.tiers[0].receivers[1].rocketchatConfigs[0].actions[0].url", msg: "absolute http(s) URL",
		},
		// Secret references: Kubernetes Secret names and keys (they become file paths in the plain format).
		"secret name with a slash": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.1": `{name: pd, pagerdutyConfigs: [{routingKey: {name: "../pd", key: key}}]}`},
			field: "spec.escalation.tiers[0].receivers[1].pagerdutyConfigs[0].routingKey.name", msg: "must be a Secret name",
		},
		"secret name upper case": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.1": `{name: pd, pagerdutyConfigs: [{routingKey: {name: PagerDuty, key: key}}]}`},
			field: "spec.escalation.tiers[0].receivers[1].pagerdutyConfigs[0].routingKey.name", msg: "must be a Secret name",
		},
		"secret key dot dot": {
			edits: map[string]string{"spec.escalation.tiers.1.receivers.0.webhookConfigs.0": `{urlSecret: {name: hook, key: ".."}}`},
			field: "spec.escalation.tiers[1].receivers[0].webhookConfigs[0].urlSecret.key", msg: "must be a Secret key",
		},
		"secret key with a slash": {
			edits: map[string]string{"spec.escalation.tiers.1.receivers.0.webhookConfigs.0": `{urlSecret: {name: hook, key: "a/b"}}`},
			field: "spec.escalation.tiers[1].receivers[0].webhookConfigs[0].urlSecret.key", msg: "must be a Secret key",
		},
		"secret key missing": {
			edits: map[string]string{"spec.escalation.tiers.2.receivers.0.emailConfigs.0": `{to: "head@example.com", authPassword: {name: smtp}}`},
			field: "spec.escalation.tiers[2].receivers[0].emailConfigs[0].authPassword.key", msg: "Required",
		},
		"secret in http config": {
			edits: map[string]string{"spec.escalation.tiers.0.receivers.0.webhookConfigs.0": `{url: "http://pager.example.com/hook", httpConfig: {bearerTokenSecret: {name: "a..b", key: token}}}`},
			field: "spec.escalation.tiers[0].receivers[0].webhookConfigs[0].httpConfig.bearerTokenSecret.name", msg: "must be a Secret name",
		},
		"informed receiver without config": {
			edits: map[string]string{"spec.escalation.informed.0": `{name: status-channel}`},
			field: "spec.escalation.informed[0]",
		},
		"ticket receiver without config": {
			edits: map[string]string{"spec.escalation.tickets": `[{name: jira}]`},
			field: "spec.escalation.tickets[0]",
		},
		"invalid repeatInterval": {
			edits: map[string]string{"spec.escalation.tiers.1.repeatInterval": `hourly`},
			field: "spec.escalation.tiers[1].repeatInterval", msg: "positive whole number of seconds",
		},
		"zero repeatInterval": {
			edits: map[string]string{"spec.escalation.tiers.1.repeatInterval": `0s`},
			field: "spec.escalation.tiers[1].repeatInterval", msg: "positive whole number of seconds",
		},
		"sub-second repeatInterval": {
			edits: map[string]string{"spec.escalation.tiers.1.repeatInterval": `0.5ms`},
			field: "spec.escalation.tiers[1].repeatInterval", msg: "whole number of seconds",
		},
		"sub-second tier delay": {
			edits: map[string]string{"spec.escalation.tiers.1.after": `1500ms`},
			field: "spec.escalation.tiers[1].after", msg: "whole number of seconds",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var std pledgev1.ServiceStandard
			vtPatch(t, vtBaseStandard, tc.edits, &std)
			var policy *pledgev1.EscalationPolicy
			if tc.policy != nil {
				policy = &pledgev1.EscalationPolicy{}
				vtPatch(t, vtBasePolicy, tc.policy, policy)
			}
			_, errs := render.Resolve(&std, render.Policies(policy))
			if len(errs) == 0 {
				t.Fatalf("Resolve accepted the standard; want an error on %s", tc.field)
			}
			i := slices.IndexFunc(errs, func(e *field.Error) bool { return e.Field == tc.field })
			if i < 0 {
				t.Fatalf("no error on %s; got:%s", tc.field, vtErrors(errs))
			}
			if tc.msg != "" && !slices.ContainsFunc(errs, func(e *field.Error) bool {
				return e.Field == tc.field && strings.Contains(e.Error(), tc.msg)
			}) {
				t.Errorf("error on %s does not say %q; got:%s", tc.field, tc.msg, vtErrors(errs))
			}
		})
	}
}

func TestInvalidPolicies(t *testing.T) {
	cases := map[string]struct {
		edits map[string]string
		field string
		msg   string
	}{
		"no name":                 {edits: map[string]string{"metadata.name": "null"}, field: "metadata.name"},
		"no tiers":                {edits: map[string]string{"spec.tiers": "[]"}, field: "spec.tiers", msg: "at least one tier"},
		"tier delays equal":       {edits: map[string]string{"spec.tiers.1.after": "0s"}, field: "spec.tiers[1].after", msg: "increase strictly"},
		"receiver without config": {edits: map[string]string{"spec.informed.0": "{name: status-channel}"}, field: "spec.informed[0]"},
		"receiver wrongly typed": {
			edits: map[string]string{"spec.tiers.0.receivers.0.webhookConfigs.0.sendResolved": `"yes"`},
			field: "spec.tiers[0].receivers[0].webhookConfigs[0].sendResolved", msg: "must be a boolean",
		},
		"undefined time interval": {
			edits: map[string]string{"spec.tiers.1.activeTimeIntervals": "[nights]"},
			field: "spec.tiers[1].activeTimeIntervals[0]", msg: "nights",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var p pledgev1.EscalationPolicy
			vtPatch(t, vtBasePolicy, tc.edits, &p)
			errs := render.ValidatePolicy(&p)
			if !slices.ContainsFunc(errs, func(e *field.Error) bool {
				return e.Field == tc.field && strings.Contains(e.Error(), tc.msg)
			}) {
				t.Fatalf("want an error on %s saying %q; got:%s", tc.field, tc.msg, vtErrors(errs))
			}
		})
	}
}

// vtSample reads the canonical sample: the standard and its policy.
func vtSample(t testing.TB) (string, string) {
	t.Helper()
	b, err := os.ReadFile("../../config/samples/pledge_v1alpha1_checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("sample has %d documents, want 2", len(docs))
	}
	return docs[0], docs[1]
}

func TestCanonicalSampleResolves(t *testing.T) {
	stdDoc, policyDoc := vtSample(t)
	var std pledgev1.ServiceStandard
	if err := yaml.UnmarshalStrict([]byte(stdDoc), &std); err != nil {
		t.Fatalf("standard: %v", err)
	}
	var policy pledgev1.EscalationPolicy
	if err := yaml.UnmarshalStrict([]byte(policyDoc), &policy); err != nil {
		t.Fatalf("policy: %v", err)
	}
	if errs := render.ValidatePolicy(&policy); len(errs) > 0 {
		t.Fatalf("policy invalid:%s", vtErrors(errs))
	}
	s, errs := render.Resolve(&std, render.Policies(&policy))
	if len(errs) > 0 {
		t.Fatalf("sample invalid:%s", vtErrors(errs))
	}
	var names []string
	for _, o := range s.Objectives {
		names = append(names, o.Name)
	}
	want := []string{"availability", "response-time", "incident-resolution-p1", "incident-resolution-p2", "incident-resolution-p3"}
	if !slices.Equal(names, want) {
		t.Errorf("objectives = %v, want %v", names, want)
	}
	// The graded objective's classes keep its target and share its weight.
	for _, o := range s.Objectives[2:] {
		if o.Target != "95" || o.Weight != 1 || o.Classes != 3 {
			t.Errorf("%s: target %s, weight %d over %d classes; want 95, 1 over 3", o.Name, o.Target, o.Weight, o.Classes)
		}
	}
	if s.Name != "checkout" || s.Namespace != "shop" || s.Service != "checkout" {
		t.Errorf("identity = %s/%s service %s", s.Namespace, s.Name, s.Service)
	}
	if len(s.Windows) != 3 {
		t.Errorf("%d burn-rate window pairs, want the 3 defaults", len(s.Windows))
	}
	if s.Escalation == nil || len(s.Escalation.Tiers) != 3 {
		t.Fatalf("escalation not resolved from the policy: %+v", s.Escalation)
	}
	if s.RunbookURL != "https://runbooks.example.com/checkout" {
		t.Errorf("runbook = %q", s.RunbookURL)
	}
	fzCheckRendered(t, s)

	// The sample without its policy must name the reference.
	_, errs = render.Resolve(&std, nil)
	if !slices.ContainsFunc(errs, func(e *field.Error) bool { return e.Field == "spec.escalation.policyRef.name" }) {
		t.Errorf("missing policy not reported on spec.escalation.policyRef.name:%s", vtErrors(errs))
	}
}

func TestValidVariants(t *testing.T) {
	cases := map[string]struct {
		edits  map[string]string
		policy bool
		check  func(t *testing.T, s *render.Standard)
	}{
		"inline escalation tiers": {
			check: func(t *testing.T, s *render.Standard) {
				if s.Escalation == nil || len(s.Escalation.Tiers) != 3 || len(s.Escalation.Informed) != 1 {
					t.Errorf("escalation = %+v", s.Escalation)
				}
			},
		},
		"a 2d window leaves out the default 3d ticket pair, with a warning": {
			edits: map[string]string{"spec.window": `2d`},
			check: func(t *testing.T, s *render.Standard) {
				for _, w := range s.Windows {
					if w.Name == "ticket" {
						t.Errorf("the 3d ticket pair cannot fit a 2d window: %+v", s.Windows)
					}
				}
				if len(s.Windows) != 2 || !strings.Contains(strings.Join(s.Warnings, "\n"), `default window pair "ticket" (3d/6h) is longer than the 2d compliance window`) {
					t.Errorf("windows %+v, warnings %q", s.Windows, s.Warnings)
				}
			},
		},
		"escalation without any page alert warns (alerts disabled)": {
			edits: map[string]string{"spec.alerting": `{disabled: true}`},
			check: func(t *testing.T, s *render.Standard) {
				if !strings.Contains(strings.Join(s.Warnings, "\n"), "spec.escalation: spec.alerting.disabled is set, so no page fires") {
					t.Errorf("warnings %q", s.Warnings)
				}
			},
		},
		"escalation without any page alert warns (page pairs disabled)": {
			edits: map[string]string{"spec.alerting": `{windows: [{name: page-fast, disabled: true}, {name: page-slow, disabled: true}]}`},
			check: func(t *testing.T, s *render.Standard) {
				if !strings.Contains(strings.Join(s.Warnings, "\n"), "spec.escalation: every page window pair is disabled") {
					t.Errorf("warnings %q", s.Warnings)
				}
			},
		},
		"policyRef": {
			edits:  map[string]string{"spec.escalation": vtPolicyRef},
			policy: true,
			check: func(t *testing.T, s *render.Standard) {
				if s.Escalation == nil || len(s.Escalation.Tiers) != 2 {
					t.Errorf("escalation = %+v", s.Escalation)
				}
			},
		},
		"graded classes with their own targets": {
			edits: map[string]string{"spec.objectives.2.latency.graded.targets": `{p1: "99", p3: "90.5"}`},
			check: func(t *testing.T, s *render.Standard) {
				want := map[string]struct {
					target string
					budget float64
				}{"incident-resolution-p1": {"99", 0.01}, "incident-resolution-p2": {"95", 0.05}, "incident-resolution-p3": {"90.5", 0.095}}
				for _, o := range s.Objectives[2:] {
					if w := want[o.Name]; o.Target != w.target || o.Budget != w.budget || o.Classes != 3 {
						t.Errorf("%s: target %s budget %v classes %d, want %+v over 3 classes", o.Name, o.Target, o.Budget, o.Classes, w)
					}
				}
				if s.Objectives[0].Classes != 1 || s.Objectives[1].Classes != 1 {
					t.Errorf("ungraded objectives are one class each: %d, %d", s.Objectives[0].Classes, s.Objectives[1].Classes)
				}
			},
		},
		"good ratio": {
			edits: map[string]string{
				"spec.objectives.0.ratio.errors": `null`,
				"spec.objectives.0.ratio.good":   `http_requests_total{job="checkout",code!~"5.."}`,
			},
			check: func(t *testing.T, s *render.Standard) {
				if !strings.Contains(s.Objectives[0].ErrorsExpr, `code!~"5.."`) {
					t.Errorf("errors expression ignores the good selector: %s", s.Objectives[0].ErrorsExpr)
				}
			},
		},
		"bool indicator": {
			edits: map[string]string{"spec.objectives.3": `{name: probe, target: "99.5", bool: {selector: 'probe_success{job="checkout"}'}}`},
			check: func(t *testing.T, s *render.Standard) {
				if len(s.Objectives) != 6 || s.Objectives[5].Name != "probe" {
					t.Errorf("objectives = %+v", s.Objectives)
				}
			},
		},
		"name by __name__ matcher": {
			edits: map[string]string{"spec.objectives.1.latency.histogram": `'{__name__="http_request_duration_seconds",job="checkout"}'`},
		},
		"histogram with a UTF-8 name": {
			edits: map[string]string{"spec.objectives.1.latency.histogram": `'{"http.request.duration.seconds",job="checkout"}'`},
			check: func(t *testing.T, s *render.Standard) {
				if want := `{__name__="http.request.duration.seconds_count",job="checkout"}`; !strings.Contains(s.Objectives[1].EventsExpr, want) {
					t.Errorf("events expression %s does not select %s", s.Objectives[1].EventsExpr, want)
				}
			},
		},
		"templated runbook URL, literal labels": {
			edits: map[string]string{
				"spec.alerting.runbookURL": `"https://runbooks.example.com/checkout/{{ $labels.objective }}"`,
				"spec.alerting.labels":     `{team: payments, page_id: "checkout-} {"}`,
			},
		},
		"calendar quarter in Europe/Berlin": {
			edits: map[string]string{"spec.window": `null`, "spec.calendar": `{period: quarter, timeZone: Europe/Berlin}`},
			check: func(t *testing.T, s *render.Standard) {
				if s.Calendar == nil || s.Calendar.Period != pledgev1.CalendarQuarter || s.Window.Hours() != 90*24 {
					t.Errorf("calendar = %+v, window %s", s.Calendar, s.Window)
				}
			},
		},
		"calendar month in UTC": {
			edits: map[string]string{"spec.window": `null`, "spec.calendar": `{period: month}`},
		},
		"default window": {
			edits: map[string]string{"spec.window": `null`},
			check: func(t *testing.T, s *render.Standard) {
				if s.Window != render.DefaultWindow {
					t.Errorf("window = %s", s.Window)
				}
			},
		},
		"windows override disabling ticket": {
			edits: map[string]string{"spec.alerting.windows": `[{name: ticket, disabled: true}, {name: page-fast, budgetPercent: "3"}]`},
			check: func(t *testing.T, s *render.Standard) {
				var names []string
				for _, w := range s.Windows {
					names = append(names, w.Name)
				}
				if !slices.Equal(names, []string{"page-fast", "page-slow"}) {
					t.Errorf("windows = %v, want page-fast and page-slow", names)
				}
				if f := s.Windows[0].Factor; f < 21.599 || f > 21.601 {
					t.Errorf("page-fast factor = %v, want 21.6 (3%% of 30d in 1h)", f)
				}
			},
		},
		"added window pair": {
			edits: map[string]string{"spec.alerting.windows": `[{name: page-medium, severity: page, long: 3h, short: 15m, budgetPercent: "3.5"}]`},
			check: func(t *testing.T, s *render.Standard) {
				if len(s.Windows) != 4 || s.Windows[3].Name != "page-medium" {
					t.Errorf("windows = %+v", s.Windows)
				}
			},
		},
		"short window with ticket disabled": {
			edits: map[string]string{"spec.window": `2d`, "spec.alerting.windows": `[{name: ticket, disabled: true}]`},
		},
		"alerting labels, min events and tickets": {
			edits: map[string]string{
				"spec.alerting.labels":    `{team: payments}`,
				"spec.alerting.minEvents": `100`,
				"spec.escalation.tickets": `[{name: jira, webhookConfigs: [{url: "http://jira.example.com/hook"}]}]`,
			},
		},
		"alerts disabled": {
			edits: map[string]string{"spec.alerting.disabled": `true`},
		},
		"no alerting, no escalation, no namespace": {
			edits: map[string]string{"spec.alerting": `null`, "spec.escalation": `null`, "metadata.namespace": `null`},
			check: func(t *testing.T, s *render.Standard) {
				if s.Namespace != "default" || s.Escalation != nil {
					t.Errorf("namespace %q escalation %+v", s.Namespace, s.Escalation)
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var std pledgev1.ServiceStandard
			vtPatch(t, vtBaseStandard, tc.edits, &std)
			var policy *pledgev1.EscalationPolicy
			if tc.policy {
				policy = &pledgev1.EscalationPolicy{}
				vtPatch(t, vtBasePolicy, nil, policy)
			}
			s, errs := render.Resolve(&std, render.Policies(policy))
			if len(errs) > 0 {
				t.Fatalf("Resolve rejected a valid standard:%s", vtErrors(errs))
			}
			if tc.check != nil {
				tc.check(t, s)
			}
			fzCheckRendered(t, s)
		})
	}
}
