package render

import (
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// appendRuleGroupsYAML appends f as YAML, byte for byte what encodeYAML(f) writes, without
// going through the generic encoder: the rule file of 10,000 objectives spent most of its
// time in yaml.v3's emitter. It writes the common scalar styles itself (plain, single-quoted,
// and literal blocks for multi-line expressions) where their choice is certain, and asks
// yaml.v3 for any other scalar. ok is false when f holds what this writer does not handle
// (group fields Pledge never sets, or a label name that would need quoting); the caller then
// encodes f with encodeYAML. TestRuleYAMLMatchesEncoder holds the two writers together.
func appendRuleGroupsYAML(buf []byte, f rulefmt.RuleGroups) (_ []byte, ok bool) {
	if len(f.Groups) == 0 {
		return append(buf, "groups: []\n"...), true
	}
	w := &scalarWriter{b: append(buf, "groups:\n"...), ok: true}
	for _, g := range f.Groups {
		if g.QueryOffset != nil || g.Limit != 0 || len(g.Labels) > 0 {
			return w.b, false
		}
		w.raw("  - name:")
		w.scalar(g.Name, 4)
		if g.Interval != 0 {
			w.raw("    interval:")
			w.scalar(g.Interval.String(), 4)
		}
		if len(g.Rules) == 0 {
			w.raw("    rules: []\n")
			continue
		}
		w.raw("    rules:\n")
		for _, r := range g.Rules {
			first := true
			field := func(key, value string) {
				if first {
					w.raw("      - ")
					first = false
				} else {
					w.raw("        ")
				}
				w.raw(key)
				w.raw(":")
				w.scalar(value, 8)
			}
			if r.Record != "" {
				field("record", r.Record)
			}
			if r.Alert != "" {
				field("alert", r.Alert)
			}
			field("expr", r.Expr)
			if r.For != 0 {
				field("for", model.Duration(r.For).String())
			}
			if r.KeepFiringFor != 0 {
				field("keep_firing_for", model.Duration(r.KeepFiringFor).String())
			}
			for _, m := range []struct {
				key    string
				values map[string]string
			}{{"labels", r.Labels}, {"annotations", r.Annotations}} {
				if len(m.values) == 0 {
					continue
				}
				w.raw("        ")
				w.raw(m.key)
				w.raw(":\n")
				keys := make([]string, 0, len(m.values))
				for k := range m.values {
					if !plainKey(k) {
						return w.b, false
					}
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					w.raw("          ")
					w.raw(k)
					w.raw(":")
					w.scalar(m.values[k], 10)
				}
			}
		}
	}
	return w.b, w.ok
}

// scalarWriter appends the rule file's text to b; ok turns false if yaml.v3 fails to write one, and the
// caller then encodes the whole document with encodeYAML, which reports the error.
type scalarWriter struct {
	b  []byte
	ok bool
}

func (w *scalarWriter) raw(s string) { w.b = append(w.b, s...) }

// scalar appends " <s>\n" for the value of a mapping key written at column col, in the style
// yaml.v3 chooses for s.
func (w *scalarWriter) scalar(s string, col int) {
	b := w.b
	switch {
	case strings.Contains(s, "\n"):
		if !literalSafe(s) {
			w.encoded(s, col)
			return
		}
		// A literal block, "strip" chomping (no final line break), content indented one
		// step (2) deeper than the key.
		b = append(b, " |-\n"...)
		for line := range strings.SplitSeq(s, "\n") {
			b = appendSpaces(b, col+2)
			b = append(b, line...)
			b = append(b, '\n')
		}
	case isSmallInteger(s):
		// Reads back as a number: double-quoted.
		b = append(b, " \""...)
		b = append(b, s...)
		b = append(b, "\"\n"...)
	case !printableASCII(s) || mayResolveNonString(s):
		w.encoded(s, col)
		return
	case plainSafe(s):
		b = append(b, ' ')
		b = append(b, s...)
		b = append(b, '\n')
	case !plainPossible(s):
		b = append(b, " '"...)
		for i := 0; i < len(s); i++ {
			if s[i] == '\'' {
				b = append(b, '\'')
			}
			b = append(b, s[i])
		}
		b = append(b, "'\n"...)
	default:
		w.encoded(s, col)
		return
	}
	w.b = b
}

// encoded has yaml.v3 write the scalar as the value of a key at column col (nested in one-key
// mappings, so that line breaks inside the scalar get the indentation they get in the rule
// file) and appends what follows the key.
func (w *scalarWriter) encoded(s string, col int) {
	var v any = map[string]string{"k": s}
	var prefix strings.Builder
	for depth := range col / 2 {
		v = map[string]any{"a": v}
		prefix.WriteString(strings.Repeat(" ", 2*depth) + "a:\n")
	}
	prefix.WriteString(strings.Repeat(" ", col) + "k:")
	out, err := encodeYAML(v)
	rest, found := strings.CutPrefix(string(out), prefix.String())
	if err != nil || !found {
		w.ok = false
		return
	}
	w.b = append(w.b, rest...)
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// printableASCII reports whether s is made of the printable ASCII characters (space to ~).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// mayResolveNonString reports whether s, written plain, might read back as something other
// than a string (null, a boolean of YAML 1.1 or 1.2, a number, a timestamp, a merge key):
// yaml.v3 double-quotes those. It errs on the side of true; durations as Prometheus writes
// them (5m, 1h30m) are strings.
func mayResolveNonString(s string) bool {
	if s == "" {
		return true
	}
	switch s[0] {
	case '+', '-', '.', '~', '<', '=':
		return true
	}
	if s[0] >= '0' && s[0] <= '9' {
		return !isDuration(s)
	}
	switch strings.ToLower(s) {
	case "null", "true", "false", "y", "n", "yes", "no", "on", "off":
		return true
	}
	return false
}

// isDuration reports whether s is digits followed by Prometheus's duration units only
// (ms, s, m, h, d, w, y), as model.Duration writes them.
func isDuration(s string) bool {
	letters := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case strings.IndexByte("msmhdwy", c) >= 0:
			letters = true
		default:
			return false
		}
	}
	return letters
}

// plainSafe reports whether printable ASCII s, which does not resolve to a non-string, can be
// written without quotes in a block mapping: it neither starts with an indicator or a space,
// nor ends with a space or a colon, nor holds ": " or " #".
func plainSafe(s string) bool {
	return strings.IndexByte("-?:,[]{}#&*!|>'\"%@` ", s[0]) < 0 && plainPossible(s)
}

// plainPossible reports whether s might be written plain; false when it certainly is not:
// it starts or ends with a space, ends with a colon, or holds ": " or " #".
func plainPossible(s string) bool {
	if s[0] == ' ' || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #")
}

// literalSafe reports whether multi-line s is written by yaml.v3 as a plain "|-" literal
// block: printable ASCII lines, none empty or ending with a space, the first not starting
// with one.
func literalSafe(s string) bool {
	if s[0] == ' ' {
		return false
	}
	for line := range strings.SplitSeq(s, "\n") {
		if line == "" || line[len(line)-1] == ' ' || !printableASCII(line) {
			return false
		}
	}
	return true
}

// isSmallInteger reports whether s is 1 to 18 decimal digits (an integer of int64's range).
func isSmallInteger(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// plainKey reports whether a label or annotation name is one this writer writes: lower-case
// letters and underscores, which yaml.v3 writes plain and orders as Go orders strings (its
// natural order puts digits by value and "_" before upper-case letters; such names go to
// encodeYAML).
func plainKey(k string) bool {
	if k == "" || len(k) > 128 || mayResolveNonString(k) {
		return false
	}
	for i := 0; i < len(k); i++ {
		if (k[i] < 'a' || k[i] > 'z') && k[i] != '_' {
			return false
		}
	}
	return true
}
