// Package metrics implements xlvsd's Prometheus collector.
//
// [Collector] exposes node_exporter's IPVS series under their exact names,
// help texts, types and labels (node_ipvs_connections_total,
// node_ipvs_incoming_packets_total, node_ipvs_outgoing_packets_total,
// node_ipvs_incoming_bytes_total, node_ipvs_outgoing_bytes_total,
// node_ipvs_backend_connections_active, node_ipvs_backend_connections_inactive,
// node_ipvs_backend_weight), so that dashboards built on node_exporter work
// unchanged, and xlvs' own xlvs_* series: per-worker packets, bytes,
// drops by reason, handoffs and connection table fill, the XDP steering
// program's verdicts, per-service and per-real-server counters and health.
//
// Each series means what its source means. The node_ipvs_*_total totals
// are /proc/net/ip_vs_stats: everything counted since start, deleted
// services included; -Z of one service leaves them, -Z of everything
// zeroes them (the kernel's ip_vs_zero_all), which Prometheus reads as a
// counter reset. The node_ipvs_backend_* gauges are the ActiveConn,
// InActConn and Weight columns of /proc/net/ip_vs. The xlvs_service_* and
// xlvs_backend_*_total counters are the columns of `xlvsadm -L -n --stats`:
// -Z resets them, and a service or real server added again on a reused
// slot starts from zero, as with IPVS.
//
// Everything is read at scrape time from the sources in [Config]: the
// control plane's service listing (the model's mutex, never taken on the
// packet path) and the dataplane's single-writer counters, which are read
// with atomic loads; a scrape never blocks a worker.
//
// Concurrency: a Collector is safe for concurrent scrapes as long as its
// sources are.
package metrics
