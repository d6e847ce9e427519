package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledge-dev/pledge/internal/manifest"
)

// FuzzLoad reads fuzzed multi-document input as pledge validate does and checks that nothing is
// lost silently: every problem names its file, and every standard read is either resolved or
// named by a problem.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"pledge_v1alpha1_checkout.yaml", "pledge_v1alpha1_ledger.yaml", "pledge_v1alpha1_search.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(mtStandard + "---\n" + mtPolicy)
	f.Add(strings.Replace(mtStandard, `target: "99.9"`, `target: "100"`, 1) + "---\n" + strings.Replace(mtPolicy, "after: 0m", "after: soon", 1))
	f.Add(strings.Replace(mtStandard, "total: http_requests_total", "total: rate(x[5m]", 1))
	f.Add("apiVersion: v1\nkind: List\nitems:\n" + indentItem(mtStandard) + indentItem(mtPolicy))
	f.Fuzz(func(t *testing.T, input string) {
		file := filepath.Join(t.TempDir(), "in.yaml")
		if err := os.WriteFile(file, []byte(input), 0o644); err != nil {
			t.Fatal(err)
		}
		set, problems := manifest.Load([]string{file}, nil)
		resolved, more := set.Resolve()
		problems = append(problems, more...)
		named := map[string]bool{}
		for _, p := range problems {
			if p.File != file || p.Reason == "" {
				t.Fatalf("problem without its file or reason: %+v", p)
			}
			named[p.Resource] = true
		}
		ok := map[string]bool{}
		for _, s := range resolved {
			ok["ServiceStandard "+s.Namespace+"/"+s.Name] = true
		}
		for _, s := range set.Standards {
			if r := "ServiceStandard " + s.Namespace + "/" + s.Name; !ok[r] && !named[r] {
				t.Fatalf("%s was read, not resolved, and no problem names it", r)
			}
		}
		if len(problems) == 0 && len(resolved) != len(set.Standards) {
			t.Fatalf("no problem, but %d of %d standards resolved", len(resolved), len(set.Standards))
		}
	})
}
