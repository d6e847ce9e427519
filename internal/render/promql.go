package render

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

var promParser = parser.NewParser(parser.Options{})

// parseSelector checks that s is a plain instant-vector selector (no functions, ranges,
// offsets or @) and returns it.
func parseSelector(s string) (*parser.VectorSelector, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("must not be empty")
	}
	expr, err := promParser.ParseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("invalid PromQL: %s", oneLine(err.Error()))
	}
	vs, ok := expr.(*parser.VectorSelector)
	if !ok {
		return nil, fmt.Errorf("must be a series selector such as metric{label=\"value\"}, not a %s expression", describe(expr))
	}
	if vs.OriginalOffset != 0 || vs.Timestamp != nil || vs.StartOrEnd != 0 {
		return nil, fmt.Errorf("must not use offset or @ modifiers")
	}
	return vs, nil
}

func describe(e parser.Expr) string {
	switch e.(type) {
	case *parser.Call:
		return "function call"
	case *parser.BinaryExpr:
		return "binary"
	case *parser.AggregateExpr:
		return "aggregation"
	case *parser.MatrixSelector:
		return "range"
	case *parser.SubqueryExpr:
		return "subquery"
	case *parser.NumberLiteral, *parser.StringLiteral:
		return "literal"
	default:
		return string(e.Type())
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// MetricName returns the selector's metric name, if it selects one by equality.
func MetricName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// WithName returns the selector text for another metric name plus extra matchers.
func WithName(vs *parser.VectorSelector, name string, extra ...*labels.Matcher) string {
	out := &parser.VectorSelector{}
	if model.LegacyValidation.IsValidMetricName(name) {
		// The printer writes Name unquoted; other names stay in the quoted __name__ matcher.
		out.Name = name
	}
	out.LabelMatchers = append(out.LabelMatchers, labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, name))
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel {
			continue
		}
		out.LabelMatchers = append(out.LabelMatchers, m)
	}
	out.LabelMatchers = append(out.LabelMatchers, extra...)
	return out.String()
}

// leMatcher matches the bucket bound of a classic histogram whichever way it was written:
// Prometheus 3 stores le="0.3" / le="14400.0", older versions and some exporters le="14400".
func leMatcher(seconds float64) *labels.Matcher {
	g := strconv.FormatFloat(seconds, 'g', -1, 64)
	re := regexp.QuoteMeta(g)
	if !strings.ContainsAny(g, ".eEIN") {
		re += `(\.0)?`
	}
	return labels.MustNewMatcher(labels.MatchRegexp, "le", re)
}

type labelsMatcher = labels.Matcher

func mustMatcher(name, value string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchEqual, name, value)
}

// fallbackRange is the range the recorded rates fall back to for an objective whose series
// are sampled every interval (zero when none is declared, meaning 5m or less): at least 20m,
// and four declared intervals.
func fallbackRange(interval time.Duration) time.Duration { return max(fallbackWindow, 4*interval) }

// sumBy is the aggregation that keeps the labels by: "sum", or "sum by (route) " for an
// objective grouped by route.
func sumBy(by []string) string {
	if len(by) == 0 {
		return "sum"
	}
	return "sum by (" + strings.Join(by, ", ") + ") "
}

// counterRate is the summed per-second rate of the counters sel selects over 5m or, where no
// series holds two samples within 5m (a series sampled every 5m), over the fallback range fb.
// Both ranges estimate the same per-second rate, so the recorded series stays one quantity
// whichever side yields it. The sum keeps the labels by, and "or" then falls back for each of
// their values on its own.
func counterRate(sel string, fb time.Duration, by []string) string {
	sum := sumBy(by)
	return fmt.Sprintf("(%s(rate(%s[5m])) or %s(rate(%s[%s])))", sum, sel, sum, sel, promDuration(fb))
}

// nativeRates are, for a native histogram of durations, the per-second rates of all
// observations and of those above threshold, over 5m or, where 5m holds no two samples, over the
// fallback range fb: histogram_count of the summed rate, and that count times the share above the
// threshold (histogram_fraction, interpolated within the threshold's bucket).
func nativeRates(sel string, threshold, fb time.Duration, by []string) (events, errors string) {
	per := func(r string) (string, string) {
		h := fmt.Sprintf("%s(rate(%s[%s]))", sumBy(by), sel, r)
		return fmt.Sprintf("histogram_count(%s)", h),
			fmt.Sprintf("histogram_count(%s) * (1 - histogram_fraction(0, %s, %s))", h, formatFloat(threshold.Seconds()), h)
	}
	e5, b5 := per("5m")
	ef, bf := per(promDuration(fb))
	return fmt.Sprintf("(%s or %s)", e5, ef), fmt.Sprintf("(%s or %s)", b5, bf)
}

// sampleRate is, for 0/1 samples, the per-second rate of all samples and of bad (0) samples
// over 5m; with a declared interval longer than 5m, over the fallback range where 5m is empty.
func sampleRates(sel string, interval time.Duration, by []string) (events, errors string) {
	sum := sumBy(by)
	per := func(r time.Duration) (string, string) {
		d, s := promDuration(r), formatFloat(r.Seconds())
		count := fmt.Sprintf("%s(count_over_time(%s[%s]))", sum, sel, d)
		return fmt.Sprintf("%s / %s", count, s), fmt.Sprintf("(%s - %s(sum_over_time(%s[%s]))) / %s", count, sum, sel, d, s)
	}
	events, errors = per(baseWindow)
	if interval > baseWindow {
		e, b := per(fallbackRange(interval))
		events, errors = "("+events+" or "+e+")", "("+errors+" or "+b+")"
	}
	return events, errors
}
