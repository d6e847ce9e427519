// Package e2e proves Pledge's generated alerting and routing end to end, on loopback: the rules
// and Alertmanager configuration rendered from a ServiceStandard run in a real Prometheus and a
// real Alertmanager (and amtool), fed by a test exporter, and every notification lands in a
// webhook recorder (see test/procs). The tests need PROMETHEUS, ALERTMANAGER and AMTOOL; make
// test sets them from the pinned bin/.
package e2e
