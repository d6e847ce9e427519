// Package procs starts the real components Pledge is tested against — Prometheus, Alertmanager
// (with promtool and amtool beside them) — on loopback, plus the small test doubles that feed
// and observe them: an Exporter whose metrics a test controls and a Webhook recorder that keeps
// every Alertmanager notification.
//
// The binaries come from the environment, as `make test` sets them from the pinned bin/:
// PROMETHEUS, ALERTMANAGER, PROMTOOL, AMTOOL. A test whose binary is not set is skipped, unless
// PLEDGE_REQUIRE_TOOLS is set (make test), in which case it fails.
//
// Every process listens on 127.0.0.1 on a free port, runs in its own process group, writes its
// output to a log file in the test's temporary directory (printed when the test fails, or always
// with PLEDGE_PROCS_LOGS=1) and is killed, with its group, when the test ends.
package procs
