package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/tsdb"
	"go.yaml.in/yaml/v3"
)

var promParser = parser.NewParser(parser.Options{})

// read is one rule's use of a recorded metric: how far back it looks (matrix and subquery
// ranges and offsets around the selector; 0 for an instant read).
type read struct {
	metric string
	back   time.Duration
}

func reads(expr parser.Expr, recorded map[string]bool) []read {
	var out []read
	parser.Inspect(expr, func(node parser.Node, path []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if !recorded[name] {
			return nil
		}
		back := vs.OriginalOffset
		for _, p := range path {
			switch p := p.(type) {
			case *parser.MatrixSelector:
				back += p.Range
			case *parser.SubqueryExpr:
				back += p.Range + p.OriginalOffset
			}
		}
		out = append(out, read{name, back})
		return nil
	})
	return out
}

// cmdLevels reads rule files and writes, into DIR/level-1.yaml, level-2.yaml, ..., the
// recording rules whose history steady-state evaluation reads: those that some rule reads
// over a range (a matrix selector or subquery), and, transitively, what those read. Level k
// holds the rules that read only raw data and levels below k, so promtool can backfill level
// by level. Recorded series that rules only read at the current instant need no history: a
// query opens only the blocks overlapping [t - range - 5m, t], so their past cannot change
// the cost being measured. It prints one line per metric name: level, history read, groups.
func cmdLevels(args []string) error {
	fs := flag.NewFlagSet("levels", flag.ExitOnError)
	out := fs.String("out", "", "output directory")
	_ = fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return fmt.Errorf("usage: levels -out DIR RULEFILE [RULEFILE...] (at least one)")
	}
	var groups []rulefmt.RuleGroup
	for _, f := range fs.Args() {
		rgs, errs := rulefmt.ParseFile(f, false, model.UTF8Validation, promParser, promslog.NewNopLogger())
		if len(errs) > 0 {
			return errs[0]
		}
		if n, err := documents(f); err != nil || n > 1 {
			return fmt.Errorf("%s: %d YAML documents (%v): Prometheus reads only the first", f, n, err)
		}
		groups = append(groups, rgs.Groups...)
	}
	recorded := map[string]bool{}
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
		}
	}
	// deps[reader] lists what each recorded metric's rules read; history[m] is how far back
	// the history of m is read (0: not at all).
	deps := map[string][]read{}
	history := map[string]time.Duration{}
	for _, g := range groups {
		for _, r := range g.Rules {
			expr, err := promParser.ParseExpr(r.Expr)
			if err != nil {
				return fmt.Errorf("group %s: %w", g.Name, err)
			}
			rs := reads(expr, recorded)
			if r.Record != "" {
				deps[r.Record] = append(deps[r.Record], rs...)
			}
			for _, rd := range rs {
				history[rd.metric] = max(history[rd.metric], rd.back)
			}
		}
	}
	// A recorded metric whose history is read needs the history of what it reads, shifted.
	for changed := true; changed; {
		changed = false
		for m, h := range history {
			if h == 0 {
				continue
			}
			for _, rd := range deps[m] {
				if need := h + rd.back; need > history[rd.metric] {
					history[rd.metric] = need
					changed = true
				}
			}
		}
	}
	level := map[string]int{}
	var levelOf func(m string, seen int) int
	levelOf = func(m string, seen int) int {
		if l, ok := level[m]; ok {
			return l
		}
		if seen > len(recorded) {
			panic("recording rules read each other in a cycle: " + m)
		}
		l := 1
		for _, rd := range deps[m] {
			l = max(l, levelOf(rd.metric, seen+1)+1)
		}
		level[m] = l
		return l
	}
	files := map[int]*rulefmt.RuleGroups{}
	for _, g := range groups {
		kept := map[int]*rulefmt.RuleGroup{}
		for _, r := range g.Rules {
			if r.Record == "" || history[r.Record] == 0 {
				continue
			}
			l := levelOf(r.Record, 0)
			if kept[l] == nil {
				kept[l] = &rulefmt.RuleGroup{Name: g.Name, Interval: g.Interval, Labels: g.Labels}
			}
			kept[l].Rules = append(kept[l].Rules, rulefmt.Rule{Record: r.Record, Expr: r.Expr, Labels: r.Labels})
		}
		for l, kg := range kept {
			if files[l] == nil {
				files[l] = &rulefmt.RuleGroups{}
			}
			files[l].Groups = append(files[l].Groups, *kg)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for l, rgs := range files {
		b, err := yaml.Marshal(rgs)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, fmt.Sprintf("level-%d.yaml", l)), b, 0o644); err != nil {
			return err
		}
	}
	for _, m := range slices.Sorted(maps.Keys(recorded)) {
		if history[m] == 0 {
			fmt.Printf("%-50s  not backfilled: no rule reads its history\n", m)
			continue
		}
		fmt.Printf("%-50s  level %d, history read: %s\n", m, levelOf(m, 0), model.Duration(history[m]))
	}
	return nil
}

// cmdCompact opens a TSDB as Prometheus would (retention and block ranges of
// --storage.tsdb.retention.time RETENTION) and compacts it: backfilled blocks overlap each
// other and the raw data (promtool writes one block per rule and time range), and the
// benchmark must not measure Prometheus merging them.
func cmdCompact(args []string) error {
	fs := flag.NewFlagSet("compact", flag.ExitOnError)
	retention := fs.Duration("retention", 60*24*time.Hour, "as --storage.tsdb.retention.time")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: compact [-retention D] DIR")
	}
	opts := tsdb.DefaultOptions()
	opts.RetentionDuration = retention.Milliseconds()
	// Prometheus: the largest block is a tenth of the retention, at most 31 days.
	maxBlock := min(*retention/10, 31*24*time.Hour)
	opts.MaxBlockDuration = maxBlock.Milliseconds()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	db, err := tsdb.Open(fs.Arg(0), logger, nil, opts, nil)
	if err != nil {
		return err
	}
	before := len(db.Blocks())
	if err := db.Compact(context.Background()); err != nil {
		_ = db.Close()
		return err
	}
	fmt.Printf("%s: %d blocks, %d after compaction\n", fs.Arg(0), before, len(db.Blocks()))
	return db.Close()
}

// documents counts the non-empty YAML documents in a file.
func documents(f string) (int, error) {
	r, err := os.Open(f)
	if err != nil {
		return 0, err
	}
	defer func() { _ = r.Close() }()
	d := yaml.NewDecoder(r)
	n := 0
	for {
		var doc any
		err := d.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if doc != nil {
			n++
		}
	}
}
