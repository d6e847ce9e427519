// Package compliance measures ServiceStandards against a Prometheus-compatible query API
// (Prometheus, Thanos Querier, Mimir) and computes the standing written on each resource.
//
// A poll issues a bounded set of queries over the series Pledge records — never one per
// standard — and fans the results out in memory by (namespace, service_standard, objective):
//
//   - the burn-rate and no-data alerts firing now (ALERTS), which make an objective AtRisk or
//     say which series is missing;
//   - per remainder in use (see span): the daily sums of the hourly bad-event and all-event
//     totals and of their number, and the negative totals, as range queries with a step of one
//     day, and the same over the remainder; every rolling window, calendar period to date and
//     alert window over 6h is a number of those days plus its remainder, summed in memory;
//   - per distinct alert window up to 6h: the error ratio from the 5m rates;
//   - for calendar windows, each closed period not yet on the status, evaluated at its end;
//   - with History, while an objective's recorded totals do not cover its window and its raw
//     history is not known yet: where its totals begin, and the hourly counts of its raw series
//     before that (a bounded number per poll, kept in memory and rolled with the window).
//
// Rolling windows are measured in whole hours, so there are at most 24 remainders for them
// whatever their lengths. A failed query leaves only the standards that need it unmeasured.
package compliance
