// Package compliance measures ServiceStandards against a Prometheus-compatible query API
// (Prometheus, Thanos Querier, Mimir) and computes the standing written on each resource.
//
// A poll issues a fixed set of queries over the series Pledge records — never one per standard —
// and fans the results out in memory by (namespace, service_standard, objective):
//
//   - per distinct measurement range (a rolling window's length, or a calendar period to date):
//     the sums of the hourly bad-event and all-event totals, and the number of hourly samples
//     (how much of the range has data);
//   - per distinct alert window: the error ratio (from the 5m rates up to 6h, from the hourly
//     totals beyond);
//   - the burn-rate alerts firing now (ALERTS), which make an objective AtRisk;
//   - for calendar windows, each closed period not yet on the status, evaluated at its end.
//
// The number of queries grows with the variety of windows in use, not with the number of
// standards or objectives.
package compliance
