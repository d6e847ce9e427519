package openslo

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledge-dev/pledge/internal/manifest"
)

// TestExport exports testdata/export and compares the documents and findings with
// testdata/golden/export.yaml; the export reads back as OpenSLO v1 without a finding and
// imports into standards that pass pledge validate.
func TestExport(t *testing.T) {
	set, problems := manifest.Load([]string{"testdata/export"}, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	resolved, problems := set.Resolve()
	if len(problems) > 0 || len(resolved) != len(set.Standards) {
		t.Fatalf("resolve: %v", problems)
	}
	var in []Exportable
	for i, std := range set.Standards {
		in = append(in, Exportable{Standard: std, Resolved: resolved[i]})
	}
	docs, fs := Export(in)
	out, err := Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.Write(out)
	got.WriteString("# findings\n")
	for _, f := range fs {
		got.WriteString("# " + f.String() + "\n")
	}
	golden := filepath.Join("testdata", "golden", "export.yaml")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("export differs from %s (run with -update after checking):\n%s", golden, got.String())
	}

	back, readFindings, err := Read([]string{"-"}, bytes.NewReader(out))
	if err != nil || len(readFindings) > 0 {
		t.Fatalf("the export does not read back cleanly: %v %v", err, readFindings)
	}
	r := Import(back, "shop")
	if len(r.Standards) != len(set.Standards) {
		t.Fatalf("%d standards imported from the export of %d: %v", len(r.Standards), len(set.Standards), r.Findings)
	}
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if problems, _ := Validate(f.Name, f.Data); len(problems) > 0 {
			t.Errorf("%s does not validate:\n%s", f.Name, strings.Join(problems, "\n"))
		}
	}
}
