package deploy

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDockerfileCopiesEverythingThePledgeBinaryNeeds: no Docker engine runs here, so the image
// build is checked by its inputs: every package of this module that cmd/pledge imports must lie
// in a directory the Dockerfile copies into the build stage.
func TestDockerfileCopiesEverythingThePledgeBinaryNeeds(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "COPY" && !strings.HasPrefix(f[1], "--from") {
			for _, src := range f[1 : len(f)-1] {
				copied = append(copied, strings.TrimSuffix(src, "/"))
			}
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.ImportPath}}{{end}}{{end}}", "./cmd/pledge")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	const module = "github.com/pledge-dev/pledge/"
	for _, pkg := range strings.Fields(string(out)) {
		dir := strings.TrimPrefix(pkg, module)
		top := strings.SplitN(dir, "/", 2)[0]
		found := false
		for _, c := range copied {
			if c == top {
				found = true
			}
		}
		if !found {
			t.Errorf("cmd/pledge needs %s, but the Dockerfile does not COPY %s/ (copies: %v)", pkg, top, copied)
		}
	}
}
