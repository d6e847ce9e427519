package openslo

import (
	"bytes"
	"encoding/json"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/pledge-dev/pledge/internal/manifest"
)

// File is one imported standard (with its EscalationPolicy, if any) as YAML.
type File struct {
	// Name is <namespace>_<name>.yaml; namespaces and names cannot hold '_'.
	Name string
	Data []byte
}

// Files writes each imported standard, followed by its EscalationPolicy, as one YAML stream.
func (r *Imported) Files() ([]File, error) {
	var out []File
	for _, std := range r.Standards {
		objs := []any{std}
		if p := r.Policy(std); p != nil {
			objs = append(objs, p)
		}
		var buf bytes.Buffer
		for i, o := range objs {
			if i > 0 {
				buf.WriteString("---\n")
			}
			b, err := objectYAML(o)
			if err != nil {
				return nil, err
			}
			buf.Write(b)
		}
		out = append(out, File{Name: std.Namespace + "_" + std.Name + ".yaml", Data: buf.Bytes()})
	}
	return out, nil
}

// objectYAML writes a Kubernetes object without its empty status and creation timestamp.
func objectYAML(o any) ([]byte, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	return yaml.Marshal(m)
}

// Validate checks imported YAML as pledge validate does: the API server's admission checks
// (internal/schema, through manifest.Load) and render.Resolve. It returns one line per problem;
// warnings are what pledge validate prints as warnings (for example an escalation that no page
// can reach).
func Validate(file string, data []byte) (problems, warnings []string) {
	set, ps := manifest.Load([]string{"-"}, bytes.NewReader(data))
	if len(ps) == 0 {
		_, ps = set.Resolve()
	}
	for _, p := range ps {
		p.File = file
		problems = append(problems, p.String())
	}
	for _, w := range set.Warnings {
		warnings = append(warnings, file+": "+strings.TrimPrefix(w, "-: "))
	}
	return problems, warnings
}

// Marshal writes OpenSLO documents as one multi-document YAML stream.
func Marshal(docs []Document) ([]byte, error) {
	var parts []string
	for _, d := range docs {
		var spec any
		if len(d.Spec) > 0 {
			if err := json.Unmarshal(d.Spec, &spec); err != nil {
				return nil, err
			}
		}
		m := map[string]any{"apiVersion": d.APIVersion, "kind": d.Kind, "metadata": d.Metadata}
		if spec != nil {
			m["spec"] = spec
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		parts = append(parts, string(b))
	}
	return []byte(strings.Join(parts, "---\n")), nil
}
