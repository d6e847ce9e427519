package main

//lint:file-ignore SA1019 dashboard.Dashboard is the classic JSON model, which Grafana's file provisioning (the sidecar) reads on every version, before 12 too; dashboardv2 is Grafana 12's new schema.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// TestRenderGrafana: --format grafana writes the sample's dashboard and the overview into -o
// DIR, and the same two JSON documents, one after the other, to stdout; each reads into the
// SDK's dashboard type with its UID.
func TestRenderGrafana(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	dir := t.TempDir()
	code, out, errOut := cliRun(t, nil, "render", "-f", cliSample, "--format", "grafana", "-o", dir)
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"overview.grafana.json", "shop_checkout.grafana.json"}; !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	uids := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard.Dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if d.Uid == nil || !strings.HasPrefix(*d.Uid, "pledge-") {
			t.Fatalf("%s: uid %v", n, d.Uid)
		}
		uids[n] = *d.Uid
	}
	if uids["overview.grafana.json"] != "pledge-overview" {
		t.Errorf("overview uid %q", uids["overview.grafana.json"])
	}

	code, out, errOut = cliRun(t, nil, "render", "-f", cliSample, "--format", "grafana")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var got []string
	for dec.More() {
		var d dashboard.Dashboard
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("stdout is not a stream of dashboards: %v", err)
		}
		got = append(got, *d.Uid)
	}
	if want := []string{uids["shop_checkout.grafana.json"], "pledge-overview"}; !slices.Equal(got, want) {
		t.Errorf("stdout dashboards %v, want %v", got, want)
	}
}
