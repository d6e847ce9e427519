package openslo

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledge-dev/pledge/internal/manifest"
)

// exportFiles loads imported files as pledge export does (manifest.Load, then render.Resolve
// through Set.Resolve) and exports them.
func exportFiles(t *testing.T, files []File) ([]Document, Findings) {
	t.Helper()
	var stream bytes.Buffer
	for i, f := range files {
		if i > 0 {
			stream.WriteString("---\n")
		}
		stream.Write(f.Data)
	}
	set, problems := manifest.Load([]string{"-"}, &stream)
	if len(problems) > 0 {
		t.Fatalf("load: %v", problems)
	}
	resolved, problems := set.Resolve()
	if len(problems) > 0 {
		t.Fatalf("resolve: %v", problems)
	}
	if len(resolved) != len(set.Standards) {
		t.Fatalf("%d standards resolved of %d", len(resolved), len(set.Standards))
	}
	var in []Exportable
	for i, std := range set.Standards {
		in = append(in, Exportable{Standard: std, Resolved: resolved[i]})
	}
	return Export(in)
}

// TestRoundTrip imports each fixture, resolves and exports the standards, imports the export
// again and expects the same standards and policies, byte for byte.
func TestRoundTrip(t *testing.T) {
	fixtures, _ := filepath.Glob("testdata/import/*.yaml")
	for _, fixture := range fixtures {
		t.Run(filepath.Base(fixture), func(t *testing.T) {
			first, _ := importFixture(t, fixture)
			files, err := first.Files()
			if err != nil {
				t.Fatal(err)
			}
			docs, exportFindings := exportFiles(t, files)
			if n := exportFindings.Unsupported(); n > 0 {
				t.Errorf("exporting imported standards lost something: %v", exportFindings)
			}
			out, err := Marshal(docs)
			if err != nil {
				t.Fatal(err)
			}
			again, readFindings, err := Read([]string{"-"}, bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if len(readFindings) > 0 {
				t.Errorf("the export does not read back cleanly: %v", readFindings)
			}
			second := Import(again, "shop")
			if n := second.Findings.Unsupported(); n > 0 {
				t.Errorf("importing the export reports %d unsupported fields: %v", n, second.Findings)
			}
			files2, err := second.Files()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := join(files2), join(files); got != want {
				t.Errorf("round trip changed the standards:\nfirst import:\n%s\nsecond import:\n%s\nexport:\n%s", want, got, out)
			}
		})
	}
}

func join(files []File) string {
	var b strings.Builder
	for _, f := range files {
		b.WriteString("# " + f.Name + "\n")
		b.Write(f.Data)
	}
	return b.String()
}
