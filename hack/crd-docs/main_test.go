package main

import (
	"bytes"
	"os"
	"testing"
)

// TestReferenceUpToDate fails when docs/reference/crds.md no longer matches the CRDs:
// run make manifests.
func TestReferenceUpToDate(t *testing.T) {
	var got bytes.Buffer
	if err := write(&got, "../../config/crd/bases"); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../docs/reference/crds.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Error("docs/reference/crds.md is out of date: run make manifests")
	}
}
