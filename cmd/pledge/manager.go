package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pledge-dev/pledge/controllers"
	"github.com/pledge-dev/pledge/internal/compliance"
	"github.com/pledge-dev/pledge/internal/render"
)

// managerOptions are the manager's flags.
type managerOptions struct {
	metricsAddr      string
	probeAddr        string
	pprofAddr        string
	leaderElect      bool
	namespaces       []string
	crdRetryInterval time.Duration
	prometheus       compliance.PrometheusOptions
	headers          []string
	pollInterval     time.Duration
	statusMaxAge     time.Duration
	atRiskBudget     float64
	periods          int
	alertmanagerURL  string
	rulesLoadedGrace time.Duration
	ruleLabels       map[string]string
	amcLabels        map[string]string
	clusterLabel     string
	webAddress       string
	dashboards       controllers.DashboardOptions
	target           targetOptions
	workers          int
	historyQueries   int
	zap              zap.Options
}

func managerCommand() *cobra.Command {
	o := &managerOptions{}
	cmd := &cobra.Command{
		Use:   "manager",
		Short: "Run the operator: deliver ServiceStandards as rules and routing (prometheus-operator objects, files or ConfigMaps) and measure them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runManager(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "address of the metrics endpoint (0 disables it)")
	f.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz probes")
	f.StringVar(&o.pprofAddr, "pprof-bind-address", "", "address of Go's /debug/pprof endpoints, for profiling the manager (empty: off)")
	f.BoolVar(&o.leaderElect, "leader-elect", false, "elect a leader so that only one replica reconciles (run several for HA)")
	f.StringSliceVar(&o.namespaces, "namespaces", nil, "namespaces to watch (comma-separated; default: all)")
	f.DurationVar(&o.crdRetryInterval, "crd-retry-interval", 30*time.Second, "how often to retry while the prometheus-operator CRDs are missing")
	f.StringVar(&o.prometheus.URL, "prometheus-url", "", "query API of Prometheus, Thanos Querier or Mimir for compliance status (empty: no compliance status)")
	f.StringVar(&o.prometheus.BearerTokenFile, "prometheus-bearer-token-file", "", "file holding a bearer token for the query API (re-read on every request)")
	f.StringVar(&o.prometheus.CAFile, "prometheus-ca-file", "", "CA certificate to verify the query API's TLS certificate")
	f.DurationVar(&o.prometheus.Timeout, "prometheus-timeout", 30*time.Second, "timeout of one query")
	f.StringArrayVar(&o.headers, "prometheus-header", nil, "header for every query, NAME=VALUE (e.g. X-Scope-OrgID=tenant for Mimir); repeatable")
	f.DurationVar(&o.pollInterval, "poll-interval", time.Minute, "how often every standard is measured")
	f.DurationVar(&o.statusMaxAge, "status-max-age", 10*time.Minute, "an unchanged standing is rewritten (new lastEvaluated) once it is this old")
	f.Float64Var(&o.atRiskBudget, "at-risk-budget", 25, "an objective is AtRisk when less than this percentage of its error budget is left")
	f.IntVar(&o.periods, "periods", 3, "closed calendar periods kept in status.periods")
	f.StringVar(&o.alertmanagerURL, "alertmanager-url", "", "API root of Alertmanager, to confirm that its running configuration holds each standard's receivers (RulesLoaded; empty: not checked)")
	f.DurationVar(&o.rulesLoadedGrace, "rules-loaded-grace", 5*time.Minute, "how long a generated rule group or receiver may be missing before RulesLoaded is False (prometheus-operator and the config reloaders need time)")
	f.StringToStringVar(&o.ruleLabels, "rule-labels", nil, "labels on every generated PrometheusRule, k=v,... (e.g. release=kube-prometheus-stack for its ruleSelector)")
	f.StringToStringVar(&o.amcLabels, "alertmanagerconfig-labels", nil, "labels on every generated AlertmanagerConfig, k=v,... (for the alertmanagerConfigSelector)")
	f.StringVar(&o.clusterLabel, "cluster-label", "", "name=value label on every generated series and alert, matched by every rule and compliance query (clusters sharing one Thanos or Mimir)")
	f.StringVar(&o.webAddress, "web-address", "", webAddressHelp)
	f.BoolVar(&o.dashboards.Enabled, "grafana-dashboards", false, "publish each standard's Grafana dashboard as a ConfigMap for the Grafana sidecar")
	f.StringToStringVar(&o.dashboards.Labels, "grafana-dashboard-label", nil, "labels on the dashboard ConfigMaps, k=v,... (default grafana_dashboard=1, the sidecar's default)")
	f.StringVar(&o.dashboards.Namespace, "grafana-dashboard-namespace", "", "namespace of the dashboard ConfigMaps (default: each standard's own)")
	f.StringVar(&o.dashboards.OverviewNamespace, "grafana-overview-namespace", "", "namespace of the overview dashboard's ConfigMap (default: --grafana-dashboard-namespace; without either, no overview is published)")
	o.target.bind(f)
	f.IntVar(&o.workers, "max-concurrent-reconciles", 4, "how many standards are reconciled at once")
	f.IntVar(&o.historyQueries, "history-queries", compliance.DefaultHistoryQueries, "the most queries of raw history a compliance poll sends, for the part of a window not yet covered by Pledge's hourly totals (at least 1)")
	zfs := flag.NewFlagSet("zap", flag.ContinueOnError)
	o.zap.BindFlags(zfs)
	f.AddGoFlagSet(zfs)
	return cmd
}

func runManager(cmd *cobra.Command, o *managerOptions) error {
	if err := render.ValidateObjectLabels(o.ruleLabels); err != nil {
		return fmt.Errorf("--rule-labels: %w", err)
	}
	if err := render.ValidateObjectLabels(o.amcLabels); err != nil {
		return fmt.Errorf("--alertmanagerconfig-labels: %w", err)
	}
	o.dashboards.Periods = o.periods
	o.dashboards.AtRiskBudget = o.atRiskBudget
	if o.dashboards.OverviewNamespace == "" {
		o.dashboards.OverviewNamespace = o.dashboards.Namespace
	}
	if err := render.ValidateObjectLabels(o.dashboards.Labels); err != nil {
		return fmt.Errorf("--grafana-dashboard-label: %w", err)
	}
	var cluster render.ClusterLabel
	if o.clusterLabel != "" {
		c, err := render.ParseClusterLabel(o.clusterLabel)
		if err != nil {
			return fmt.Errorf("--cluster-label %w", err)
		}
		cluster = c
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	if limit, from, err := setMemoryLimit(os.Getenv); err != nil {
		return err
	} else if limit > 0 {
		ctrl.Log.WithName("setup").Info("Go memory limit", "bytes", limit, "from", from)
	}
	ctrl.Log.WithName("setup").Info("Go GC percent", "percent", gcPercent.percent, "from", gcPercent.from)
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("no cluster to talk to: %w", err)
	}
	opts := ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress: o.probeAddr,
		PprofBindAddress:       o.pprofAddr,
		LeaderElection:         o.leaderElect,
		LeaderElectionID:       "pledge.pledge.dev",
	}
	if len(o.namespaces) > 0 {
		opts.Cache.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range o.namespaces {
			opts.Cache.DefaultNamespaces[strings.TrimSpace(ns)] = cache.Config{}
		}
	}
	mgr, err := controllers.NewManager(cfg, opts)
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	copts := controllers.Options{Workers: o.workers, CRDRetryInterval: o.crdRetryInterval, Metrics: controllers.NewMetrics(nil),
		RuleLabels: o.ruleLabels, AlertmanagerConfigLabels: o.amcLabels, Cluster: cluster, Dashboards: o.dashboards,
		Liveness: &controllers.LivenessChecker{Interval: o.pollInterval, Grace: o.rulesLoadedGrace, Cluster: cluster}}
	if err := o.target.apply(cmd.Flags(), &copts); err != nil {
		return err
	}
	if o.prometheus.URL != "" {
		o.prometheus.Headers = map[string]string{}
		for _, h := range o.headers {
			name, value, ok := strings.Cut(h, "=")
			if !ok {
				return fmt.Errorf("--prometheus-header %q: want NAME=VALUE", h)
			}
			o.prometheus.Headers[name] = value
		}
		q, err := compliance.NewPrometheusQuerier(o.prometheus, copts.Metrics.Queries)
		if err != nil {
			return err
		}
		copts.Liveness.Prometheus = q
		if o.alertmanagerURL != "" {
			copts.Liveness.Alertmanager = compliance.NewAlertmanagerReader(o.alertmanagerURL, o.prometheus.Timeout)
		}
		copts.Compliance = &controllers.ComplianceRunner{
			Querier: q, Interval: o.pollInterval, MaxAge: o.statusMaxAge,
			Options: compliance.Options{AtRiskBudget: o.atRiskBudget, Periods: o.periods, Cluster: cluster},
		}
		if o.historyQueries < 1 {
			return fmt.Errorf("--history-queries %d: want at least 1", o.historyQueries)
		}
		copts.Compliance.Options.History = &compliance.History{Queries: o.historyQueries}
	} else {
		ctrl.Log.WithName("setup").Info("No --prometheus-url: standards get rules and routing, but no compliance status and no RulesLoaded check")
	}
	if err := controllers.Setup(cmd.Context(), mgr, copts); err != nil {
		return err
	}
	if err := addBoard(mgr, o.webAddress, copts); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	if o.dashboards.Enabled && o.dashboards.OverviewNamespace == "" {
		ctrl.Log.WithName("setup").Info("No overview dashboard published: set --grafana-overview-namespace (or --grafana-dashboard-namespace)")
	}
	ctrl.Log.WithName("setup").Info("Starting manager", "version", version, "target", o.target.target, "namespaces", o.namespaces, "leaderElection", o.leaderElect)
	return mgr.Start(ctrl.SetupSignalHandler())
}
