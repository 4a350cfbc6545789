package ipvsadm

import "github.com/xlvs/xlvs/ctrl/api"

// processOptions is the part of process_options() between parsing and
// talking to the kernel: the matrix, defaults and cross-option checks, in
// ipvsadm's order.
func (p *parser) processOptions() error {
	c := &p.c
	if c.Cmd >= CmdAddLaddr {
		return p.laddrOptCheck()
	}
	if err := p.dpvsOptCheck(); err != nil {
		return err
	}
	if err := genericOptCheck(c.Cmd, c.Opts); err != nil {
		return err
	}
	if c.Cmd == CmdAddService || c.Cmd == CmdEditService {
		if c.Service.Key.FWMark == 0 && p.svcPort == 0 && c.Service.Flags&api.SvcPersistent == 0 {
			return failf("Zero port specified for non-persistent service")
		}
		if c.Service.Flags&api.SvcOnePacket != 0 && c.Service.Key.FWMark == 0 && p.svcProto != api.ProtoUDP {
			return failf("One-Packet Scheduling is only for UDP virtual services")
		}
		if c.Service.Scheduler == "" {
			c.Service.Scheduler = defScheduler
		}
	}
	if c.Cmd == CmdStartDaemon && c.Daemon.McastIfn == "" {
		c.Daemon.McastIfn = defMcastIfn
	}
	if c.Cmd == CmdAddServer || c.Cmd == CmdEditServer {
		if err := p.checkDest(); err != nil {
			return err
		}
	}
	if c.Cmd == CmdList {
		o := c.Opts
		if (o.HasAny(OptConnection, OptTimeout, OptDaemon) && o.HasAny(OptStats, OptRate, OptThresholds)) ||
			(o.HasAny(OptTimeout, OptDaemon) && o.Has(OptPersistentConn)) {
			return failf("options conflicts in the list command")
		}
	}
	return nil
}

// checkDest applies the -a/-e rules: DR and TUN real servers take the
// virtual port, only tunnels may change address family, tunnel options
// need -i and must suit the tunnel type.
func (p *parser) checkDest() error {
	c := &p.c
	m := c.Dest.Method
	if c.Service.Key.FWMark == 0 && (m == api.MethodTunnel || m == api.MethodRoute) {
		c.Dest.Port = p.svcPort
	}
	if p.destAF != p.svcAF && m != api.MethodTunnel {
		return failf("Different address family is allowed only for tunneling servers")
	}
	if c.Opts.HasAny(OptTunType, OptTunPort, OptTunNoCsum, OptTunCsum, OptTunRemCsum) && m != api.MethodTunnel {
		return failf("Tunnel options conflict with forward method")
	}
	return tunnelOptCheck(c.Dest.TunType, c.Opts)
}
