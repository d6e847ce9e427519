package openslo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds arbitrary documents to the importer. It must not panic, and when every file
// it writes passes pledge validate, exporting and importing them again gives the same files.
// The seed corpus is the import fixtures and the unsupported table's inputs.
func FuzzImport(f *testing.F) {
	fixtures, _ := filepath.Glob("testdata/import/*.yaml")
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(sloDoc(map[string]string{"policies": inlinePolicy("p1", "page", "gt", "14", "1h",
		"notificationTargets: [{kind: AlertNotificationTarget, metadata: {name: t}, spec: {target: 'https://x.example.com/'}}]")})))
	f.Add([]byte(sloDoc(map[string]string{"window": "{duration: 1Q, calendar: {startTime: '2024-04-01 00:00:00', timeZone: Asia/Tokyo}}"})))
	f.Fuzz(func(t *testing.T, in []byte) {
		docs, _, err := Read([]string{"-"}, bytes.NewReader(in))
		if err != nil {
			return
		}
		first := Import(docs, "shop")
		files, err := first.Files()
		if err != nil || len(files) == 0 {
			return
		}
		for _, file := range files {
			if problems, _ := Validate(file.Name, file.Data); len(problems) > 0 {
				return
			}
		}
		exported, _ := exportFiles(t, files)
		out, err := Marshal(exported)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := Read([]string{"-"}, bytes.NewReader(out))
		if err != nil {
			t.Fatalf("the export does not read back: %v\n%s", err, out)
		}
		files2, err := Import(again, "shop").Files()
		if err != nil {
			t.Fatal(err)
		}
		if a, b := join(files), join(files2); a != b {
			t.Fatalf("round trip changed the standards:\ninput:\n%s\nfirst:\n%s\nsecond:\n%s\nexport:\n%s", in, a, b, out)
		}
	})
}
