package openslo

import (
	"slices"
	"strings"
	"testing"
)

// sloBase is an SLO that maps; cases replace its parts.
const sloBase = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay
  labels: {{labels}}
spec:
  service: pay
  {{unknown}}
  timeWindow:
    - {{window}}
  budgetingMethod: {{method}}
  indicator:
    metadata: {name: pay-good}
    spec:
      {{indicator}}
  objectives:
{{objectives}}
  alertPolicies: {{policies}}
`

var sloDefaults = map[string]string{
	"labels":    "{}",
	"unknown":   "",
	"window":    "{duration: 28d, isRolling: true}",
	"method":    "Occurrences",
	"indicator": `ratioMetric: {counter: true, bad: {metricSource: {type: Prometheus, spec: {query: 'errors_total{job="pay"}'}}}, total: {metricSource: {type: Prometheus, spec: {query: 'requests_total{job="pay"}'}}}}`,
	"objectives": `    - displayName: availability
      target: 0.999`,
	"policies": "[]",
}

// sloDoc fills sloBase with the defaults and the given parts.
func sloDoc(parts map[string]string) string {
	var pairs []string
	for k, v := range sloDefaults {
		if p, ok := parts[k]; ok {
			v = p
		}
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	return strings.NewReplacer(pairs...).Replace(sloBase)
}

const latencyIndicator = `thresholdMetric: {metricSource: {type: Prometheus, spec: {query: 'http_request_duration_seconds_bucket{job="pay"}'}}}`

// inlinePolicy is an alert policy with one inline burn-rate condition and the given targets.
func inlinePolicy(name, severity, op, threshold, lookback, extra string) string {
	return `
    - kind: AlertPolicy
      metadata: {name: ` + name + `}
      spec:
        ` + extra + `
        conditions:
          - kind: AlertCondition
            metadata: {name: ` + name + `}
            spec: {severity: ` + severity + `, condition: {kind: burnrate, op: ` + op + `, threshold: ` + threshold + `, lookbackWindow: ` + lookback + `}}`
}

// TestUnsupported is the table of constructs that do not map and what the importer says of
// each; imported tells whether the SLO still becomes a standard (with the rest mapped).
func TestUnsupported(t *testing.T) {
	cases := map[string]struct {
		input    string
		want     []string
		imported bool
	}{
		"timeslices": {
			input: sloDoc(map[string]string{"method": "Timeslices", "objectives": `    - {displayName: a, target: 0.99}
    - {displayName: b, target: 0.95, timeSliceTarget: 0.9, timeSliceWindow: 1m}`}),
			want: []string{
				"SLO pay: spec.budgetingMethod: Timeslices is not supported: Pledge counts good and bad events over the window (Occurrences); SLO not imported",
				"SLO pay: spec.objectives[1].timeSliceTarget: timeslices are not supported",
				"SLO pay: spec.objectives[1].timeSliceWindow: timeslices are not supported",
			},
		},
		"ratio timeslices": {
			input: sloDoc(map[string]string{"method": "RatioTimeslices"}),
			want:  []string{"SLO pay: spec.budgetingMethod: RatioTimeslices is not supported: Pledge counts good and bad events over the window (Occurrences); SLO not imported"},
		},
		"time slice target on an occurrences SLO": {
			input:    sloDoc(map[string]string{"objectives": "    - {displayName: a, target: 0.99, timeSliceTarget: 0.9}"}),
			want:     []string{"SLO pay: spec.objectives[0].timeSliceTarget: timeslices are not supported"},
			imported: true,
		},
		"gauge ratio": {
			input: sloDoc(map[string]string{"indicator": `ratioMetric: {counter: false, good: {metricSource: {type: Prometheus, spec: {query: good}}}, total: {metricSource: {type: Prometheus, spec: {query: total}}}}`}),
			want: []string{
				"SLO pay: spec.indicator.spec.ratioMetric.counter: false is not supported: Pledge rates counters of events, a gauge of counts cannot be rated",
				"SLO pay: spec.objectives[0]: the indicator does not map; objective not imported",
				"SLO pay: spec.objectives: no objective maps; SLO not imported",
			},
		},
		"raw failure ratio": {
			input: sloDoc(map[string]string{"indicator": `ratioMetric: {rawType: failure, raw: {metricSource: {type: Prometheus, spec: {query: error_ratio}}}}`}),
			want:  []string{`SLO pay: spec.indicator.spec.ratioMetric.rawType: "failure" is not supported: Pledge reads precomputed success ratios (rawType success) only`},
		},
		"other data source": {
			input: sloDoc(map[string]string{"indicator": `ratioMetric: {counter: true, good: {metricSource: {type: Datadog, spec: {query: 'sum:hits{ok}'}}}, total: {metricSource: {type: Datadog, spec: {query: 'sum:hits{*}'}}}}`}),
			want:  []string{`SLO pay: spec.indicator.spec.ratioMetric.total.metricSource.type: "Datadog" is not supported: Pledge reads Prometheus queries`},
		},
		"grouped query": {
			input: sloDoc(map[string]string{"indicator": `ratioMetric: {counter: true, bad: {metricSource: {type: Prometheus, spec: {query: 'sum by (code) (rate(errors_total[5m]))'}}}, total: {metricSource: {type: Prometheus, spec: {query: requests_total}}}}`}),
			want:  []string{`SLO pay: spec.indicator.spec.ratioMetric.bad.metricSource.spec.query: "sum by (code) (rate(errors_total[5m]))" is not supported: Pledge needs a series selector such as metric{label="value"}, or sum(rate(selector[range])) of one`},
		},
		"other query fields": {
			input:    sloDoc(map[string]string{"indicator": `ratioMetric: {counter: true, bad: {metricSource: {type: Prometheus, spec: {query: errors_total, step: 60}}}, total: {metricSource: {type: Prometheus, spec: {query: requests_total}}}}`}),
			want:     []string{"SLO pay: spec.indicator.spec.ratioMetric.bad.metricSource.spec.step: not supported: Pledge reads spec.query only; ignored"},
			imported: true,
		},
		"quantile threshold": {
			input: sloDoc(map[string]string{
				"indicator":  `thresholdMetric: {metricSource: {type: Prometheus, spec: {query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'}}}`,
				"objectives": "    - {displayName: fast, op: lte, value: 0.3, target: 0.99}"}),
			want: []string{`SLO pay: spec.indicator.spec.thresholdMetric.metricSource.spec.query: "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))" is not supported: Pledge needs a series selector such as metric{label="value"}`},
		},
		"threshold on a gauge": {
			input: sloDoc(map[string]string{
				"indicator":  `thresholdMetric: {metricSource: {type: Prometheus, spec: {query: 'queue_depth{job="pay"}'}}}`,
				"objectives": "    - {displayName: short, op: lte, value: 100, target: 0.99}"}),
			want: []string{"SLO pay: spec.indicator.spec.thresholdMetric.metricSource.spec.query: a threshold metric maps only when it selects a classic histogram's _bucket series: Pledge latency objectives count the events within a bound from the histogram's buckets"},
		},
		"threshold above": {
			input: sloDoc(map[string]string{"indicator": latencyIndicator, "objectives": "    - {displayName: slow, op: gte, value: 0.3, target: 0.99}"}),
			want:  []string{"SLO pay: spec.objectives[0].op: gte is not supported: a latency objective counts events at or below a bound (lte)"},
		},
		"threshold strictly below": {
			input: sloDoc(map[string]string{"indicator": latencyIndicator, "objectives": "    - {displayName: fast, op: lt, value: 0.3, target: 0.99}"}),
			want:  []string{"SLO pay: spec.objectives[0].op: lt is not supported: histogram buckets count events at or below their bound; use lte"},
		},
		"threshold below a millisecond": {
			input: sloDoc(map[string]string{"indicator": latencyIndicator, "objectives": "    - {displayName: fast, op: lte, value: 0.0001, target: 0.99}"}),
			want:  []string{"SLO pay: spec.objectives[0].value: 0.0001 seconds is not a whole number of milliseconds"},
		},
		"target of 1": {
			input: sloDoc(map[string]string{"objectives": "    - {displayName: all, target: 1}"}),
			want:  []string{"SLO pay: spec.objectives[0]: target: 100.000000000% is not strictly between 0 and 100; objective not imported"},
		},
		"rolling months": {
			input:    sloDoc(map[string]string{"window": "{duration: 1M, isRolling: true}"}),
			want:     []string{`SLO pay: spec.timeWindow[0].duration: rolling window not supported: "1M": months, quarters and years have no fixed length; Pledge's default 30d applies`},
			imported: true,
		},
		"rolling hour": {
			input:    sloDoc(map[string]string{"window": "{duration: 1h, isRolling: true}"}),
			want:     []string{"SLO pay: spec.timeWindow[0].duration: 1h is not supported: Pledge windows are at least 1d; Pledge's default 30d applies"},
			imported: true,
		},
		"calendar week": {
			input:    sloDoc(map[string]string{"window": "{duration: 1w, calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}}"}),
			want:     []string{`SLO pay: spec.timeWindow[0].duration: calendar window "1w" is not supported: Pledge's calendar windows are 1M (month) and 1Q (quarter); Pledge's default rolling 30d applies`},
			imported: true,
		},
		"calendar mid-month start": {
			input:    sloDoc(map[string]string{"window": "{duration: 1M, calendar: {startTime: '2024-01-15 12:30:00', timeZone: Europe/Berlin}}"}),
			want:     []string{"SLO pay: spec.timeWindow[0].calendar.startTime: 2024-01-15 12:30:00 is not supported: Pledge's periods start at midnight on the first day of each month"},
			imported: true,
		},
		"fractional weight": {
			input: sloDoc(map[string]string{"objectives": `    - {displayName: a, target: 0.99, compositeWeight: 0.5}
    - {displayName: b, target: 0.95}`}),
			want:     []string{"SLO pay: spec.objectives[0].compositeWeight: 0.5 is not supported: Pledge weights are whole numbers from 0 to 1000; 1 is used"},
			imported: true,
		},
		"list label": {
			input:    sloDoc(map[string]string{"labels": "{team: [a, b]}"}),
			want:     []string{"SLO pay: metadata.labels.team: a list of values is not supported: Kubernetes labels have one value; not imported"},
			imported: true,
		},
		"unknown field": {
			input:    sloDoc(map[string]string{"unknown": "owner: someone"}),
			want:     []string{"SLO pay: spec.owner: not an OpenSLO v1 field; ignored"},
			imported: true,
		},
		"other version": {
			input: strings.Replace(sloDoc(nil), "openslo/v1", "openslo/v1alpha", 1),
			want:  []string{`SLO pay: apiVersion: "openslo/v1alpha" is not openslo/v1; document skipped`},
		},
		"missing SLI": {
			input: strings.Replace(sloDoc(nil), "  indicator:\n    metadata: {name: pay-good}\n    spec:\n      "+sloDefaults["indicator"], "  indicatorRef: nowhere", 1),
			want:  []string{`SLO pay: spec.indicatorRef: SLI "nowhere" is not among the documents`},
		},
		"unknown data source": {
			input: sloDoc(map[string]string{"indicator": `ratioMetric: {counter: true, bad: {metricSource: {metricSourceRef: prom, spec: {query: errors_total}}}, total: {metricSource: {metricSourceRef: prom, spec: {query: requests_total}}}}`}),
			want:  []string{`SLO pay: spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef: DataSource "prom" is not among the documents`},
		},
		"alert only on resolution": {
			input:    sloDoc(map[string]string{"policies": inlinePolicy("fast", "page", "gt", "14", "1h", "alertWhenBreaching: false")}),
			want:     []string{"SLO pay: spec.alertPolicies[0].spec.alertWhenBreaching: false is not supported: Pledge alerts while the budget burns; the policy's condition and targets are not imported"},
			imported: true,
		},
		"other severity": {
			input:    sloDoc(map[string]string{"policies": inlinePolicy("fast", "critical", "gt", "14", "1h", "")}),
			want:     []string{`SLO pay: spec.alertPolicies[0].spec.conditions[0].spec.severity: "critical" is not supported: Pledge alerts are page or ticket; condition not imported`},
			imported: true,
		},
		"burn rate below": {
			input:    sloDoc(map[string]string{"policies": inlinePolicy("fast", "page", "lte", "14", "1h", "")}),
			want:     []string{`SLO pay: spec.alertPolicies[0].spec.conditions[0].spec.condition.op: "lte" is not supported: a burn-rate alert fires when the rate exceeds the threshold (gt or gte); condition not imported`},
			imported: true,
		},
		"burn rate that cannot fire": {
			input:    sloDoc(map[string]string{"policies": inlinePolicy("slow", "ticket", "gt", "10", "3d", "")}),
			want:     []string{"SLO pay: spec.alertPolicies[0].spec.conditions[0].spec.condition.threshold: 10 over 3d spends the whole 28d budget: it can never fire; condition not imported"},
			imported: true,
		},
		"alert after a delay": {
			input:    sloDoc(map[string]string{"policies": strings.Replace(inlinePolicy("fast", "page", "gt", "14", "1h", ""), "lookbackWindow: 1h", "lookbackWindow: 1h, alertAfter: 5m", 1)}),
			want:     []string{"SLO pay: spec.alertPolicies[0].spec.conditions[0].spec.condition.alertAfter: 5m is not supported: Pledge confirms a burn with a short window instead of waiting; ignored"},
			imported: true,
		},
		"target without address": {
			input: sloDoc(map[string]string{"policies": inlinePolicy("fast", "page", "gt", "14", "1h",
				"notificationTargets: [{kind: AlertNotificationTarget, metadata: {name: team-slack}, spec: {target: slack}}]")}),
			want:     []string{`SLO pay: spec.alertPolicies[0].spec.notificationTargets[0].spec.target: "slack" names no address: Pledge maps an http(s) URL to a webhook and an e-mail address to e-mail; add this receiver to the EscalationPolicy by hand`},
			imported: true,
		},
		"five conditions": {
			input: sloDoc(map[string]string{"policies": inlinePolicy("p1", "page", "gt", "14", "1h", "") + inlinePolicy("p2", "page", "gt", "6", "6h", "") +
				inlinePolicy("p3", "page", "gt", "3", "1d", "") + inlinePolicy("p4", "page", "gt", "2", "2d", "") + inlinePolicy("t1", "ticket", "gt", "1", "3d", "")}),
			want:     []string{"AlertCondition p4: not imported: Pledge holds at most 4 window pairs"},
			imported: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			docs, fs, err := Read([]string{"-"}, strings.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			r := Import(docs, "shop")
			fs = append(fs, r.Findings...)
			var got []string
			for _, f := range fs {
				got = append(got, f.String())
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing finding %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if fs.Unsupported() == 0 {
				t.Error("nothing is reported as unsupported, so --strict would pass")
			}
			if imported := len(r.Standards) == 1; imported != tc.imported {
				t.Fatalf("imported = %v, want %v; findings:\n%s", imported, tc.imported, strings.Join(got, "\n"))
			}
			if !tc.imported {
				return
			}
			files, err := r.Files()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if problems, _ := Validate(f.Name, f.Data); len(problems) > 0 {
					t.Errorf("%s does not validate:\n%s\n%s", f.Name, strings.Join(problems, "\n"), f.Data)
				}
			}
		})
	}
}
