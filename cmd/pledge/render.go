package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pledge-dev/pledge/internal/dashboard"
	"github.com/pledge-dev/pledge/internal/manifest"
	"github.com/pledge-dev/pledge/internal/parallel"
	"github.com/pledge-dev/pledge/internal/render"
)

// Output formats of pledge render.
const (
	formatPrometheusRule     = "prometheusrule"
	formatRules              = "rules"
	formatAlertmanagerConfig = "alertmanagerconfig"
	formatAlertmanager       = "alertmanager"
	formatGrafana            = "grafana"
)

var formats = []string{formatPrometheusRule, formatRules, formatAlertmanagerConfig, formatAlertmanager, formatGrafana}

func renderCommand() *cobra.Command {
	var files []string
	var format, outDir, clusterLabel string
	var prune bool
	var smtp render.SMTP
	cmd := &cobra.Command{
		Use:   "render -f FILE|DIR [-f ...] --format " + strings.Join(formats, "|") + " [-o DIR]",
		Short: "Render standards into Prometheus rules or Alertmanager routing",
		Long: `Render ServiceStandard (and EscalationPolicy) documents into:
  prometheusrule      prometheus-operator PrometheusRule objects (one per standard)
  rules               one plain Prometheus rule file (promtool check rules accepts it)
  alertmanagerconfig  prometheus-operator AlertmanagerConfig objects (standards with escalation)
  alertmanager        one plain Alertmanager configuration (amtool check-config accepts it)
  grafana             Grafana dashboards (JSON): one per standard and an overview of them all
YAML (JSON for grafana) goes to stdout, or into DIR with -o. Invalid input prints one line per problem and exits 1.
In DIR, a standard's file of the format that this run did not write (an earlier run's, for a
standard no longer in the input) is named in a warning, or removed with --prune.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(formats, format) {
				return fmt.Errorf("--format must be one of %s", strings.Join(formats, ", "))
			}
			if prune && outDir == "" {
				return errors.New("--prune needs -o DIR")
			}
			var cluster render.ClusterLabel
			if clusterLabel != "" {
				c, err := render.ParseClusterLabel(clusterLabel)
				if err != nil {
					return fmt.Errorf("--cluster-label %w", err)
				}
				cluster = c
			}
			standards, err := load(cmd, files, cluster)
			if err != nil {
				return err
			}
			if format == formatAlertmanager && render.NeedsGlobalSMTP(standards) && (smtp.Smarthost == "" || smtp.From == "") {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: e-mail receivers without their own smarthost or sender use the global ones; "+
					"defaults %s and %s apply unless --smtp-smarthost and --smtp-from are given\n", render.DefaultSMTP.Smarthost, render.DefaultSMTP.From)
			}
			out := &sink{stdout: cmd.OutOrStdout(), dir: outDir}
			if err := renderFormat(standards, format, smtp, out); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{1}
			}
			stale, err := out.stale(format)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{1}
			}
			for _, f := range stale {
				if !prune {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s was not written by this run: no standard of the input has it (an earlier run wrote it); remove it, or render with --prune\n", f)
					continue
				}
				if err := os.Remove(f); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					return exitError{1}
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "removed %s: no standard of the input has it\n", f)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file or directory to read (repeatable; - for stdin)")
	cmd.Flags().StringVar(&format, "format", formatPrometheusRule, "output format: "+strings.Join(formats, ", "))
	cmd.Flags().StringVarP(&outDir, "output-dir", "o", "", "write files into this directory instead of stdout")
	cmd.Flags().BoolVar(&prune, "prune", false, "with -o: remove the standards' files of the format that this run did not write")
	cmd.Flags().StringVar(&clusterLabel, "cluster-label", "", "name=value label on every generated series and alert, as pledge manager --cluster-label")
	cmd.Flags().StringVar(&smtp.Smarthost, "smtp-smarthost", "", "alertmanager format: global SMTP host:port for e-mail receivers without their own")
	cmd.Flags().StringVar(&smtp.From, "smtp-from", "", "alertmanager format: global sender for e-mail receivers without their own")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func validateCommand() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "validate -f FILE|DIR [-f ...]",
		Short: "Check standards and policies; print one line per problem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			standards, err := load(cmd, files, render.ClusterLabel{})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d standard(s) valid\n", len(standards))
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file or directory to read (repeatable; - for stdin)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// load reads the inputs, checks them as the API server would, then resolves the standards that
// passed (Pledge's deeper checks) with the cluster label; problems go to stderr, one per line.
func load(cmd *cobra.Command, files []string, cluster render.ClusterLabel) ([]*render.Standard, error) {
	_, standards, err := loadSet(cmd, files, cluster)
	return standards, err
}

// loadSet is load that also returns what was read, for commands that need the standards as
// written beside their resolved form (export openslo).
func loadSet(cmd *cobra.Command, files []string, cluster render.ClusterLabel) (*manifest.Set, []*render.Standard, error) {
	set, problems := manifest.Load(files, cmd.InOrStdin())
	set.Cluster = cluster
	standards, resolveProblems := set.Resolve()
	problems = append(problems, resolveProblems...)
	for _, w := range set.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	for _, p := range problems {
		fmt.Fprintln(cmd.ErrOrStderr(), p.String())
	}
	if len(problems) > 0 {
		return nil, nil, exitError{1}
	}
	return set, standards, nil
}

// output is one rendered file.
type output struct {
	name string
	data []byte
}

// renderFormat renders the standards in the format into out, each file (or, for the rule file,
// each standard's groups) written as soon as it is rendered.
func renderFormat(standards []*render.Standard, format string, smtp render.SMTP, out *sink) error {
	switch format {
	case formatRules:
		w, err := out.open("rules.yaml")
		if err != nil {
			return err
		}
		return errors.Join(render.WriteRulesFile(w, standards), w.Close())
	case formatAlertmanager:
		b, err := render.AlertmanagerFile(standards, smtp)
		if err != nil {
			return err
		}
		return out.put(output{"alertmanager.yaml", b})
	case formatGrafana:
		return grafanaDashboards(standards, out)
	}
	// One object per standard, rendered side by side and written in input order.
	return parallel.Ordered(len(standards), func(i int) (*output, error) {
		s := standards[i]
		var obj any
		if format == formatPrometheusRule {
			obj = s.PrometheusRule()
		} else {
			amc, err := s.AlertmanagerConfig()
			if err != nil || amc == nil {
				return nil, err
			}
			obj = amc
		}
		b, err := render.ObjectYAML(obj)
		if err != nil {
			return nil, err
		}
		return &output{outputName(s, format), b}, nil
	}, func(_ int, o *output) error {
		if o == nil {
			return nil
		}
		return out.put(*o)
	})
}

// closedPeriods is how many closed calendar periods a rendered dashboard shows, as
// pledge manager --periods keeps by default.
const closedPeriods = 3

// grafanaDashboards writes one dashboard per standard, <namespace>_<name>.grafana.json, each as
// it is built, and the overview, overview.grafana.json (a name no standard's file can have),
// which reads every standard's budgets and weights from their recorded series.
func grafanaDashboards(standards []*render.Standard, out *sink) error {
	cluster := ""
	now := time.Now()
	err := parallel.Ordered(len(standards), func(i int) (output, error) {
		s := standards[i]
		d, err := dashboard.StandardAt(s, now, closedPeriods)
		if err != nil {
			return output{}, fmt.Errorf("%s/%s: dashboard: %w", s.Namespace, s.Name, err)
		}
		b, err := dashboard.JSON(d)
		return output{outputName(s, formatGrafana), b}, err
	}, func(i int, o output) error {
		cluster = standards[i].Cluster.Name
		return out.put(o)
	})
	if err != nil {
		return err
	}
	d, err := dashboard.Overview(cluster, dashboard.DefaultAtRiskBudget)
	if err != nil {
		return fmt.Errorf("overview dashboard: %w", err)
	}
	b, err := dashboard.JSON(d)
	if err != nil {
		return err
	}
	return out.put(output{"overview." + formatGrafana + ".json", b})
}

// outputName is the file of one standard's output in -o DIR: <namespace>_<name>.<format>.yaml,
// or .grafana.json. Namespaces and names are DNS labels, which cannot hold '_', so two
// standards never share a file (with '-', a-b/c and a/b-c did).
func outputName(s *render.Standard, format string) string {
	return s.Namespace + "_" + s.Name + fileSuffix(format)
}

// fileSuffix is what follows <namespace>_<name> in the name of a standard's file of format.
func fileSuffix(format string) string {
	if format == formatGrafana {
		return "." + formatGrafana + ".json"
	}
	return "." + format + ".yaml"
}

// stale lists the files in the sink's directory that are named as a standard's file of format
// (<namespace>_<name>.<format>.yaml, <namespace>_<name>.grafana.json) but were not written by
// this run: an earlier run's, for a standard the input no longer holds (or, for
// alertmanagerconfig, one that no longer has escalation).
func (s *sink) stale(format string) ([]string, error) {
	if s.dir == "" || format == formatRules || format == formatAlertmanager { // one file for all standards
		return nil, nil
	}
	suffix := fileSuffix(format)
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || s.names[n] || !strings.HasSuffix(n, suffix) {
			continue
		}
		ns, name, ok := strings.Cut(strings.TrimSuffix(n, suffix), "_")
		if ok && len(validation.IsDNS1123Label(ns)) == 0 && len(validation.IsDNS1123Subdomain(name)) == 0 {
			out = append(out, filepath.Join(s.dir, n))
		}
	}
	return out, nil
}

// sink receives rendered files as they are produced: on stdout as one stream (YAML documents
// separated by ---, JSON documents one after the other, as jq reads them), or as files in dir.
type sink struct {
	stdout io.Writer
	dir    string
	names  map[string]bool
	n      int
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// open starts the file name.
func (s *sink) open(name string) (io.WriteCloser, error) {
	s.n++
	if s.dir == "" {
		if s.n > 1 && !strings.HasSuffix(name, ".json") {
			if _, err := fmt.Fprintln(s.stdout, "---"); err != nil {
				return nil, err
			}
		}
		return nopCloser{s.stdout}, nil
	}
	if s.names == nil {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return nil, err
		}
		s.names = map[string]bool{}
	}
	if s.names[name] {
		return nil, fmt.Errorf("two outputs would be written to %s", filepath.Join(s.dir, name))
	}
	s.names[name] = true
	return os.Create(filepath.Join(s.dir, name))
}

// put writes one whole file.
func (s *sink) put(o output) error {
	w, err := s.open(o.name)
	if err != nil {
		return err
	}
	_, err = w.Write(o.data)
	return errors.Join(err, w.Close())
}

// write puts outputs rendered beforehand into a sink.
func write(stdout io.Writer, dir string, outs []output) error {
	s := &sink{stdout: stdout, dir: dir}
	for _, o := range outs {
		if err := s.put(o); err != nil {
			return err
		}
	}
	return nil
}
