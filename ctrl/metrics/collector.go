package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// Config names the sources a Collector reads at every scrape. Nil sources
// produce no series.
type Config struct {
	// Services lists the services with their real servers, weights,
	// connection counts and counters (the model's list-services): the
	// per-service and per-real-server series show exactly what
	// `xlvsadm -L -n --stats` shows, -Z and reused slots included.
	Services func() []api.Service
	// Totals are the director's totals, what Linux keeps in
	// /proc/net/ip_vs_stats and node_exporter reads for
	// node_ipvs_connections_total and the other four (model.Model.Totals).
	// They are not the sums of Services, which -Z of one service and
	// deleted services would lower. Nil: no node_ipvs_*_total series.
	Totals func() api.Stats
	// Workers returns every worker's counters, worker i at index i
	// (engine.Engine.WorkerCounters).
	Workers func() []engine.Counters
	// XDP returns the XDP steering program's frame counts by reason
	// (bpf.Steering.Counters).
	XDP func() (map[string]uint64, error)
	// Health reports real server health.
	Health HealthSource
}

// Collector is a prometheus.Collector over a [Config].
type Collector struct {
	cfg Config
}

// NewCollector returns a collector reading cfg's sources at each scrape.
func NewCollector(cfg Config) *Collector { return &Collector{cfg: cfg} }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// node_exporter's IPVS series: names, help texts, types and labels are
// those of its collector/ipvs_linux.go.
var (
	descConns    = desc("node_ipvs_connections_total", "The total number of connections made.")
	descInPkts   = desc("node_ipvs_incoming_packets_total", "The total number of incoming packets.")
	descOutPkts  = desc("node_ipvs_outgoing_packets_total", "The total number of outgoing packets.")
	descInBytes  = desc("node_ipvs_incoming_bytes_total", "The total amount of incoming data.")
	descOutBytes = desc("node_ipvs_outgoing_bytes_total", "The total amount of outgoing data.")
	descActive   = desc("node_ipvs_backend_connections_active", "The current active connections by local and remote address.", BackendLabels...)
	descInactive = desc("node_ipvs_backend_connections_inactive", "The current inactive connections by local and remote address.", BackendLabels...)
	descWeight   = desc("node_ipvs_backend_weight", "The current backend weight by local and remote address.", BackendLabels...)
)

// xlvs' own series.
var (
	descSConns    = desc("xlvs_service_connections_total", "Connections scheduled by the service (ipvsadm -L --stats Conns).", ServiceLabels...)
	descSInPkts   = desc("xlvs_service_incoming_packets_total", "Packets the service forwarded to its real servers.", ServiceLabels...)
	descSInBytes  = desc("xlvs_service_incoming_bytes_total", "Bytes (IP packets) the service forwarded to its real servers.", ServiceLabels...)
	descSOutPkts  = desc("xlvs_service_outgoing_packets_total", "Reply packets of the service forwarded to clients (NAT only).", ServiceLabels...)
	descSOutBytes = desc("xlvs_service_outgoing_bytes_total", "Reply bytes of the service forwarded to clients (NAT only).", ServiceLabels...)

	descBConns    = desc("xlvs_backend_connections_total", "Connections scheduled to the real server.", BackendLabels...)
	descBInPkts   = desc("xlvs_backend_incoming_packets_total", "Packets forwarded to the real server.", BackendLabels...)
	descBInBytes  = desc("xlvs_backend_incoming_bytes_total", "Bytes (IP packets) forwarded to the real server.", BackendLabels...)
	descBOutPkts  = desc("xlvs_backend_outgoing_packets_total", "Reply packets from the real server forwarded to clients (NAT only).", BackendLabels...)
	descBOutBytes = desc("xlvs_backend_outgoing_bytes_total", "Reply bytes from the real server forwarded to clients (NAT only).", BackendLabels...)
	descHealthy   = desc("xlvs_backend_healthy", "1 if the health checks find the real server healthy, 0 if not.", BackendLabels...)

	descRxPkts     = desc("xlvs_worker_rx_packets_total", "Frames the worker received from the wire.", "worker")
	descRxBytes    = desc("xlvs_worker_rx_bytes_total", "Bytes (whole frames) the worker received from the wire.", "worker")
	descTxPkts     = desc("xlvs_worker_tx_packets_total", "Frames the worker transmitted.", "worker")
	descTxBytes    = desc("xlvs_worker_tx_bytes_total", "Bytes (whole frames) the worker transmitted.", "worker")
	descHandoffOut = desc("xlvs_worker_handoff_out_total", "Frames the worker passed to the worker that owns their flow.", "worker")
	descHandoffIn  = desc("xlvs_worker_handoff_in_total", "Frames the worker received from other workers.", "worker")
	descCreated    = desc("xlvs_worker_connections_created_total", "Connections the worker created.", "worker")
	descExpired    = desc("xlvs_worker_connections_expired_total", "Connections that expired or were reclaimed on the worker.", "worker")
	descBatches    = desc("xlvs_worker_batches_total", "Batches the worker processed.", "worker")
	descDrops      = desc("xlvs_worker_drops_total", "Frames the worker dropped, by reason.", "worker", "reason")
	descCTEntries  = desc("xlvs_conntrack_entries", "Entries in the worker's connection table.", "worker")
	descCTCap      = desc("xlvs_conntrack_capacity", "Capacity of the worker's connection table.", "worker")
	descXDP        = desc("xlvs_xdp_packets_total", "Frames seen by the XDP steering program, by verdict reason.", "reason")
)

var allDescs = []*prometheus.Desc{
	descConns, descInPkts, descOutPkts, descInBytes, descOutBytes, descActive, descInactive, descWeight,
	descSConns, descSInPkts, descSInBytes, descSOutPkts, descSOutBytes,
	descBConns, descBInPkts, descBInBytes, descBOutPkts, descBOutBytes, descHealthy,
	descRxPkts, descRxBytes, descTxPkts, descTxBytes, descHandoffOut, descHandoffIn,
	descCreated, descExpired, descBatches, descDrops, descCTEntries, descCTCap, descXDP,
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	var svcs []api.Service
	if c.cfg.Services != nil {
		svcs = c.cfg.Services()
	}
	if c.cfg.Totals != nil {
		collectTotals(ch, c.cfg.Totals())
	}
	collectServices(ch, svcs)
	if c.cfg.Health != nil {
		collectHealth(ch, c.cfg.Health())
	}
	if c.cfg.Workers != nil {
		for i, w := range c.cfg.Workers() {
			collectWorker(ch, strconv.Itoa(i), &w)
		}
	}
	if c.cfg.XDP != nil {
		collectXDP(ch, c.cfg.XDP)
	}
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func collectTotals(ch chan<- prometheus.Metric, t api.Stats) {
	counter(ch, descConns, t.Conns)
	counter(ch, descInPkts, t.InPkts)
	counter(ch, descOutPkts, t.OutPkts)
	counter(ch, descInBytes, t.InBytes)
	counter(ch, descOutBytes, t.OutBytes)
}

// collectServices emits the per-service and per-real-server series of the
// listing.
func collectServices(ch chan<- prometheus.Metric, svcs []api.Service) {
	for i := range svcs {
		s := &svcs[i]
		collectStats(ch, &s.Stats, serviceLabelValues(s.Key), descSConns, descSInPkts, descSInBytes, descSOutPkts, descSOutBytes)
		for j := range s.Dests {
			d := &s.Dests[j]
			l := backendLabelValues(s.Key, d.Addr, d.Port)
			gauge(ch, descActive, float64(d.ActiveConns), l...)
			gauge(ch, descInactive, float64(d.InactConns), l...)
			gauge(ch, descWeight, float64(d.Weight), l...)
			collectStats(ch, &d.Stats, l, descBConns, descBInPkts, descBInBytes, descBOutPkts, descBOutBytes)
		}
	}
}

// collectStats emits the five counters of st under descs (connections,
// incoming packets and bytes, outgoing packets and bytes).
func collectStats(ch chan<- prometheus.Metric, st *api.Stats, labels []string, conns, inPkts, inBytes, outPkts, outBytes *prometheus.Desc) {
	counter(ch, conns, st.Conns, labels...)
	counter(ch, inPkts, st.InPkts, labels...)
	counter(ch, inBytes, st.InBytes, labels...)
	counter(ch, outPkts, st.OutPkts, labels...)
	counter(ch, outBytes, st.OutBytes, labels...)
}

func collectHealth(ch chan<- prometheus.Metric, hs []RealServerHealth) {
	seen := make(map[string]bool, len(hs))
	for _, h := range hs {
		l := backendLabelValues(h.Service, h.Addr, h.Port)
		// A duplicate would make the whole scrape fail; the first wins.
		k := fmt.Sprint(l)
		if seen[k] {
			continue
		}
		seen[k] = true
		v := 0.0
		if h.Healthy {
			v = 1
		}
		gauge(ch, descHealthy, v, l...)
	}
}

func collectWorker(ch chan<- prometheus.Metric, w string, c *engine.Counters) {
	counter(ch, descRxPkts, c.RxPackets, w)
	counter(ch, descRxBytes, c.RxBytes, w)
	counter(ch, descTxPkts, c.TxPackets, w)
	counter(ch, descTxBytes, c.TxBytes, w)
	counter(ch, descHandoffOut, c.HandoffOut, w)
	counter(ch, descHandoffIn, c.HandoffIn, w)
	counter(ch, descCreated, c.ConnsCreated, w)
	counter(ch, descExpired, c.ConnsExpired, w)
	counter(ch, descBatches, c.Batches, w)
	for r := verdict.DropReason(1); r < verdict.NumReasons; r++ {
		counter(ch, descDrops, c.Drops[r], w, r.String())
	}
	gauge(ch, descCTEntries, float64(c.Conns), w)
	gauge(ch, descCTCap, float64(c.ConnCapacity), w)
}

func collectXDP(ch chan<- prometheus.Metric, read func() (map[string]uint64, error)) {
	m, err := read()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descXDP, fmt.Errorf("read XDP counters: %w", err))
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		counter(ch, descXDP, m[k], k)
	}
}
