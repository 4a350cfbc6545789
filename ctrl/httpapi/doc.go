// Package httpapi implements xlvsd's read-only HTTP API, served beside the
// Prometheus metrics on --metrics-addr:
//
//	GET /api/v1/services                         every service with its real servers
//	GET /api/v1/services/{proto}/{addr}/{port}   one service (proto tcp, udp or sctp)
//	GET /api/v1/connections/summary              connection table fill and counts
//	GET /api/v1/counters                         the dataplane's counters
//	GET /metrics                                 Prometheus exposition (Config.Metrics)
//	GET /healthz                                 "ok" while the daemon serves
//
// Answers are JSON objects with the stable, documented field names of the
// types in this package ([Service], [RealServer], [Summary], [Counters]);
// errors are {"error": "..."} with 400, 404 or 405 (every method but GET
// and HEAD). Nothing can be changed through it.
//
// Rates (connections, packets and bytes per second) come from an
// [Estimator] that samples the counters every two seconds and smooths them
// as Linux IPVS's estimator does (ip_vs_est.c: avg += (rate - avg) / 4).
//
// Concurrency: a Handler is safe for concurrent requests as long as its
// sources are; the Estimator is safe for concurrent use.
package httpapi
