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

// metricsServer is the HTTP listener of --metrics-addr.
type metricsServer struct {
	srv  *http.Server
	done chan struct{}
}

// startMetrics serves /metrics and /api/v1/... on --metrics-addr.
func (d *daemon) startMetrics(o *metricsOptions) error {
	if o.metricsAddr == "" {
		return nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		metrics.NewCollector(metrics.Config{
			Services: d.services, Totals: d.model.Totals, Workers: d.workerCounters,
			XDP: d.steer.Counters, Health: d.healthStatus,
		}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	h := httpapi.NewHandler(httpapi.Config{
		Services: d.services, Health: d.healthStatus, Counters: d.counters, Workers: d.workerCounters,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorHandling: promhttp.ContinueOnError,
			ErrorLog:      slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
		}),
	})
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	m := &metricsServer{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelDebug)},
		done: make(chan struct{}),
	}
	d.metrics = m
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if err != nil {
		err = m.srv.Close()
	}
	<-m.done
	return err
}

// services lists the services with their counters and rates, as
// xlvsadm -L --stats/--rate shows them. The director's totals come from
// model.Totals (every service slot: /proc/net/ip_vs_stats), the rates
// from the model's estimator (runEstimator), and the connection counts by
// state from the workers' counters (engine.Counters.ConnStates).
func (d *daemon) services() []api.Service {
	return d.model.Do(&api.Request{Op: api.OpListService}).Services
}

// workerCounters reads every worker's counters (atomic loads).
func (d *daemon) workerCounters() []engine.Counters {
	out := make([]engine.Counters, len(d.eng.Workers()))
	for i := range out {
		out[i] = d.eng.WorkerCounters(i)
	}
	return out
}

// healthStatus is the health of the real servers checked by
// --keepalived-conf (the checker's Status): the xlvs_backend_healthy
// series and the API's health fields. Without --keepalived-conf, or for a
// real server without checks, there is none ("unknown" in the API).
func (d *daemon) healthStatus() []metrics.RealServerHealth {
	if d.kconf == nil {
		return nil
	}
	return metrics.CheckedHealth(d.kconf.checker.Status())
}
