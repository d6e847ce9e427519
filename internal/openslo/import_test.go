package openslo

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
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

// TestReadJSONStream: OpenSLO documents as JSON objects one after the other are read object by
// object, as the YAML documents of the same file are (only the first object was read).
func TestReadJSONStream(t *testing.T) {
	raw, err := os.ReadFile("testdata/import/payments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yamlDocs, _, err := Read([]string{"testdata/import/payments.yaml"}, nil)
	if err != nil || len(yamlDocs) < 2 {
		t.Fatalf("the fixture: %d documents, %v", len(yamlDocs), err)
	}
	var stream bytes.Buffer
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if t := bytes.TrimSpace(js); len(t) > 0 && string(t) != "null" {
			stream.Write(js)
			stream.WriteString("\n")
		}
	}
	jsonDocs, _, err := Read([]string{"-"}, &stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(jsonDocs) != len(yamlDocs) {
		t.Fatalf("%d documents from the JSON stream, %d from the YAML", len(jsonDocs), len(yamlDocs))
	}
	for i := range jsonDocs {
		if jsonDocs[i].Kind != yamlDocs[i].Kind || jsonDocs[i].Metadata.Name != yamlDocs[i].Metadata.Name {
			t.Errorf("document %d: %s %s, want %s %s", i+1, jsonDocs[i].Kind, jsonDocs[i].Metadata.Name, yamlDocs[i].Kind, yamlDocs[i].Metadata.Name)
		}
	}
}
