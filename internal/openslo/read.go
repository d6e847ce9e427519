package openslo

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/pledge-dev/pledge/internal/manifest"
)

// Finding is one thing that did not map, or (a note) one thing left out that carries no
// meaning for Pledge.
type Finding struct {
	// Object is the OpenSLO or Pledge object, e.g. "SLO payments-availability".
	Object string
	// Field is the path within the object, e.g. "spec.objectives[1].timeSliceTarget".
	Field string
	// Reason says what happened to the field.
	Reason string
	// Note marks findings that lose nothing Pledge could act on (a display name, a data
	// source's connection details); --strict fails only on the others.
	Note bool
}

func (f Finding) String() string {
	parts := []string{}
	if f.Note {
		parts = append(parts, "note")
	}
	for _, p := range []string{f.Object, f.Field, f.Reason} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ": ")
}

// Findings collects findings in the order they were made.
type Findings []Finding

func (fs *Findings) add(object, field, reason string) {
	*fs = append(*fs, Finding{Object: object, Field: field, Reason: reason})
}

func (fs *Findings) note(object, field, reason string) {
	*fs = append(*fs, Finding{Object: object, Field: field, Reason: reason, Note: true})
}

// Unsupported counts the findings that are not notes.
func (fs Findings) Unsupported() int {
	n := 0
	for _, f := range fs {
		if !f.Note {
			n++
		}
	}
	return n
}

// Read reads OpenSLO documents from files and directories ("-" is stdin), multi-document
// YAML or JSON. Documents of another apiVersion and unknown fields are findings.
func Read(paths []string, stdin io.Reader) ([]Document, Findings, error) {
	var docs []Document
	var fs Findings
	for _, p := range paths {
		files, err := manifest.Files(p)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			d, err := readFile(f, stdin, &fs)
			if err != nil {
				return nil, nil, err
			}
			docs = append(docs, d...)
		}
	}
	return docs, fs, nil
}

func readFile(name string, stdin io.Reader, fs *Findings) ([]Document, error) {
	if name == "-" {
		return decodeStream(name, stdin, fs)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeStream(name, f, fs)
}

// decodeStream decodes the documents of one file (manifest.Documents: YAML documents, or JSON
// objects one after the other, as kubectl reads them).
func decodeStream(file string, in io.Reader, fs *Findings) ([]Document, error) {
	var docs []Document
	err := manifest.Documents(in, func(i int, raw []byte) error {
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return fmt.Errorf("document %d: not valid YAML: %w", i, err)
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			return nil
		}
		var d Document
		strict, err := sigsjson.UnmarshalStrict(js, &d)
		if err != nil {
			return fmt.Errorf("document %d: %w", i, err)
		}
		object := objectName(d.Kind, d.Metadata.Name)
		for _, e := range strict {
			fs.add(object, fieldOf(e), "not an OpenSLO v1 field; ignored")
		}
		if d.APIVersion != APIVersion {
			fs.add(object, "apiVersion", fmt.Sprintf("%q is not %s; document skipped", d.APIVersion, APIVersion))
			return nil
		}
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return docs, nil
}

// decodeSpec decodes a document's spec strictly; unknown fields become findings.
func decodeSpec(d Document, into any, fs *Findings) bool {
	object := objectName(d.Kind, d.Metadata.Name)
	if len(d.Spec) == 0 {
		fs.add(object, "spec", "missing; document skipped")
		return false
	}
	strict, err := sigsjson.UnmarshalStrict(d.Spec, into)
	if err != nil {
		fs.add(object, "spec", "does not fit OpenSLO v1: "+err.Error()+"; document skipped")
		return false
	}
	for _, e := range strict {
		fs.add(object, "spec."+fieldOf(e), "not an OpenSLO v1 field; ignored")
	}
	return true
}

// fieldOf extracts the path from sigs.k8s.io/json's strict errors (`unknown field "a.b"`).
func fieldOf(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"unknown field ", "duplicate field "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			return strings.Trim(rest, `"`)
		}
	}
	return msg
}

func objectName(kind, name string) string {
	if kind == "" {
		kind = "document"
	}
	return kind + " " + name
}
