// Command pledge is the Pledge operator and its offline tools: render and validate.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code: 0 ok, 1 invalid input, 2 usage.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "pledge",
		Short:         "Service standards as code: Prometheus alerting, Alertmanager routing and compliance status",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command, the offline ones included, runs with the same collector target.
		PersistentPreRun: func(*cobra.Command, []string) {
			gcPercent.percent, gcPercent.from = setGCPercent(os.Getenv)
		},
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(managerCommand(), renderCommand(), validateCommand(), importCommand(), exportCommand(), &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), version) },
	})
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
}
