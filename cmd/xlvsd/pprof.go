package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/spf13/pflag"
)

// pprofOptions is the --pprof debug flag: Go's profiler (net/http/pprof)
// on a listener of its own, never on --metrics-addr, and off by default.
type pprofOptions struct {
	pprofAddr string
}

func (o *pprofOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.pprofAddr, "pprof", "", "debug: serve Go's profiler (/debug/pprof/) on HOST:PORT (off by default; keep it on loopback)")
}

func (o *pprofOptions) check() error {
	if o.pprofAddr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(o.pprofAddr); err != nil {
		return fmt.Errorf("invalid --pprof %q: %w", o.pprofAddr, err)
	}
	return nil
}

// pprofMux routes /debug/pprof/ to the profiler's handlers.
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startPprof serves the profiler on --pprof until the process exits. The
// listener is opened here, so a bad or busy address fails the start.
func startPprof(o *pprofOptions, log *slog.Logger) error {
	if o.pprofAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", o.pprofAddr)
	if err != nil {
		return fmt.Errorf("--pprof: %w", err)
	}
	// A CPU profile takes ?seconds= (30 by default): no write timeout.
	srv := &http.Server{Handler: pprofMux(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof listener", "err", err)
		}
	}()
	log.Info("serving Go's profiler", "addr", ln.Addr().String())
	return nil
}
