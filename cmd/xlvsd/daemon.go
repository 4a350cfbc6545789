package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/ctrl/netinfo"
	"github.com/xlvs/xlvs/ctrl/rules"
	"github.com/xlvs/xlvs/ctrl/server"
	ctrlsync "github.com/xlvs/xlvs/ctrl/sync"
	"github.com/xlvs/xlvs/dataplane/bpf"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/xskport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/tap"
)

// daemon is a running xlvsd.
type daemon struct {
	log      *slog.Logger
	links    []snapshot.Link
	steer    *bpf.Steering
	ports    []*xskport.Port
	eng      *engine.Engine
	resolver *netinfo.Resolver
	model    *model.Model
	srv      *server.Server
	kconf    *keepalivedConf // --keepalived-conf; nil without
	done     chan struct{}
	saver    *rules.Saver   // --save-rules (rules.go)
	metrics  *metricsServer // --metrics-addr (metrics.go)
	fnat     fullnatOptions // --fullnat-ports (fullnat.go)

	syncer *ctrlsync.Manager // connection sync daemons (sync.go)
	local  *tap.Device       // --local-dev (local.go)
}

func start(o *options, log *slog.Logger) (d *daemon, err error) {
	d = &daemon{log: log, done: make(chan struct{}), fnat: o.fnat}
	// The error returns below set d to nil: tear down what was built.
	built := d
	defer func() {
		if err != nil {
			built.stop()
		}
	}()
	queues := o.queues
	for _, name := range o.interfaces {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", name, err)
		}
		a := l.Attrs()
		var mac [6]byte
		copy(mac[:], a.HardwareAddr)
		d.links = append(d.links, snapshot.Link{IfIndex: a.Index, MAC: mac})
		if o.queues == 0 {
			n := max(a.NumRxQueues, 1)
			if queues == 0 || n < queues {
				queues = n
			}
		}
	}
	if d.steer, err = bpf.Load(); err != nil {
		return nil, fmt.Errorf("load XDP program: %w", err)
	}
	if err := d.watchOwnAddrs(); err != nil {
		return nil, err
	}
	ifindexes := make([]int, len(d.links))
	for i, l := range d.links {
		ifindexes[i] = l.IfIndex
	}
	popts := xskport.DefaultOptions()
	popts.FramesPerLink = o.frames
	popts.Socket.RXSize, popts.Socket.FillSize = o.rxRing, o.rxRing
	var ports []port.Port
	for q := 0; q < queues; q++ {
		p, err := xskport.Open(ifindexes, q, popts)
		if err != nil {
			return nil, err
		}
		d.ports = append(d.ports, p)
		ports = append(ports, p)
		for i, s := range p.Sockets() {
			if err := d.steer.SetXSK(ifindexes[i], q, s.FD()); err != nil {
				return nil, fmt.Errorf("register socket: %w", err)
			}
		}
		if q == 0 && !p.ZeroCopy() {
			log.Info("AF_XDP sockets run in copy mode (the driver offers no zero-copy)")
		}
	}
	cfg := engine.DefaultConfig()
	cfg.ConnCapacity = o.connMax
	cfg.ReplyCapacity = o.natConnMax
	cfg.CPUs = o.cpus
	cfg.FullNATMinPort, cfg.FullNATMaxPort = o.fnat.minPort, o.fnat.maxPort
	o.busyPoll.apply(&cfg)
	if d.eng, err = engine.New(cfg, ports); err != nil {
		return nil, err
	}
	if err := d.eng.SetConnReuse(o.reuse.config()); err != nil {
		return nil, err
	}
	if err := d.startLocal(o.localDev, queues); err != nil {
		return nil, err
	}
	if d.resolver, err = netinfo.NewResolver(log); err != nil {
		return nil, fmt.Errorf("netlink resolver: %w", err)
	}
	d.model = model.New(model.Config{
		Links: d.links, NextHops: d.resolver, Stats: d.eng, Log: log,
		ConnTabSize: uint32(min(uint64(o.connMax)*uint64(queues), 1<<31)),
		Publish:     d.publish,
		Counters:    d.counters,
		Conns:       d.eng,
		IfIndex:     ifIndex,
		Sync:        d.newSync(log),
		IsLocal:     d.resolver.IsLocal,
	})
	if err := d.addMarks(o.marks); err != nil {
		return nil, err
	}
	if err := d.loadRules(&o.rulesOptions); err != nil {
		return nil, err
	}
	go d.refresh()
	go d.runEstimator()
	for _, ifi := range ifindexes {
		if err := d.steer.Attach(ifi); err != nil {
			return nil, fmt.Errorf("attach XDP to ifindex %d: %w", ifi, err)
		}
	}
	if err := d.eng.Start(); err != nil {
		return nil, err
	}
	if o.keepalived != "" {
		if d.kconf, err = startKeepalived(o.keepalived, d.model, log); err != nil {
			return nil, err
		}
	}
	if d.srv, err = server.Listen(o.socket, d.controlHandler(), log); err != nil {
		return nil, err
	}
	if err := d.startMetrics(&o.metricsOptions); err != nil {
		return nil, err
	}
	log.Info("xlvsd running", "interfaces", o.interfaces, "queues", queues, "socket", o.socket)
	return d, nil
}

// publish hands a snapshot to the workers and the matching service set to
// the XDP program.
func (d *daemon) publish(s *snapshot.Snapshot) {
	d.eng.Publish(s)
	var keys []bpf.ServiceKey
	for i := range s.Services {
		svc := &s.Services[i]
		if svc.Family == 0 || svc.FWMark != 0 {
			continue // firewall-mark services are steered by mark rules
		}
		keys = append(keys, bpf.ServiceKey{Proto: svc.Proto, Addr: netip.AddrFrom16(svc.Addr).Unmap(), Port: svc.Port})
	}
	if err := d.steer.SetServices(keys); err != nil {
		d.log.Error("update XDP service map", "err", err)
	}
	d.publishNAT(s)
	d.publishMarks(s)
	d.publishFullNAT(s)
}

// counters reports the workers' totals, drops by reason and the XDP
// program's verdicts.
func (d *daemon) counters() map[string]uint64 {
	c := d.eng.Counters()
	out := map[string]uint64{
		"rx-packets": c.RxPackets, "rx-bytes": c.RxBytes,
		"tx-packets": c.TxPackets, "tx-bytes": c.TxBytes,
		"handoff-out": c.HandoffOut, "handoff-in": c.HandoffIn,
		"conns": c.Conns, "conns-created": c.ConnsCreated, "conns-expired": c.ConnsExpired,
		"conn-capacity": c.ConnCapacity,
	}
	for r := verdict.DropReason(1); r < verdict.NumReasons; r++ {
		out["drop-"+r.String()] = c.Drops[r]
	}
	d.fullnatCounters(out)
	d.syncCounters(out)
	d.xskCounters(out) // xskstats.go
	if x, err := d.steer.Counters(); err == nil {
		for k, v := range x {
			out["xdp-"+k] = v
		}
	}
	return out
}

// refresh recompiles the snapshot when next hops change, and every few
// seconds to reclaim deleted real servers whose connections are gone.
func (d *daemon) refresh() {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-d.resolver.Changes():
			d.model.Refresh()
		case <-t.C:
			d.model.Refresh()
		}
	}
}

// reload is SIGHUP: reload the keepalived configuration, if any.
func (d *daemon) reload() {
	if d.kconf == nil {
		d.log.Info("SIGHUP: no --keepalived-conf to reload")
		return
	}
	d.kconf.reload()
}

// stop tears down in the order that returns traffic to the kernel first.
func (d *daemon) stop() {
	close(d.done)
	errs := []error{d.metrics.stop()}
	d.kconf.close()
	if d.srv != nil {
		errs = append(errs, d.srv.Close())
	}
	if d.steer != nil {
		errs = append(errs, d.steer.Close())
	}
	d.stopSync()
	if d.eng != nil {
		d.eng.Stop()
	}
	errs = append(errs, d.stopLocal())
	for q, p := range d.ports {
		a := p.Account()
		d.log.Info("frame accounting", "queue", q, "total", a.Total, "free", a.Free, "on_rings", a.OnRings,
			"lost", a.Lost(), "rx_ring_full", a.RXRingFull)
		if a.Lost() > 0 && uint64(a.Lost()) > a.RXRingFull {
			d.log.Error("frames lost", "queue", q, "lost", a.Lost())
		}
	}
	for _, p := range d.ports {
		errs = append(errs, p.Close())
	}
	if d.resolver != nil {
		errs = append(errs, d.resolver.Close())
	}
	if err := errors.Join(errs...); err != nil {
		d.log.Warn("shutdown", "err", err)
	}
}
