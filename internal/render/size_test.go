package render_test

// The CRD caps what a standard may hold so that what it generates fits in etcd. These tests
// build the largest standards the CRD accepts, on the whole frontier of its size rule (every
// number of added window pairs and tiers, with as many objectives as the rule then allows, of
// every indicator kind, every string at its maximum length), check that the CRD accepts them
// and refuses one unit more, and measure the generated objects.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/internal/render"
)

// sizeUnits is the CRD's budget: expanded objectives × (6 + added window pairs + tiers).
const sizeUnits = 180

// headroom: the largest accepted standard renders at most this share of etcd's limit.
const headroom = 0.7

// largest describes one standard at the CRD's maxima.
type largest struct {
	expanded  int    // objectives after graded expansion
	indicator string // ratio, latency, graded, bool
	windows   int    // added window pairs (page)
	tiers     int    // inline tiers; -1: policyRef
	// over breaks one maximum by one, to prove that it is the maximum: "" none.
	over string
}

// pad returns prefix filled up to n characters.
func pad(prefix string, n int) string {
	if len(prefix) >= n {
		return prefix
	}
	return prefix + strings.Repeat("x", n-len(prefix))
}

// selector returns a valid PromQL selector of exactly n characters.
func selector(metric string, n int) string {
	s := metric + `{l=""}`
	return metric + `{l="` + strings.Repeat("v", n-len(s)) + `"}`
}

func (l largest) yaml() string {
	var b strings.Builder
	more := func(what string) int {
		if l.over == what {
			return 1
		}
		return 0
	}
	fmt.Fprintf(&b, "apiVersion: pledge.dev/v1alpha1\nkind: ServiceStandard\nmetadata: {name: %s, namespace: %s}\nspec:\n", pad("s", 63), pad("n", 63))
	fmt.Fprintf(&b, "  service: %s\n  description: %s\n  window: 30d\n", pad("svc", 128), pad("d", 1024))
	b.WriteString("  objectives:\n")
	for n, i := 0, 0; n < l.expanded+more("objectives"); i++ {
		name := pad(fmt.Sprintf("o%d-", i), 63)
		if l.indicator == "graded" {
			name = pad(fmt.Sprintf("o%d-", i), 42) // with "-<class>" at most 63
		}
		fmt.Fprintf(&b, "    - name: %s\n      description: %s\n      target: \"99.999999999\"\n      weight: 1000\n      sampleInterval: 15m\n", name, pad("d", 512))
		switch l.indicator {
		case "ratio":
			fmt.Fprintf(&b, "      ratio: {errors: '%s', total: '%s'}\n", selector("errors_total", 1024), selector("requests_total", 1024))
			n++
		case "latency":
			fmt.Fprintf(&b, "      latency: {histogram: '%s', threshold: 300ms}\n", selector("duration_seconds", 1024))
			n++
		case "bool":
			fmt.Fprintf(&b, "      bool: {selector: '%s'}\n", selector("probe_success", 1024))
			n++
		case "graded":
			classes := min(10, l.expanded+more("objectives")-n)
			var cs []string
			for c := range classes {
				cs = append(cs, pad(fmt.Sprintf("c%d-", c), 20)+": 1h")
			}
			fmt.Fprintf(&b, "      latency: {histogram: '%s', graded: {label: %s, thresholds: {%s}}}\n",
				selector("duration_seconds", 1024), pad("p", 63), strings.Join(cs, ", "))
			n += classes
		}
	}
	fmt.Fprintf(&b, "  alerting:\n    runbookURL: %s\n    minEvents: 9223372036854775807\n    keepFiringFor: 1d\n    noData: {after: 1d}\n",
		pad("https://runbooks.example.com/", 512+more("runbook")))
	var labels []string
	for i := range 10 + more("labels") {
		labels = append(labels, pad(fmt.Sprintf("l%d_", i), 63)+": "+pad("v", 128+more("label value")))
	}
	fmt.Fprintf(&b, "    labels: {%s}\n", strings.Join(labels, ", "))
	if w := l.windows + more("windows"); w > 0 {
		b.WriteString("    windows:\n")
		for i := range w {
			fmt.Fprintf(&b, "      - {name: %s, severity: page, long: %dh, short: 5m, budgetPercent: \"1.000000001\"}\n", pad(fmt.Sprintf("w%d-", i), 40), i+2)
		}
	}
	switch {
	case l.tiers < 0:
		b.WriteString("  escalation: {policyRef: {name: payments}}\n---\napiVersion: pledge.dev/v1alpha1\nkind: EscalationPolicy\n")
		fmt.Fprintf(&b, "metadata: {name: payments, namespace: %s}\nspec:\n", pad("n", 63))
		l.writeTiers(&b, 5+more("tiers"), "  ")
	case l.tiers > 0:
		b.WriteString("  escalation:\n")
		l.writeTiers(&b, l.tiers+more("tiers"), "    ")
	}
	return b.String()
}

func (l largest) writeTiers(b *strings.Builder, n int, indent string) {
	b.WriteString(indent + "tiers:\n")
	for i := range n {
		fmt.Fprintf(b, "%s  - {name: %s, after: %dm, receivers: [{name: r, webhookConfigs: [{url: \"http://pager.example.com/hook\"}]}]}\n",
			indent, pad(fmt.Sprintf("t%d-", i), 40), i*10)
	}
}

// load runs the document through what pledge validate runs: the CRD, then Resolve.
func (l largest) load(t *testing.T) (*render.Standard, []manifest.Problem) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "largest.yaml")
	if err := os.WriteFile(file, []byte(l.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	set, problems := manifest.Load([]string{file}, nil)
	if len(problems) > 0 {
		return nil, problems
	}
	standards, problems := set.Resolve()
	if len(problems) > 0 {
		return nil, problems
	}
	return standards[0], nil
}

// frontier lists the largest standards: for each number of added window pairs and tiers, as
// many objectives as the size rule allows (at most 50 objectives of 10 graded classes).
func frontier() []largest {
	var out []largest
	for windows := 0; windows <= 4; windows++ {
		for tiers := -1; tiers <= 5; tiers++ {
			t := max(tiers, 0)
			if tiers < 0 {
				t = 5
			}
			expanded := sizeUnits / (6 + windows + t)
			for _, ind := range []string{"ratio", "latency", "bool", "graded"} {
				out = append(out, largest{expanded: expanded, indicator: ind, windows: windows, tiers: tiers})
			}
		}
	}
	return out
}

func TestLargestAcceptedStandardsFitInEtcd(t *testing.T) {
	biggest, biggestName, biggestFile := 0, "", 0
	for _, l := range frontier() {
		name := fmt.Sprintf("%d %s objectives, %d added window pairs, %d tiers", l.expanded, l.indicator, l.windows, l.tiers)
		s, problems := l.load(t)
		if problems != nil {
			t.Errorf("%s: refused: %v", name, problems)
			continue
		}
		pr := s.PrometheusRule()
		b, err := json.Marshal(pr)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > biggest {
			biggest, biggestName = len(b), name
		}
		if limit := headroom * render.EtcdLimit; float64(len(b)) > limit {
			t.Errorf("%s: PrometheusRule is %d bytes, more than %.0f%% of etcd's %d", name, len(b), 100*headroom, render.EtcdLimit)
		}
		if err := s.CheckSizes(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if bound := render.PrometheusRuleBound(s); bound < len(b) {
			t.Errorf("%s: the PrometheusRule's bound %d is below its %d bytes", name, bound, len(b))
		}
		// The configmaps target's rule ConfigMap holds the plain rule file: within the API
		// server's 1 MiB of data too.
		cm, err := s.RulesConfigMap(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := render.CheckDataSize("ConfigMap", cm.Name, cm.Data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if n := len(cm.Data[s.RulesFileKey()]); n > biggestFile {
			biggestFile = n
		}
	}
	t.Logf("largest PrometheusRule: %d bytes (%.0f%% of etcd's limit), from %s; largest rule file %d bytes (%.0f%% of a ConfigMap's)",
		biggest, 100*float64(biggest)/render.EtcdLimit, biggestName, biggestFile, 100*float64(biggestFile)/render.MaxDataBytes)
}

// TestSizeMaximaAreTheCRDs: one more of anything the largest standards hold is refused, so the
// frontier above really is the largest the CRD accepts.
func TestSizeMaximaAreTheCRDs(t *testing.T) {
	cases := map[string]struct {
		l     largest
		field string
	}{
		"objectives":                {largest{expanded: sizeUnits / 6, indicator: "ratio", over: "objectives"}, "spec"},
		"graded classes":            {largest{expanded: sizeUnits / 6, indicator: "graded", over: "objectives"}, "spec"},
		"objectives with tiers":     {largest{expanded: sizeUnits / 11, indicator: "bool", tiers: 5, over: "objectives"}, "spec"},
		"objectives with policyRef": {largest{expanded: sizeUnits / 11, indicator: "bool", tiers: -1, over: "objectives"}, "spec"},
		"objectives with windows":   {largest{expanded: sizeUnits / 10, indicator: "bool", windows: 4, over: "objectives"}, "spec"},
		"window pairs":              {largest{expanded: 1, indicator: "bool", windows: 4, over: "windows"}, "spec.alerting.windows"},
		"inline tiers":              {largest{expanded: 1, indicator: "bool", tiers: 5, over: "tiers"}, "spec.escalation.tiers"},
		"policy tiers":              {largest{expanded: 1, indicator: "bool", tiers: -1, over: "tiers"}, "spec.tiers"},
		"alert labels":              {largest{expanded: 1, indicator: "bool", over: "labels"}, "spec.alerting.labels"},
		"alert label value length":  {largest{expanded: 1, indicator: "bool", over: "label value"}, "spec.alerting.labels"},
		"runbook URL length":        {largest{expanded: 1, indicator: "bool", over: "runbook"}, "spec.alerting.runbookURL"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, problems := tc.l.load(t)
			for _, p := range problems {
				// On spec, the size rule (other rules there are about windows and calendars).
				if p.Field == tc.field && (p.Field != "spec" || strings.Contains(p.Reason, "too large")) {
					return
				}
			}
			t.Errorf("one more is not refused on %s: %v", tc.field, problems)
		})
	}
}

// TestCheckSizesPastTheBound: a standard whose rules exceed the limit (the CRD's size rule
// would refuse it first; Resolve alone does not) is refused by CheckSizes, and its bound is
// above the limit, so the bound never lets one through unencoded.
func TestCheckSizesPastTheBound(t *testing.T) {
	std := &pledgev1.ServiceStandard{ObjectMeta: metav1.ObjectMeta{Name: "huge", Namespace: "shop"},
		Spec: pledgev1.ServiceStandardSpec{Service: "huge", Window: "30d"}}
	long := strings.Repeat("x", 5000)
	for i := range 50 {
		std.Spec.Objectives = append(std.Spec.Objectives, pledgev1.Objective{Name: fmt.Sprintf("o%d", i), Target: "99.9",
			Ratio: &pledgev1.RatioIndicator{
				Errors: pledgev1.PromQLSelector(fmt.Sprintf(`http_requests_total{job="huge",route="%s%d",code=~"5.."}`, long, i)),
				Total:  pledgev1.PromQLSelector(fmt.Sprintf(`http_requests_total{job="huge",route="%s%d"}`, long, i))}})
	}
	s, errs := render.Resolve(std, nil)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	b, err := json.Marshal(s.PrometheusRule())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) <= render.MaxObjectBytes {
		t.Fatalf("the test standard's PrometheusRule is %d bytes: make it larger than %d", len(b), render.MaxObjectBytes)
	}
	if bound := render.PrometheusRuleBound(s); bound < len(b) {
		t.Errorf("bound %d below the %d bytes", bound, len(b))
	}
	var tooLarge *render.TooLargeError
	if err := s.CheckSizes(); !errors.As(err, &tooLarge) || tooLarge.Kind != "PrometheusRule" || tooLarge.Bytes != len(b) {
		t.Errorf("CheckSizes of a %d-byte PrometheusRule: %v", len(b), err)
	}
}

func TestTooLarge(t *testing.T) {
	if err := render.CheckSize("PrometheusRule", "pledge-x", map[string]string{"a": "b"}); err != nil {
		t.Fatalf("a small object: %v", err)
	}
	big := map[string]string{"a": strings.Repeat("x", render.MaxObjectBytes)}
	err := render.CheckSize("PrometheusRule", "pledge-x", big)
	var tooLarge *render.TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Kind != "PrometheusRule" || tooLarge.Name != "pledge-x" || tooLarge.Bytes <= render.MaxObjectBytes {
		t.Fatalf("CheckSize of %d bytes: %v", render.MaxObjectBytes+8, err)
	}
	if !strings.Contains(err.Error(), "split the standard") {
		t.Errorf("message does not say what to do: %v", err)
	}
}
