// Package render turns a ServiceStandard (and its resolved escalation policy) into Prometheus
// rules and Alertmanager routing. It is pure: no Kubernetes client, no I/O, so the operator and
// the pledge CLI render exactly the same output.
//
// The alert math is documented in docs/alerting.md: every objective is reduced to two recorded
// series (bad-event rate and event rate, both over 5m); every window's error ratio is derived
// from them with sum_over_time, so the raw series are read once per objective and evaluation.
package render
