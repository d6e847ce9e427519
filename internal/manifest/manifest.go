// Package manifest reads ServiceStandard and EscalationPolicy documents from files for the
// pledge CLI: multi-document YAML, strict decoding (unknown fields are problems), policyRef
// resolution within the given files, and one Problem per finding with file, resource and field.
package manifest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
	"github.com/pledge-dev/pledge/internal/parallel"
	"github.com/pledge-dev/pledge/internal/render"
	crdschema "github.com/pledge-dev/pledge/internal/schema"
)

// Problem is one reason why the input cannot be rendered.
type Problem struct {
	File     string
	Resource string // e.g. "ServiceStandard shop/checkout"
	Field    string // e.g. "spec.objectives[0].ratio.errors"
	Reason   string
}

func (p Problem) String() string {
	parts := []string{p.File}
	if p.Resource != "" {
		parts = append(parts, p.Resource)
	}
	if p.Field != "" {
		parts = append(parts, p.Field)
	}
	return strings.Join(append(parts, p.Reason), ": ")
}

// Source is a document's origin.
type Source struct {
	File  string
	Index int // 1-based position of the document in its file
}

// Set is what was read from the inputs.
type Set struct {
	Standards []*pledgev1.ServiceStandard
	Policies  []*pledgev1.EscalationPolicy
	source    map[any]Source
	// rejected are the Pledge objects ("EscalationPolicy shop/payments") that failed decoding.
	rejected map[string]bool
	// refused are the objects the API server's checks refused that still decode into their
	// type: Resolve runs Pledge's own checks on them too, so that one run names every problem.
	refused  []refused
	Warnings []string
	// Cluster is the cluster label the standards are rendered with (pledge render
	// --cluster-label): Resolve sets it on each and refuses an objective grouped by its name.
	Cluster render.ClusterLabel
}

// Source returns where a standard or policy was read from.
func (s *Set) Source(obj any) Source { return s.source[obj] }

// Load reads files and directories (*.yaml, *.yml, *.json, recursively; "-" is stdin) one
// document at a time. Each Pledge document is checked as kube-apiserver checks it on create
// (internal/schema) before it is decoded; input that holds no ServiceStandard is a problem.
func Load(paths []string, stdin io.Reader) (*Set, []Problem) {
	set := &Set{source: map[any]Source{}, rejected: map[string]bool{}}
	var problems []Problem
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			problems = append(problems, Problem{File: p, Reason: err.Error()})
			continue
		}
		for _, f := range files {
			problems = append(problems, set.read(f, stdin)...)
		}
	}
	if len(problems) == 0 && len(set.Standards) == 0 {
		problems = append(problems, Problem{File: strings.Join(paths, ", "), Reason: "the input holds no ServiceStandard"})
	}
	return set, problems
}

func (s *Set) read(file string, stdin io.Reader) []Problem {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return []Problem{{File: file, Reason: err.Error()}}
		}
		defer f.Close()
		r = f
	}
	return s.add(file, r)
}

// Files lists the files that Load reads for one path: the path itself, or the *.yaml, *.yml
// and *.json files under a directory, recursively; "-" stands for stdin.
func Files(p string) ([]string, error) { return expand(p) }

func expand(p string) ([]string, error) {
	if p == "-" {
		return []string{p}, nil
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				files = append(files, path)
			}
		}
		return nil
	})
	if err == nil && len(files) == 0 {
		err = errors.New("directory holds no .yaml, .yml or .json files")
	}
	return files, err
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	// Items makes the document a list (kind List, or ServiceStandardList, as kubectl get -o
	// yaml writes them): kubectl applies each item, and so its items are read here.
	Items json.RawMessage `json:"items"`
}

// decoded is what decode made of one document.
type decoded struct {
	obj      client.Object
	resource string
	problems []Problem
	warning  string
	// refused is the object the API server's checks refused (problems), decoded nonetheless
	// when it decodes; nil otherwise.
	refused *refused
	// items are the items of a list, as JSON documents, when the document is one.
	items [][]byte
}

// part is one document of a file, or one item of a list in it, and what decode made of it.
type part struct {
	index int    // the document's position in the file, 1-based
	where string // "document 3", "document 3, items[0]"
	doc   []byte
	decoded
}

// maxListDepth is how deep lists may be nested in lists.
const maxListDepth = 4

// decodeAll decodes parts side by side and puts the items of lists in their place, in order.
func decodeAll(file string, parts []part, depth int) []part {
	parallel.Each(len(parts), func(d int) { parts[d].decoded = decode(file, parts[d].where, parts[d].doc) })
	var out []part
	for _, p := range parts {
		if p.items == nil {
			out = append(out, p)
			continue
		}
		if depth == maxListDepth {
			p.decoded = decoded{problems: []Problem{{File: file, Reason: fmt.Sprintf("%s: lists nested more than %d deep", p.where, maxListDepth)}}}
			out = append(out, p)
			continue
		}
		items := make([]part, len(p.items))
		for i, item := range p.items {
			items[i] = part{index: p.index, where: fmt.Sprintf("%s, items[%d]", p.where, i), doc: item}
		}
		out = append(out, decodeAll(file, items, depth+1)...)
	}
	return out
}

// refused is an object the API server's checks refused, and the fields they named, each with
// whether its problem covers the fields inside it.
type refused struct {
	obj    client.Object
	fields map[string]bool
}

// unnamed returns the problems on fields the API server's checks did not name: neither the
// field itself nor a field that holds it and whose problem covers it.
func (r *refused) unnamed(problems []Problem) []Problem {
	return slices.DeleteFunc(problems, func(p Problem) bool {
		if _, named := r.fields[p.Field]; named {
			return true
		}
		for named, covers := range r.fields {
			if covers && (strings.HasPrefix(p.Field, named+".") || strings.HasPrefix(p.Field, named+"[")) {
				return true
			}
		}
		return false
	})
}

// add reads every document of in, decodes them side by side (one worker per CPU; decoding,
// which runs the API server's admission checks, is most of validate's time) and adds them in
// their order in the file.
func (s *Set) add(file string, in io.Reader) []Problem {
	var parts []part
	readErr := Documents(in, func(i int, doc []byte) error {
		parts = append(parts, part{index: i, where: fmt.Sprintf("document %d", i), doc: doc})
		return nil
	})
	out := decodeAll(file, parts, 0)

	for _, dec := range out {
		if dec.warning != "" {
			s.Warnings = append(s.Warnings, dec.warning)
		}
		if len(dec.problems) > 0 {
			s.rejected[dec.resource] = true
		}
		if dec.refused != nil {
			s.refused = append(s.refused, *dec.refused)
			s.source[dec.refused.obj] = Source{File: file, Index: dec.index}
		}
		switch o := dec.obj.(type) {
		case *pledgev1.ServiceStandard:
			s.Standards = append(s.Standards, o)
		case *pledgev1.EscalationPolicy:
			s.Policies = append(s.Policies, o)
		default:
			continue
		}
		s.source[dec.obj] = Source{File: file, Index: dec.index}
	}
	var all []Problem
	for _, dec := range out {
		all = append(all, dec.problems...)
	}
	if readErr != nil {
		// A document that cannot be read ends the file; what came before it is still checked.
		all = append(all, Problem{File: file, Reason: readErr.Error()})
	}
	return all
}

// Documents splits a stream into its documents as kubectl does: JSON objects one after the
// other when it starts with '{', YAML documents separated by --- otherwise (those holding only
// comments are skipped). f gets each document with its 1-based position; an error from f, or
// a document that cannot be read, ends the reading and is returned, naming the document.
func Documents(in io.Reader, f func(index int, doc []byte) error) error {
	stream, _, isJSON := utilyaml.GuessJSONStream(in, 4096)
	if isJSON {
		d := json.NewDecoder(stream)
		for i := 1; ; i++ {
			var doc json.RawMessage
			if err := d.Decode(&doc); err == io.EOF {
				return nil
			} else if err != nil {
				return fmt.Errorf("document %d: not valid JSON (input that starts with '{' is read as JSON objects, as kubectl reads it): %w", i, err)
			}
			if err := f(i, doc); err != nil {
				return err
			}
		}
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(stream))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		if err := f(i, doc); err != nil {
			return err
		}
	}
}

// decode turns one document into a standard or policy, or returns the problems that the API
// server (or, beyond it, the typed decoding) would report. Other kinds are skipped with a
// warning and yield neither.
func decode(file, where string, doc []byte) decoded {
	fail := func(resource string, ps ...Problem) decoded { return decoded{resource: resource, problems: ps} }
	// Strict conversion first: it is the same JSON unless the document repeats a key, which
	// is reported (as kubectl does) once the document is known to be a Pledge object.
	js, duplicate := yaml.YAMLToJSONStrict(doc)
	if duplicate != nil {
		var err error
		if js, err = yaml.YAMLToJSON(doc); err != nil {
			return fail("", Problem{File: file, Reason: fmt.Sprintf("%s: not valid YAML: %v", where, err)})
		}
	}
	var tm typeMeta
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return fail("", Problem{File: file, Reason: fmt.Sprintf("%s: not a Kubernetes object: %s", where, typeMetaProblem(js))})
	}
	if tm.Kind == "" {
		return fail("", Problem{File: file, Reason: fmt.Sprintf("%s: not a Kubernetes object (no kind)", where)})
	}
	if len(tm.Items) > 0 && tm.Items[0] == '[' {
		if duplicate != nil {
			reason := strings.Join(strings.Fields(strings.TrimPrefix(duplicate.Error(), "yaml: unmarshal errors:")), " ")
			return fail("", Problem{File: file, Reason: fmt.Sprintf("%s: %s %s: duplicate field: %s", where, tm.APIVersion, tm.Kind, reason)})
		}
		items, err := listItems(tm)
		if err != nil {
			return fail("", Problem{File: file, Reason: fmt.Sprintf("%s: %s %s: %v", where, tm.APIVersion, tm.Kind, err)})
		}
		return decoded{items: items}
	}
	resource := fmt.Sprintf("%s %s", tm.Kind, qualified(tm.Metadata.Namespace, tm.Metadata.Name))
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil || gv.Group != pledgev1.GroupVersion.Group {
		return decoded{resource: resource, warning: fmt.Sprintf("%s: skipping %s (%s): not a %s kind", file, resource, tm.APIVersion, pledgev1.GroupVersion.Group)}
	}
	kinds, err := crdschema.Kinds()
	if err != nil {
		return fail(resource, Problem{File: file, Resource: resource, Reason: "the embedded CRDs: " + err.Error()})
	}
	kind := kinds[tm.Kind]
	if kind == nil {
		return decoded{resource: resource, warning: fmt.Sprintf("%s: skipping %s: unknown kind", file, resource)}
	}
	if !slices.Contains(kind.Served, gv.Version) {
		return fail(resource, Problem{File: file, Resource: resource, Field: "apiVersion",
			Reason: fmt.Sprintf("%s is not a served version of %s; served: %s", tm.APIVersion, tm.Kind, strings.Join(kind.APIVersions(), ", "))})
	}
	// YAMLToJSON silently keeps the last of duplicate keys; report them as kubectl does.
	if duplicate != nil {
		reason := strings.Join(strings.Fields(strings.TrimPrefix(duplicate.Error(), "yaml: unmarshal errors:")), " ")
		return fail(resource, Problem{File: file, Resource: resource, Reason: "duplicate field: " + reason})
	}
	var raw map[string]any
	if err := utiljson.Unmarshal(js, &raw); err != nil {
		return fail(resource, Problem{File: file, Resource: resource, Reason: err.Error()})
	}
	unknown, errs := kind.Admit(context.Background(), gv.Version, raw)
	if len(unknown) > 0 {
		var problems []Problem
		for _, f := range unknown {
			problems = append(problems, Problem{File: file, Resource: resource, Field: f, Reason: "unknown field"})
		}
		return fail(resource, problems...)
	}
	obj, problems := typed(file, resource, tm.Kind, raw)
	if len(errs) > 0 {
		// Refused by the API server's checks; if it still decodes, Resolve checks it too.
		d := fail(resource, fieldProblems(file, resource, errs)...)
		if len(problems) == 0 {
			d.refused = &refused{obj: obj, fields: map[string]bool{}}
			for _, e := range errs {
				// A problem below the top level, or a field missing as a whole, covers the
				// fields inside it (a CEL rule on spec.escalation covers its tiers; one on spec
				// does not cover every field of the standard, a missing spec does).
				d.refused.fields[e.Field] = d.refused.fields[e.Field] || strings.ContainsAny(e.Field, ".[") || e.Type == field.ErrorTypeRequired
			}
		}
		return d
	}
	if len(problems) > 0 {
		return fail(resource, problems...)
	}
	return decoded{obj: obj, resource: resource}
}

// typed decodes what the API server would store strictly into the Go type of kind: fields
// that the schema preserves but the types do not know are problems too.
func typed(file, resource, kind string, raw map[string]any) (client.Object, []Problem) {
	stored, err := json.Marshal(raw)
	if err != nil {
		return nil, []Problem{{File: file, Resource: resource, Reason: err.Error()}}
	}
	var obj client.Object
	switch kind {
	case "ServiceStandard":
		obj = &pledgev1.ServiceStandard{}
	case "EscalationPolicy":
		obj = &pledgev1.EscalationPolicy{}
	default:
		return nil, []Problem{{File: file, Resource: resource, Reason: "kind not supported by pledge " + kind}}
	}
	strict, err := sigsjson.UnmarshalStrict(stored, obj)
	if err != nil {
		return nil, []Problem{{File: file, Resource: resource, Reason: err.Error()}}
	}
	if len(strict) > 0 {
		var problems []Problem
		for _, e := range strict {
			problems = append(problems, strictProblem(file, resource, e))
		}
		return nil, problems
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace("default")
	}
	return obj, nil
}

// listItems returns the items of a list document as JSON documents. As kubectl does, an item
// without apiVersion and kind is of the list's kind less "List" (a ServiceStandardList's items
// are ServiceStandards).
func listItems(tm typeMeta) ([][]byte, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(tm.Items, &items); err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	out := make([][]byte, 0, len(items))
	for i, item := range items {
		var head typeMeta
		if err := json.Unmarshal(item, &head); err == nil && head.APIVersion == "" && head.Kind == "" && strings.HasSuffix(tm.Kind, "List") && tm.Kind != "List" {
			var m map[string]any
			if err := json.Unmarshal(item, &m); err != nil {
				return nil, fmt.Errorf("items[%d]: %w", i, err)
			}
			if m != nil {
				m["apiVersion"], m["kind"] = tm.APIVersion, strings.TrimSuffix(tm.Kind, "List")
				b, err := json.Marshal(m)
				if err != nil {
					return nil, fmt.Errorf("items[%d]: %w", i, err)
				}
				item = b
			}
		}
		out = append(out, item)
	}
	return out, nil
}

// typeMetaProblem says which of apiVersion, kind and metadata (name, namespace) has the wrong
// type in a document that does not decode as a Kubernetes object's type and object metadata.
func typeMetaProblem(js []byte) string {
	var tm typeMeta
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(js, &tm); errors.As(err, &typeErr) && typeErr.Field != "" {
		want := "a string"
		if typeErr.Field == "metadata" {
			want = "an object"
		}
		article := "a "
		if strings.IndexAny(typeErr.Value, "aeiou") == 0 {
			article = "an "
		}
		return fmt.Sprintf("%s must be %s, not %s%s", typeErr.Field, want, article, typeErr.Value)
	}
	return "it is not a YAML or JSON object"
}

// strictProblem turns `unknown field "spec.foo"` into a problem on that field.
func strictProblem(file, resource string, err error) Problem {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return Problem{File: file, Resource: resource, Field: strings.Trim(rest, `"`), Reason: "unknown field"}
	}
	if rest, ok := strings.CutPrefix(msg, "duplicate field "); ok {
		return Problem{File: file, Resource: resource, Field: strings.Trim(rest, `"`), Reason: "duplicate field"}
	}
	return Problem{File: file, Resource: resource, Reason: msg}
}

func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			out = append(out, line)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

func qualified(ns, name string) string {
	if ns == "" {
		ns = "default"
	}
	return ns + "/" + name
}

// Resolve validates every policy and standard and resolves policyRefs within the set.
// Standards are returned in input order; only valid ones are returned. The objects the API
// server's checks refused are checked too, after the others, for problems on the fields those
// checks did not name.
func (s *Set) Resolve() ([]*render.Standard, []Problem) {
	var problems []Problem
	policies := map[string]*pledgev1.EscalationPolicy{}
	for _, p := range s.Policies {
		key := qualified(p.Namespace, p.Name)
		resource := "EscalationPolicy " + key
		src := s.source[p]
		if _, dup := policies[key]; dup {
			problems = append(problems, Problem{File: src.File, Resource: resource, Field: "metadata.name", Reason: "defined more than once"})
			continue
		}
		policies[key] = p
		problems = append(problems, fieldProblems(src.File, resource, render.ValidatePolicy(p))...)
	}
	// Which standards to resolve, and with which policy, is decided in order; resolving them
	// (Pledge's checks, rendering to check sizes) runs side by side.
	type job struct {
		std      *pledgev1.ServiceStandard
		policy   *pledgev1.EscalationPolicy
		resolved *render.Standard
		problems []Problem
		// refused is set for a standard the API server's checks refused: it is checked, not
		// returned.
		refused *refused
	}
	// prepare finds a standard's policy, or the problem with it.
	prepare := func(std *pledgev1.ServiceStandard) *job {
		j := &job{std: std}
		if e := std.Spec.Escalation; e != nil && e.PolicyRef != nil {
			key := qualified(std.Namespace, e.PolicyRef.Name)
			if s.rejected["EscalationPolicy "+key] {
				j.problems = []Problem{{File: s.source[std].File, Resource: "ServiceStandard " + qualified(std.Namespace, std.Name),
					Field: policyRefField, Reason: "EscalationPolicy " + key + " is invalid (see its problems)"}}
				j.std = nil
			}
			j.policy = policies[key]
		}
		return j
	}
	var jobs []*job
	seen := map[string]bool{}
	for _, std := range s.Standards {
		key := qualified(std.Namespace, std.Name)
		if seen[key] {
			jobs = append(jobs, &job{problems: []Problem{{File: s.source[std].File, Resource: "ServiceStandard " + key, Field: "metadata.name", Reason: "defined more than once"}}})
			continue
		}
		seen[key] = true
		jobs = append(jobs, prepare(std))
	}
	for i, r := range s.refused {
		switch o := r.obj.(type) {
		case *pledgev1.EscalationPolicy:
			jobs = append(jobs, &job{problems: r.unnamed(fieldProblems(s.source[o].File, "EscalationPolicy "+qualified(o.Namespace, o.Name), render.ValidatePolicy(o)))})
		case *pledgev1.ServiceStandard:
			j := prepare(o)
			j.refused = &s.refused[i]
			j.problems = j.refused.unnamed(j.problems)
			jobs = append(jobs, j)
		}
	}
	parallel.Each(len(jobs), func(i int) {
		j := jobs[i]
		if j.std == nil {
			return
		}
		src, resource := s.source[j.std], "ServiceStandard "+qualified(j.std.Namespace, j.std.Name)
		resolved, errs := render.Resolve(j.std, render.Policies(j.policy))
		errs = append(errs, render.CheckClusterLabel(&j.std.Spec, s.Cluster)...)
		if len(errs) > 0 {
			j.problems = fieldProblems(src.File, resource, errs)
			for i, p := range j.problems {
				if p.Field == policyRefField && j.policy == nil {
					j.problems[i].Reason = fmt.Sprintf("EscalationPolicy %s is not in the input: policyRef is resolved among the files given with -f",
						qualified(j.std.Namespace, j.std.Spec.Escalation.PolicyRef.Name))
				}
			}
		}
		if j.refused != nil {
			j.problems = j.refused.unnamed(j.problems)
			return
		}
		if len(errs) > 0 {
			return
		}
		if err := resolved.CheckSizes(); err != nil {
			j.problems = []Problem{{File: src.File, Resource: resource, Field: "spec", Reason: err.Error()}}
			return
		}
		j.resolved = resolved
	})
	var out []*render.Standard
	for _, j := range jobs {
		problems = append(problems, j.problems...)
		if j.resolved == nil {
			continue
		}
		for _, w := range j.resolved.Warnings {
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %s: %s", s.source[j.std].File, "ServiceStandard "+qualified(j.std.Namespace, j.std.Name), w))
		}
		j.resolved.Cluster = s.Cluster
		out = append(out, j.resolved)
	}
	return out, problems
}

// policyRefField is the field a standard names its EscalationPolicy in.
const policyRefField = "spec.escalation.policyRef.name"

// fieldProblems turns field errors into problems. The reason is the error as the API server
// words it ("Invalid value: …", "Duplicate value: …", "Not found: …"), less the type where the
// detail is a whole sentence (required and forbidden fields).
func fieldProblems(file, resource string, errs field.ErrorList) []Problem {
	var out []Problem
	for _, e := range errs {
		f := e.Field
		if f == "<nil>" { // an error on the object as a whole
			f = ""
		}
		reason := e.ErrorBody()
		if e.Type == field.ErrorTypeRequired || e.Type == field.ErrorTypeForbidden {
			reason = strings.TrimPrefix(reason, e.Type.String()+": ")
		}
		out = append(out, Problem{File: file, Resource: resource, Field: f, Reason: reason})
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return strings.Compare(a.Field, b.Field) })
	return out
}
