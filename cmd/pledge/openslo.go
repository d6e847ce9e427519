package main

import (
	"fmt"

	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pledge-dev/pledge/internal/openslo"
	"github.com/pledge-dev/pledge/internal/render"
)

func importCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Turn other formats into ServiceStandards"}
	cmd.AddCommand(importOpenSLOCommand())
	return cmd
}

func exportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Write ServiceStandards in other formats"}
	cmd.AddCommand(exportOpenSLOCommand())
	return cmd
}

func importOpenSLOCommand() *cobra.Command {
	var files []string
	var outDir, namespace string
	var strict bool
	cmd := &cobra.Command{
		Use:   "openslo -f FILE|DIR [-f ...] [-o DIR] [--namespace NS] [--strict]",
		Short: "Turn OpenSLO v1 documents into ServiceStandards and EscalationPolicies",
		Long: `Read OpenSLO v1 documents (Service, SLO, SLI, AlertPolicy, AlertCondition,
AlertNotificationTarget; DataSource is read for its type only) and write one ServiceStandard per
SLO that maps, with an EscalationPolicy when its alert policies' notification targets map.
Whatever does not map is reported on stderr with its field path ("note:" lines lose nothing
Pledge could act on). Every standard written passes pledge validate. Output: one
<namespace>_<name>.yaml per standard in DIR with -o, else one YAML stream on stdout.
Exit 1 when a standard fails validation, when no SLO maps, or, with --strict, when anything
other than a note is reported.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			docs, findings, err := openslo.Read(files, cmd.InOrStdin())
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{1}
			}
			imported := openslo.Import(docs, namespace)
			findings = append(findings, imported.Findings...)
			for _, f := range findings {
				fmt.Fprintln(cmd.ErrOrStderr(), f)
			}
			if len(imported.Standards) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no SLO maps to a ServiceStandard")
				return exitError{1}
			}
			outs, err := imported.Files()
			if err != nil {
				return err
			}
			invalid := false
			var written []output
			for _, o := range outs {
				name := o.Name
				if outDir != "" {
					name = filepath.Join(outDir, o.Name)
				}
				problems, warnings := openslo.Validate(name, o.Data)
				for _, w := range warnings {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
				}
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), p)
				}
				if len(problems) > 0 {
					invalid = true
					continue
				}
				written = append(written, output{o.Name, o.Data})
			}
			if err := write(cmd.OutOrStdout(), outDir, written); err != nil {
				return err
			}
			if invalid || (strict && findings.Unsupported() > 0) {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file or directory to read (repeatable; - for stdin)")
	cmd.Flags().StringVarP(&outDir, "output-dir", "o", "", "write one file per standard into this directory instead of stdout")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "default", "namespace of the standards and policies written")
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 when anything does not map (notes excepted)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func exportOpenSLOCommand() *cobra.Command {
	var files []string
	var strict bool
	cmd := &cobra.Command{
		Use:   "openslo -f FILE|DIR [-f ...] [--strict]",
		Short: "Write ServiceStandards as OpenSLO v1 documents",
		Long: `Read ServiceStandards (and the EscalationPolicies they refer to), check them as
pledge validate does, and write OpenSLO v1 documents on stdout: a Service per service, an SLO
per standard with inline SLIs, an AlertPolicy per burn-rate window pair whose notification
targets are the first tier's receivers (page) or the ticket receivers (ticket). Whatever
OpenSLO cannot hold is reported on stderr with its field path; with --strict that exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, resolved, err := loadSet(cmd, files, render.ClusterLabel{})
			if err != nil {
				return err
			}
			byKey := map[string]int{}
			for i, r := range resolved {
				byKey[r.Namespace+"/"+r.Name] = i
			}
			var in []openslo.Exportable
			for _, std := range set.Standards {
				if i, ok := byKey[std.Namespace+"/"+std.Name]; ok {
					in = append(in, openslo.Exportable{Standard: std, Resolved: resolved[i]})
				}
			}
			docs, findings := openslo.Export(in)
			for _, f := range findings {
				fmt.Fprintln(cmd.ErrOrStderr(), f)
			}
			b, err := openslo.Marshal(docs)
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(b); err != nil {
				return err
			}
			if strict && findings.Unsupported() > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file or directory to read (repeatable; - for stdin)")
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 when anything cannot be written in OpenSLO (notes excepted)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}
