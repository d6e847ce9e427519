package openslo

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/render"
)

var promParser = parser.NewParser(parser.Options{})

// indicator is an OpenSLO SLI where it is found: inline in the SLO or objective, or an SLI
// document named by indicatorRef (then findings go to that document).
type indicator struct {
	sli    *InlineSLI
	object string // the object findings go to
	path   string // the SLI's path within it ("spec.indicator", or "" for an SLI document)
}

func (in indicator) at(p string) string {
	if in.path == "" {
		return p
	}
	return in.path + "." + p
}

// mapped is a Pledge indicator.
type mapped struct {
	ratio   *pledgev1.RatioIndicator
	latency *pledgev1.LatencyIndicator
	boolean *pledgev1.BoolIndicator
}

// mapIndicator turns an SLI and its objective's op and value into a Pledge indicator.
// objObject/objPath locate the objective for findings about op and value.
func (im *importer) mapIndicator(in indicator, o Objective, objPath string) (mapped, bool) {
	spec := in.sli.Spec
	if in.sli.Metadata.DisplayName != "" {
		im.fs.note(in.object, in.at("metadata.displayName"), "not imported: objectives have no display name")
	}
	switch {
	case spec.RatioMetric != nil && spec.ThresholdMetric != nil:
		im.fs.add(in.object, in.at("spec"), "set either ratioMetric or thresholdMetric, not both")
		return mapped{}, false
	case spec.RatioMetric != nil:
		if o.Op != "" || o.Value != nil {
			im.fs.add(im.object, objPath+".op", "op and value apply to thresholdMetric indicators; ignored for a ratioMetric")
		}
		return im.mapRatio(in, spec.RatioMetric)
	case spec.ThresholdMetric != nil:
		return im.mapThreshold(in, spec.ThresholdMetric, o, objPath)
	default:
		im.fs.add(in.object, in.at("spec"), "the SLI has neither ratioMetric nor thresholdMetric")
		return mapped{}, false
	}
}

func (im *importer) mapRatio(in indicator, r *RatioMetric) (mapped, bool) {
	p := in.at("spec.ratioMetric")
	if r.Raw != nil {
		if r.Good != nil || r.Bad != nil || r.Total != nil {
			im.fs.add(in.object, p, "raw cannot be combined with good, bad or total")
			return mapped{}, false
		}
		if r.RawType != "success" {
			im.fs.add(in.object, p+".rawType", fmt.Sprintf("%q is not supported: Pledge reads precomputed success ratios (rawType success) only", r.RawType))
			return mapped{}, false
		}
		sel, ok := im.selector(in.object, p+".raw", r.Raw, false)
		if !ok {
			return mapped{}, false
		}
		im.fs.note(in.object, p+".raw", "each sample of the raw success ratio counts as one event (a bool indicator), so the objective averages the samples")
		return mapped{boolean: &pledgev1.BoolIndicator{Selector: pledgev1.PromQLSelector(sel)}}, true
	}
	if r.RawType != "" {
		im.fs.add(in.object, p+".rawType", "applies to raw only; ignored")
	}
	if r.Counter != nil && !*r.Counter {
		im.fs.add(in.object, p+".counter", "false is not supported: Pledge rates counters of events, a gauge of counts cannot be rated")
		return mapped{}, false
	}
	if r.Counter == nil {
		im.fs.note(in.object, p+".counter", "not set; the queries are read as counters")
	}
	if r.Total == nil || (r.Good == nil) == (r.Bad == nil) {
		im.fs.add(in.object, p, "needs total and exactly one of good or bad")
		return mapped{}, false
	}
	total, ok := im.selector(in.object, p+".total", r.Total, true)
	if !ok {
		return mapped{}, false
	}
	out := &pledgev1.RatioIndicator{Total: pledgev1.PromQLSelector(total)}
	if r.Good != nil {
		good, ok := im.selector(in.object, p+".good", r.Good, true)
		if !ok {
			return mapped{}, false
		}
		out.Good = pledgev1.PromQLSelector(good)
	} else {
		bad, ok := im.selector(in.object, p+".bad", r.Bad, true)
		if !ok {
			return mapped{}, false
		}
		out.Errors = pledgev1.PromQLSelector(bad)
	}
	return mapped{ratio: out}, true
}

func (im *importer) mapThreshold(in indicator, m *Metric, o Objective, objPath string) (mapped, bool) {
	p := in.at("spec.thresholdMetric")
	sel, ok := im.selector(in.object, p, m, false)
	if !ok {
		return mapped{}, false
	}
	vs, _ := promParser.ParseExpr(sel)
	name := render.MetricName(vs.(*parser.VectorSelector))
	base, isBucket := strings.CutSuffix(name, "_bucket")
	if !isBucket || base == "" {
		im.fs.add(in.object, p+".metricSource.spec.query", "a threshold metric maps only when it selects a classic histogram's _bucket series: "+
			"Pledge latency objectives count the events within a bound from the histogram's buckets")
		return mapped{}, false
	}
	for _, lm := range vs.(*parser.VectorSelector).LabelMatchers {
		if lm.Name == "le" {
			im.fs.add(in.object, p+".metricSource.spec.query", "must not match le: the objective's value chooses the bucket")
			return mapped{}, false
		}
	}
	switch o.Op {
	case "lte":
	case "lt":
		im.fs.add(im.object, objPath+".op", "lt is not supported: histogram buckets count events at or below their bound; use lte")
		return mapped{}, false
	case "":
		im.fs.add(im.object, objPath+".op", "a threshold metric needs op lte")
		return mapped{}, false
	default:
		im.fs.add(im.object, objPath+".op", fmt.Sprintf("%s is not supported: a latency objective counts events at or below a bound (lte)", o.Op))
		return mapped{}, false
	}
	if o.Value == nil {
		im.fs.add(im.object, objPath+".value", "a threshold metric needs the bound as value")
		return mapped{}, false
	}
	d, err := secondsDuration(*o.Value)
	if err != nil {
		im.fs.add(im.object, objPath+".value", err.Error())
		return mapped{}, false
	}
	im.fs.note(im.object, objPath+".value", "read in seconds, the unit of Prometheus histograms; it must be one of the histogram's bucket bounds")
	hist := render.WithName(vs.(*parser.VectorSelector), base)
	return mapped{latency: &pledgev1.LatencyIndicator{Histogram: pledgev1.PromQLSelector(hist), Threshold: pledgev1.PromDuration(promDuration(d))}}, true
}

// selector reads a metric source's Prometheus query as a series selector. With counter set,
// a query that sums the rate or increase of one selector also maps: Pledge takes the rate of
// the counters it selects itself, so the selector is what it needs.
func (im *importer) selector(object, p string, m *Metric, counter bool) (string, bool) {
	src := m.MetricSource
	sp := p + ".metricSource"
	typ := src.Type
	if typ == "" && src.MetricSourceRef != "" {
		ds, ok := im.dataSources[src.MetricSourceRef]
		if !ok {
			im.fs.add(object, sp+".metricSourceRef", fmt.Sprintf("DataSource %q is not among the documents", src.MetricSourceRef))
			return "", false
		}
		typ = ds.Type
	}
	if typ == "" {
		im.fs.note(object, sp+".type", "not set; the query is read as PromQL")
	} else if !strings.EqualFold(typ, "prometheus") {
		im.fs.add(object, sp+".type", fmt.Sprintf("%q is not supported: Pledge reads Prometheus queries", typ))
		return "", false
	}
	keys := make([]string, 0, len(src.Spec))
	for k := range src.Spec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "query" {
			im.fs.add(object, sp+".spec."+k, "not supported: Pledge reads spec.query only; ignored")
		}
	}
	q, ok := src.Spec["query"].(string)
	if !ok || strings.TrimSpace(q) == "" {
		im.fs.add(object, sp+".spec.query", "a Prometheus query is required")
		return "", false
	}
	expr, err := promParser.ParseExpr(q)
	if err != nil {
		im.fs.add(object, sp+".spec.query", "invalid PromQL: "+strings.Join(strings.Fields(err.Error()), " "))
		return "", false
	}
	vs, unwrapped := counterSelector(expr)
	if vs == nil || (unwrapped && !counter) {
		want := "a series selector such as metric{label=\"value\"}"
		if counter {
			want += ", or sum(rate(selector[range])) of one"
		}
		im.fs.add(object, sp+".spec.query", fmt.Sprintf("%q is not supported: Pledge needs %s", q, want))
		return "", false
	}
	if vs.OriginalOffset != 0 || vs.Timestamp != nil || vs.StartOrEnd != 0 {
		im.fs.add(object, sp+".spec.query", "offset and @ modifiers are not supported")
		return "", false
	}
	if render.MetricName(vs) == "" {
		im.fs.add(object, sp+".spec.query", "the selector must name its metric")
		return "", false
	}
	sel := vs.String()
	if unwrapped {
		im.fs.note(object, sp+".spec.query", fmt.Sprintf("read as the counter %s: Pledge takes its rate itself", sel))
	}
	return sel, true
}

// counterSelector returns the selector of a query that is one, or that is rate() or increase()
// of one, optionally inside sum() without grouping.
func counterSelector(e parser.Expr) (*parser.VectorSelector, bool) {
	e = unparen(e)
	if vs, ok := e.(*parser.VectorSelector); ok {
		return vs, false
	}
	if agg, ok := e.(*parser.AggregateExpr); ok {
		if agg.Op != parser.SUM || len(agg.Grouping) > 0 || agg.Without {
			return nil, false
		}
		e = unparen(agg.Expr)
	}
	call, ok := e.(*parser.Call)
	if !ok || (call.Func.Name != "rate" && call.Func.Name != "increase") || len(call.Args) != 1 {
		return nil, false
	}
	ms, ok := unparen(call.Args[0]).(*parser.MatrixSelector)
	if !ok {
		return nil, false
	}
	vs, ok := ms.VectorSelector.(*parser.VectorSelector)
	return vs, ok
}

func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// number is a JSON number as written.
func number(s string) *json.Number { n := json.Number(s); return &n }
