package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	pledgev1 "github.com/pledge-dev/pledge/api/v1alpha1"
)

// status prints the standing of the running demo.
func status(o options) error {
	pid, ok := runningPID(o.dir)
	if !ok {
		fmt.Println(errNotRunning)
		os.Exit(3)
	}
	st, err := readState(o.dir)
	if err != nil || st.PID != pid {
		fmt.Printf("The demo (pid %d) is starting; its progress is in %s.\n", pid, rel(filepath.Join(o.dir, "demo.log")))
		os.Exit(4)
	}
	fmt.Print(summarize(st))
	return nil
}

// pendingGroups names the ticket rule groups (pledge/<ns>/<name>/5m) Prometheus has not
// evaluated yet: a group is first evaluated within its interval of loading, so their tickets
// may not show yet.
func pendingGroups(prometheusURL string) string {
	groups, err := ruleGroups(context.Background(), prometheusURL)
	if err != nil {
		return ""
	}
	var pending []string
	for _, g := range groups {
		if strings.HasSuffix(g.Name, "/5m") && (g.LastEvaluation.IsZero() || g.LastEvaluation.Year() < 2000) {
			pending = append(pending, g.Name)
		}
	}
	if len(pending) == 0 {
		return ""
	}
	return "  Ticket groups not evaluated yet (every 5m, the first time within 5m of loading): " + strings.Join(pending, ", ") + "\n"
}

// summarize shows the standing and where everything is.
func summarize(st state) string {
	var b strings.Builder
	kubeconfig := rel(st.Kubeconfig)
	fmt.Fprintf(&b, "\nPledge demo: up since %s (ready after %s), pid %d, everything on 127.0.0.1.\n",
		st.Started.Format("15:04:05"), st.ReadyAfter, st.PID)
	for _, args := range [][]string{
		{"get", "servicestandards", "-A"},
		{"get", "servicestandards", "-A", "-o", "wide"},
	} {
		fmt.Fprintf(&b, "\n$ %s --kubeconfig %s %s\n", rel(st.Kubectl), kubeconfig, strings.Join(args, " "))
		b.WriteString(kubectl(st, args...))
	}

	fmt.Fprintf(&b, "\nObjectives (the whole status: kubectl get servicestandard -n shop checkout -o yaml):\n")
	b.WriteString(objectives(st))

	b.WriteString("\nAlerts in Alertmanager:\n")
	b.WriteString(alerts(st.Alertmanager))
	b.WriteString(pendingGroups(st.Prometheus))

	fmt.Fprintf(&b, `
Look around:
  Board           %[12]s   (every standard's standing, budget charts, tiers)
  export KUBECONFIG=%[1]s   (or: source %[2]s)
  %[3]s describe servicestandard -n shop checkout
  kube-apiserver  %[4]s
  Prometheus      %[5]s   (HTTP API only, no web UI):
                  curl -s '%[5]s/api/v1/query?query=pledge:objective_errors:rate5m'
  Alertmanager    %[6]s   %[7]s alert query --alertmanager.url=%[6]s
  Pledge metrics  %[8]s
  Logs            %[9]s, %[10]s
  Rules           %[11]s (the manager's files target: one file per standard, Prometheus reloaded on change)
  Configuration   %[13]s (Alertmanager's, written and reloaded by the files target)

Stop with: make demo-down
`, st.Kubeconfig, rel(filepath.Join(st.Dir, "env")), rel(st.Kubectl), st.APIServer, st.Prometheus, st.Alertmanager, rel(st.Amtool),
		st.Manager, rel(filepath.Join(st.Dir, "demo.log")), rel(filepath.Join(st.Dir, "run", "logs"))+"/",
		rel(filepath.Join(st.Dir, "run", "rules"))+"/", st.Board, rel(filepath.Join(st.Dir, "run", "config"))+"/")
	return b.String()
}

func kubectl(st state, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, st.Kubectl, append([]string{"--kubeconfig", st.Kubeconfig}, args...)...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		return fmt.Sprintf("kubectl: %v\n%s%s", err, out.String(), errs.String())
	}
	return out.String()
}

// objectives shows every objective's standing, one line each.
func objectives(st state) string {
	var list pledgev1.ServiceStandardList
	out := kubectl(st, "get", "servicestandards", "-A", "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return out
	}
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  STANDARD\tOBJECTIVE\tTARGET\tATTAINMENT\tBUDGET LEFT\tBURN 1h\tSTATE")
	for _, s := range list.Items {
		for _, o := range s.Status.Objectives {
			burn := ""
			for _, r := range o.BurnRates {
				if r.Window == "1h" {
					burn = r.Value
				}
			}
			fmt.Fprintf(w, "  %s/%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Namespace, s.Name, o.Name, o.Target, o.Attainment,
				o.ErrorBudgetRemaining, burn, o.State)
		}
	}
	_ = w.Flush()
	return b.String()
}

// alerts lists the alerts Alertmanager holds, one line each.
func alerts(url string) string {
	var list []struct {
		Labels    map[string]string `json:"labels"`
		Receivers []struct {
			Name string `json:"name"`
		} `json:"receivers"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if err := getJSON(context.Background(), url+"/api/v2/alerts", &list); err != nil {
		return fmt.Sprintf("  (%v)\n", err)
	}
	if len(list) == 0 {
		return "  (none)\n"
	}
	var lines []string
	for _, a := range list {
		var receivers []string
		for _, r := range a.Receivers {
			receivers = append(receivers, r.Name)
		}
		l := a.Labels
		extra := "severity=" + l["severity"]
		if l["long_window"] != "" {
			extra += " window=" + l["long_window"] + "/" + l["short_window"]
		}
		if l["escalation_tier"] != "" {
			extra += " tier=" + l["escalation_tier"]
		}
		lines = append(lines, fmt.Sprintf("  %s\t%s/%s\t%s\t%s\t%s\t-> %s", l["alertname"], l["namespace"], l["service_standard"],
			l["objective"], extra, a.Status.State, strings.Join(receivers, ",")))
	}
	slices.Sort(lines)
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	_ = w.Flush()
	return b.String()
}

// rel shows a path relative to the working directory when it is below it.
func rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	r, err := filepath.Rel(wd, path)
	if err != nil || strings.HasPrefix(r, "..") {
		return path
	}
	return r
}
