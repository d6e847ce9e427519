package openslo

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current importer")

// importFixture reads one testdata/import file and imports it into namespace shop.
func importFixture(t *testing.T, path string) (*Imported, Findings) {
	t.Helper()
	docs, fs, err := Read([]string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := Import(docs, "shop")
	return r, append(fs, r.Findings...)
}

// TestImportGolden imports each fixture, checks every standard written as pledge validate
// does (the embedded CRD's admission checks and render.Resolve), and compares the standards
// and the findings with testdata/golden.
func TestImportGolden(t *testing.T) {
	fixtures, err := filepath.Glob("testdata/import/*.yaml")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, fixture := range fixtures {
		name := strings.TrimSuffix(filepath.Base(fixture), ".yaml")
		t.Run(name, func(t *testing.T) {
			r, fs := importFixture(t, fixture)
			files, err := r.Files()
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 0 {
				t.Fatal("no standard imported")
			}
			var got bytes.Buffer
			for _, f := range files {
				if problems, _ := Validate(f.Name, f.Data); len(problems) > 0 {
					t.Errorf("%s does not validate:\n%s", f.Name, strings.Join(problems, "\n"))
				}
				got.WriteString("# " + f.Name + "\n")
				got.Write(f.Data)
			}
			got.WriteString("# findings\n")
			for _, f := range fs {
				got.WriteString("# " + f.String() + "\n")
			}
			golden := filepath.Join("testdata", "golden", name+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("import of %s differs from %s (run with -update after checking):\n%s", fixture, golden, got.String())
			}
		})
	}
}
