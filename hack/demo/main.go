// Command pledge-demo runs the whole of Pledge on loopback, for `make demo`:
//
//	pledge-demo up      start etcd + kube-apiserver (envtest), Prometheus with 30 days of
//	                    history, Alertmanager, a live synthetic exporter and the Pledge manager;
//	                    apply config/samples; print the standing; run until stopped
//	pledge-demo status  print the standing of a running demo again
//	pledge-demo down    stop a running demo and every process it started
//
// State lives in one directory (--dir, default bin/demo): demo.pid, kubeconfig, env (shell
// exports), summary.txt, ready (marker written once the standing is shown) and run/ (etcd,
// certificates, the TSDB, Alertmanager's data, component logs). hack/demo.sh starts `up` in the
// background and waits for the marker; hack/demo-down.sh runs `down`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// options are the flags shared by the subcommands.
type options struct {
	dir     string // state directory
	bin     string // pinned binaries: prometheus, promtool, alertmanager, amtool, k8s/
	samples string // standards to apply
	crds    string // Pledge's CRDs
	timeout int    // seconds up waits for the standing
	detach  bool   // up: lead a session of its own
	keep    bool   // down: keep run/ (the components' logs)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	o := options{}
	fs.StringVar(&o.dir, "dir", "bin/demo", "state directory of the demo")
	fs.StringVar(&o.bin, "bin", "bin", "directory of the pinned binaries (prometheus, promtool, alertmanager, amtool, k8s/)")
	fs.StringVar(&o.samples, "samples", "config/samples", "ServiceStandards and EscalationPolicies to apply")
	fs.StringVar(&o.crds, "crds", "config/crd/bases", "Pledge's CRDs")
	fs.IntVar(&o.timeout, "timeout", 300, "seconds to wait for every standard's standing")
	fs.BoolVar(&o.detach, "detach", false, "up: start a session of its own, so that the terminal's ^C and hang-up do not reach the demo (hack/demo.sh runs it so in the background)")
	fs.BoolVar(&o.keep, "keep-logs", false, "down: keep the state directory's run/ (logs, TSDB) for a look")
	_ = fs.Parse(os.Args[2:])
	for _, p := range []*string{&o.dir, &o.bin, &o.samples, &o.crds} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			fatalf("%v", err)
		}
		*p = abs
	}
	var err error
	switch cmd {
	case "up":
		err = up(o)
	case "status":
		err = status(o)
	case "down":
		err = down(o)
	default:
		usage()
	}
	if err != nil {
		fatalf("%v", err)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: pledge-demo up|status|down [--dir bin/demo] [--bin bin] [--samples config/samples]")
	os.Exit(2)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pledge-demo: "+format+"\n", args...)
	os.Exit(1)
}
