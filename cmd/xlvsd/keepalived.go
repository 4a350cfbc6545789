package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/health"
	"github.com/xlvs/xlvs/ctrl/keepalived"
)

// keepalivedConf runs the services of a keepalived.conf and their health
// checks (--keepalived-conf); SIGHUP reloads it.
type keepalivedConf struct {
	path    string
	log     *slog.Logger
	apply   health.Applier
	checker *health.Checker
}

// errSaveWithKeepalived refuses --save-rules with --keepalived-conf.
var errSaveWithKeepalived = errors.New("--save-rules and --keepalived-conf exclude each other: " +
	"keepalived.conf is then the configuration, and the director's table also holds the health checks' " +
	"decisions (failed real servers removed or at weight 0, sorry servers), which --save-rules would write " +
	"to the rules file as configuration; use --rules FILE without --save-rules for services outside keepalived.conf")

// checkKeepalivedFlags checks --keepalived-conf against the other flags.
func checkKeepalivedFlags(o *options) error {
	if o.keepalived != "" && o.saveRules {
		return errSaveWithKeepalived
	}
	return nil
}

// startKeepalived loads path, applies its global settings and services and
// starts their checks. An error leaves nothing applied.
func startKeepalived(path string, apply health.Applier, log *slog.Logger) (*keepalivedConf, error) {
	cfg, err := loadKeepalived(path, log)
	if err != nil {
		return nil, err
	}
	k := &keepalivedConf{path: path, log: log, apply: apply}
	if k.checker, err = health.New(health.Config{Apply: apply, Log: log.With("component", "health")}); err != nil {
		return nil, err
	}
	k.applyGlobals(cfg)
	if err := k.checker.Update(cfg.HealthServices()); err != nil {
		k.checker.Close()
		return nil, fmt.Errorf("keepalived configuration %s: %w", path, err)
	}
	log.Info("keepalived configuration loaded", "file", path, "services", len(cfg.Services), "warnings", len(cfg.Warnings))
	return k, nil
}

func loadKeepalived(path string, log *slog.Logger) (*keepalived.Config, error) {
	cfg, err := keepalived.Load(path)
	if err != nil {
		return nil, fmt.Errorf("keepalived configuration: %w", err)
	}
	for _, w := range cfg.Warnings {
		log.Warn("keepalived configuration", "at", w.Pos.String(), "warning", w.Msg)
	}
	return cfg, nil
}

// applyGlobals applies lvs_flush (at start only) and lvs_timeouts.
func (k *keepalivedConf) applyGlobals(cfg *keepalived.Config) {
	if cfg.Flush {
		k.do(&api.Request{Op: api.OpFlush})
	}
	if cfg.Timeouts != nil {
		k.do(&api.Request{Op: api.OpSetTimeouts, Timeouts: cfg.Timeouts})
	}
}

func (k *keepalivedConf) do(req *api.Request) {
	if resp := k.apply.Do(req); resp.Err != nil {
		k.log.Warn("keepalived configuration: request refused", "op", req.Op, "err", resp.Err.Msg)
	}
}

// reload reads the file again and applies only what changed; a file with
// errors is reported and the running configuration stays.
func (k *keepalivedConf) reload() {
	cfg, err := loadKeepalived(k.path, k.log)
	if err != nil {
		k.log.Error("reload refused, the running configuration stays", "err", err)
		return
	}
	if cfg.Timeouts != nil {
		k.do(&api.Request{Op: api.OpSetTimeouts, Timeouts: cfg.Timeouts})
	}
	if err := k.checker.Update(cfg.HealthServices()); err != nil {
		k.log.Error("reload refused, the running configuration stays", "err", err)
		return
	}
	k.log.Info("keepalived configuration reloaded", "file", k.path, "services", len(cfg.Services))
}

// close stops the checks.
func (k *keepalivedConf) close() {
	if k != nil && k.checker != nil {
		k.checker.Close()
	}
}
