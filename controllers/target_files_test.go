package controllers

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUndoLog: replacing, creating and removing files, then rolling back, leaves every file as
// it was; unchanged content is not rewritten.
func TestUndoLog(t *testing.T) {
	dir := t.TempDir()
	kept, changed, created, removed := filepath.Join(dir, "kept"), filepath.Join(dir, "changed"), filepath.Join(dir, "created"), filepath.Join(dir, "removed")
	for path, content := range map[string]string{kept: "same\n", changed: "old\n", removed: "gone\n"} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var u undoLog
	for _, c := range []struct {
		path    string
		content []byte
		want    bool
	}{
		{kept, []byte("same\n"), false},
		{changed, []byte("new\n"), true},
		{created, []byte("fresh\n"), true},
		{removed, nil, true},
		{filepath.Join(dir, "never-existed"), nil, false},
	} {
		got, err := u.replace(c.path, c.content)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("replace(%s) changed=%v, want %v", filepath.Base(c.path), got, c.want)
		}
	}
	if b, _ := os.ReadFile(changed); string(b) != "new\n" {
		t.Fatalf("changed holds %q", b)
	}
	if _, err := os.Stat(removed); !os.IsNotExist(err) {
		t.Fatalf("removed still exists: %v", err)
	}
	if err := u.rollback(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{kept: "same\n", changed: "old\n", removed: "gone\n"} {
		if b, err := os.ReadFile(path); err != nil || string(b) != want {
			t.Errorf("%s after rollback: %q, %v; want %q", filepath.Base(path), b, err, want)
		}
	}
	if _, err := os.Stat(created); !os.IsNotExist(err) {
		t.Errorf("created survived the rollback: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files left in the directory, want 3 (no temporary files)", len(entries))
	}
}

// TestOurs: only files that start with Pledge's header are the files target's to remove.
func TestOurs(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"pledge.yaml": generatedHeader + "shop/checkout; do not edit.\ngroups: []\n",
		"other.yaml":  "groups: []\n",
		"short.yaml":  "# Gen",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]bool{"pledge.yaml": true, "other.yaml": false, "short.yaml": false, "missing.yaml": false} {
		if got := ours(filepath.Join(dir, name)); got != want {
			t.Errorf("ours(%s) = %v, want %v", name, got, want)
		}
	}
}
