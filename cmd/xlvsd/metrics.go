package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/httpapi"
	"github.com/xlvs/xlvs/ctrl/metrics"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// metricsOptions are the metrics and HTTP API flags.
type metricsOptions struct {
	metricsAddr string
}

func (o *metricsOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "HOST:PORT to serve Prometheus /metrics and the read-only HTTP API on (off by default)")
}

func (o *metricsOptions) check() error {
	if o.metricsAddr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(o.metricsAddr); err != nil {
		return fmt.Errorf("invalid --metrics-addr %q: %w", o.metricsAddr, err)
	}
	return nil
}

// metricsServer is the HTTP listener of --metrics-addr and the rate
// estimator feeding it.
type metricsServer struct {
	srv    *http.Server
	cancel context.CancelFunc
	done   chan struct{}
}

// startMetrics serves /metrics and /api/v1/... on --metrics-addr.
func (d *daemon) startMetrics(o *metricsOptions) error {
	if o.metricsAddr == "" {
		return nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		metrics.NewCollector(metrics.Config{
			Services: d.services, Totals: d.totals, Workers: d.workerCounters,
			XDP: d.steer.Counters, Health: d.healthStatus,
		}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	est := httpapi.NewEstimator()
	h := httpapi.NewHandler(httpapi.Config{
		Services: d.services, Health: d.healthStatus, Counters: d.counters, Workers: d.workerCounters,
		ConnStates: d.connStates, Rates: est,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorHandling: promhttp.ContinueOnError,
			ErrorLog:      slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
		}),
	})
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &metricsServer{
		srv:    &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelDebug)},
		cancel: cancel,
		done:   make(chan struct{}),
	}
	d.metrics = m
	go est.Run(ctx, httpapi.EstimatorInterval, d.services)
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics listener", "err", err)
		}
	}()
	d.log.Info("serving metrics and the HTTP API", "addr", ln.Addr().String())
	return nil
}

// stopMetrics closes the listener (nil-safe).
func (m *metricsServer) stop() error {
	if m == nil {
		return nil
	}
	m.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if err != nil {
		err = m.srv.Close()
	}
	<-m.done
	return err
}

// services lists the services with their counters, as xlvsadm -L sees them.
func (d *daemon) services() []api.Service {
	return d.model.Do(&api.Request{Op: api.OpListService}).Services
}

// totals sums the counters of every destination slot the dataplane has,
// deleted services and real servers included, so that the node_ipvs_*
// totals only grow, as /proc/net/ip_vs_stats does (about 1 ms per scrape
// with two workers: atomic loads only).
func (d *daemon) totals() api.Stats {
	var t api.Stats
	for id := uint32(0); id < snapshot.MaxDests; id++ {
		s := d.eng.DestStats(id)
		t.Conns += s.Conns
		t.InPkts += s.InPkts
		t.InBytes += s.InBytes
		t.OutPkts += s.OutPkts
		t.OutBytes += s.OutBytes
	}
	return t
}

// workerCounters reads every worker's counters (atomic loads).
func (d *daemon) workerCounters() []engine.Counters {
	out := make([]engine.Counters, len(d.eng.Workers()))
	for i := range out {
		out[i] = d.eng.WorkerCounters(i)
	}
	return out
}

// healthStatus is the hook for health checks: the health checker's
// Status(), converted to metrics.RealServerHealth. Until it is wired, no
// real server has a health state ("unknown" in the API, no
// xlvs_backend_healthy series).
func (d *daemon) healthStatus() []metrics.RealServerHealth { return nil }

// connStates is the hook for connection counts by IPVS state name (from
// the connection listing's engine mailbox). Until it is wired,
// /api/v1/connections/summary has no by_state.
func (d *daemon) connStates() map[string]uint64 { return nil }
