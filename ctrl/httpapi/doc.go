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
// Counters and rates are the model's listing, exactly what
// `xlvsadm -L -n --stats` and `--rate` show (IPVS's 2-second estimator,
// run by the model; -Z and reused slots start from zero). The connection
// summary's counts by state come from the workers' single-writer
// counters, read with atomic loads: no table walk per request.
//
// Concurrency: a Handler is safe for concurrent requests as long as its
// sources are.
package httpapi
