package board_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/board"
)

// rangeQuerier answers every range query with a fixed matrix and keeps the queries.
type rangeQuerier struct {
	m       model.Matrix
	queries []string
	ranges  []promv1.Range
}

func (q *rangeQuerier) Query(context.Context, string, time.Time) (model.Vector, error) {
	return nil, nil
}

func (q *rangeQuerier) QueryRange(_ context.Context, query string, r promv1.Range) (model.Matrix, error) {
	q.queries = append(q.queries, query)
	q.ranges = append(q.ranges, r)
	return q.m, nil
}

var now = time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)

func standard(ns, name, service string) *pledgev1.ServiceStandard {
	return &pledgev1.ServiceStandard{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)},
		Spec: pledgev1.ServiceStandardSpec{
			Service: service,
			Window:  "30d",
			Objectives: []pledgev1.Objective{{
				Name: "availability", Target: "99.9", Weight: 1,
				Ratio: &pledgev1.RatioIndicator{Errors: `http_requests_total{code=~"5.."}`, Total: "http_requests_total"},
			}},
		},
	}
}

func newBoard(t testing.TB, q *rangeQuerier, objs ...client.Object) http.Handler {
	t.Helper()
	s := runtime.NewScheme()
	if err := pledgev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := eventsv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).
		WithIndex(&eventsv1.Event{}, board.RegardingName, func(o client.Object) []string {
			return []string{o.(*eventsv1.Event).Regarding.Name}
		}).Build()
	o := board.Options{Now: func() time.Time { return now }}
	if q == nil {
		return board.New(c, nil, o)
	}
	return board.New(c, q, o)
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestUserTextIsEscaped(t *testing.T) {
	std := standard("shop", "checkout", `<script>alert("service")</script>`)
	std.Spec.Description = `<img src=x onerror="alert('description')">`
	std.Spec.Objectives[0].Description = `</td><b>objective</b>`
	std.Status.Conditions = []metav1.Condition{{Type: pledgev1.ConditionReady, Status: metav1.ConditionFalse, Reason: "ApplyFailed", Message: `<iframe src="x">`}}
	ev := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "checkout.1"},
		Regarding:  corev1Ref("checkout", "uid-checkout"),
		Reason:     "ObjectiveBreached", Type: "Warning", Note: `<a href="javascript:alert(1)">note</a>`,
		EventTime: metav1.NewMicroTime(now.Add(-time.Minute)), ReportingController: "pledge", ReportingInstance: "pledge", Action: "Poll",
	}
	h := newBoard(t, &rangeQuerier{}, std, ev)
	for _, path := range []string{"/", "/standards/shop/checkout"} {
		code, body := get(t, h, path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, code, body)
		}
		for _, raw := range []string{`<script>alert("service")</script>`, `<img src=x`, `<b>objective</b>`, `<iframe`, `<a href="javascript:`} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: the page holds %q unescaped", path, raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;service&#34;)&lt;/script&gt;") {
			t.Errorf("GET %s: the service name is not shown escaped", path)
		}
	}
	_, body := get(t, h, "/standards/shop/checkout")
	for _, want := range []string{"&lt;img src=x onerror=", "&lt;/td&gt;&lt;b&gt;objective&lt;/b&gt;", "&lt;iframe src=", "&lt;a href=&#34;javascript:alert(1)&#34;&gt;note&lt;/a&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the standard page does not show %q", want)
		}
	}
}

func corev1Ref(name, uid string) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: "ServiceStandard", APIVersion: "pledge.dev/v1alpha1", Namespace: "shop", Name: name, UID: types.UID(uid)}
}

func TestNoDataStandard(t *testing.T) {
	std := standard("shop", "quiet", "quiet")
	for name, q := range map[string]*rangeQuerier{
		"empty matrix":    {},
		"no query API":    nil,
		"no events (NaN)": {m: model.Matrix{{Metric: model.Metric{"objective": "availability"}, Values: []model.SamplePair{{Timestamp: model.TimeFromUnixNano(now.Add(-time.Hour).UnixNano()), Value: model.SampleValue(math.NaN())}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			code, body := get(t, newBoard(t, q, std), "/standards/shop/quiet")
			if code != http.StatusOK {
				t.Fatalf("status %d\n%s", code, body)
			}
			if !strings.Contains(body, `id="budget-nodata"`) || !strings.Contains(body, "No data:") {
				t.Errorf("the page does not say no data:\n%s", body)
			}
			if strings.Contains(body, "<polyline") || strings.Contains(body, `id="budget-chart"`) {
				t.Error("a standard without data has a chart")
			}
			if !strings.Contains(body, "Unmeasured") {
				t.Error("the standard's state is not Unmeasured")
			}
		})
	}
	_, overview := get(t, newBoard(t, nil, std), "/")
	if !strings.Contains(overview, `href="/standards/shop/quiet"`) || !strings.Contains(overview, "Unmeasured") {
		t.Errorf("the overview does not list the unmeasured standard:\n%s", overview)
	}
}

func TestBudgetChart(t *testing.T) {
	std := standard("shop", "checkout", "checkout")
	std.Status.Objectives = []pledgev1.ObjectiveStatus{{Name: "availability", Target: "99.9", Attainment: "99.950", ErrorBudgetRemaining: "50.0", State: pledgev1.StateMet,
		BurnRates: []pledgev1.BurnRate{{Window: "1h", Value: "20.00"}, {Window: "5m", Value: "30.00"}, {Window: "6h", Value: "1.00"}, {Window: "30m", Value: "8.00"}}}}
	var values []model.SamplePair
	for i := 3; i >= 1; i-- {
		// Bad-event shares of 0.0005, 0.00025, 0: 50%, 75% and 100% of a 0.1% budget left.
		values = append(values, model.SamplePair{Timestamp: model.TimeFromUnixNano(now.Add(-time.Duration(i) * 6 * time.Hour).UnixNano()), Value: model.SampleValue(0.00025 * float64(i-1))})
	}
	q := &rangeQuerier{m: model.Matrix{{Metric: model.Metric{"objective": "availability"}, Values: values}}}
	code, body := get(t, newBoard(t, q, std), "/standards/shop/checkout")
	if code != http.StatusOK {
		t.Fatalf("status %d\n%s", code, body)
	}
	if len(q.queries) != 1 {
		t.Fatalf("%d range queries, want one per chart", len(q.queries))
	}
	want := `sum_over_time(pledge:objective_errors:increase1h{namespace="shop",service_standard="checkout"}[30d]) / sum_over_time(pledge:objective_events:increase1h{namespace="shop",service_standard="checkout"}[30d])`
	if q.queries[0] != want {
		t.Errorf("query\n%s\nwant\n%s", q.queries[0], want)
	}
	if r := q.ranges[0]; r.Step != 6*time.Hour || r.End.Sub(r.Start) != 30*24*time.Hour {
		t.Errorf("range %s to %s step %s; want 30d at a 6h step", r.Start, r.End, r.Step)
	}
	points := regexp.MustCompile(`<polyline [^>]*points="([^"]*)"`).FindStringSubmatch(body)
	if points == nil || len(strings.Fields(points[1])) != 3 {
		t.Fatalf("want one polyline of 3 points, got %q", points)
	}
	// The last point is 100% left: the top of the plot (y = Top = 12); the first, 50%, halfway.
	ys := []string{}
	for _, p := range strings.Fields(points[1]) {
		ys = append(ys, p[strings.Index(p, ",")+1:])
	}
	if ys[2] != "12" || ys[0] != "122" {
		t.Errorf("y of the points %v, want 122 (50%%) … 12 (100%%)", ys)
	}
	if !strings.Contains(body, `<span class="last">100.0%</span>`) {
		t.Error("the legend does not show the last value")
	}
	// page-fast (14.4x over 1h and 5m) fires: both burn rates are above it; page-slow (6x) does not.
	if n := strings.Count(body, `<tr class="firing">`); n != 1 {
		t.Errorf("%d firing pairs shown, want 1 (page-fast)", n)
	}
}

func TestOverviewFilters(t *testing.T) {
	a := standard("shop", "checkout", "checkout")
	a.Status.Objectives = []pledgev1.ObjectiveStatus{{Name: "availability", State: pledgev1.StateAtRisk}}
	a.Status.Score, a.Status.ErrorBudgetRemaining = "99.92", "20.0"
	a.Status.Conditions = []metav1.Condition{
		{Type: pledgev1.ConditionReady, Status: metav1.ConditionTrue}, {Type: pledgev1.ConditionBudgetExhausted, Status: metav1.ConditionFalse},
	}
	b := standard("shop", "search", "search")
	b.Status.Objectives = []pledgev1.ObjectiveStatus{{Name: "availability", State: pledgev1.StateMet}}
	c := standard("ops", "pager", "pager")
	h := newBoard(t, nil, a, b, c)
	for path, want := range map[string][]string{
		"/":                                {"shop/checkout", "shop/search", "ops/pager"},
		"/?namespace=shop":                 {"shop/checkout", "shop/search"},
		"/?state=AtRisk":                   {"shop/checkout"},
		"/?namespace=ops&state=AtRisk":     {},
		"/?namespace=ops&state=Unmeasured": {"ops/pager"},
	} {
		code, body := get(t, h, path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		var got []string
		for _, m := range regexp.MustCompile(`<a href="/standards/([^"]+)">`).FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, " ") != strings.Join(sorted(want), " ") {
			t.Errorf("GET %s lists %v, want %v", path, got, sorted(want))
		}
	}
	_, body := get(t, h, "/?state=AtRisk")
	if !strings.Contains(body, `href="/?namespace=shop&amp;state=AtRisk"`) {
		t.Error("the namespace filter links do not keep the state filter")
	}
	if !strings.Contains(body, `<td class="num score">99.92%</td>`) || !strings.Contains(body, `<td class="num budget">20.0%</td>`) {
		t.Error("the overview does not show score and budget")
	}
	if code, _ := get(t, h, "/standards/shop/nothing"); code != http.StatusNotFound {
		t.Errorf("a missing standard gives %d, want 404", code)
	}
}

// sorted is the order of the overview: by namespace, then name.
func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestCalendarStandard(t *testing.T) {
	std := standard("shop", "monthly", "monthly")
	std.Spec.Window, std.Spec.Calendar = "", &pledgev1.CalendarWindow{Period: pledgev1.CalendarMonth}
	day := func(m time.Month, d int) metav1.Time {
		return metav1.NewTime(time.Date(2026, m, d, 0, 0, 0, 0, time.UTC))
	}
	std.Status.Periods = []pledgev1.Period{
		{Start: day(9, 1), End: day(10, 1), Attainment: "99.95", Met: true},
		{Start: day(8, 1), End: day(9, 1), Attainment: "99.10", Met: false},
	}
	q := &rangeQuerier{}
	_, body := get(t, newBoard(t, q, std), "/standards/shop/monthly")
	for _, want := range []string{"calendar month (UTC)", "Closed periods",
		"<td>2026-09-01</td><td>2026-10-01</td><td class=\"num\">99.95%</td><td><span class=\"state good\">met</span>",
		"<td>2026-08-01</td><td>2026-09-01</td><td class=\"num\">99.10%</td><td><span class=\"state bad\">missed</span>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	// October 2026 has 31 days: the chart spans the current period's length.
	if len(q.ranges) != 1 || q.ranges[0].End.Sub(q.ranges[0].Start) != 31*24*time.Hour || !strings.Contains(q.queries[0], "[31d]") {
		t.Errorf("range queries %q over %v, want one over 31d", q.queries, q.ranges)
	}
}

// TestGroupedValues: the page of a standard with a grouped objective lists the worst values
// the status holds, with their labels (escaped), attainment, budget left and state, and how
// many values there are.
func TestGroupedValues(t *testing.T) {
	std := standard("shop", "api", "api")
	std.Spec.Objectives[0].GroupBy = []string{"route", "method"}
	std.Status.Objectives = []pledgev1.ObjectiveStatus{{Name: "availability", Target: "99.9", Attainment: "98.000", ErrorBudgetRemaining: "-1900.0",
		State: pledgev1.StateBreached, ValueCount: 7, Values: []pledgev1.ValueStatus{
			{Labels: map[string]string{"route": "/pay", "method": "POST"}, Attainment: "98.000", ErrorBudgetRemaining: "-1900.0", State: pledgev1.StateBreached},
			{Labels: map[string]string{"route": "<b>/cart</b>", "method": "GET"}, Attainment: "99.950", ErrorBudgetRemaining: "50.0", State: pledgev1.StateMet},
		}}}
	code, body := get(t, newBoard(t, &rangeQuerier{}, std), "/standards/shop/api")
	if code != http.StatusOK {
		t.Fatalf("status %d\n%s", code, body)
	}
	for _, want := range []string{"Worst 2 of 7 values", "method=POST, route=/pay", "method=GET, route=&lt;b&gt;/cart&lt;/b&gt;", "-1900.0%", "99.950%"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>/cart</b>") {
		t.Error("a label value is shown unescaped")
	}
	if n := strings.Count(body, `<tr class="value">`); n != 2 {
		t.Errorf("%d value rows, want 2", n)
	}
}
