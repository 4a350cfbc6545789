package model

import (
	"context"
	"net/netip"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// ConnLister lists the dataplane's connections; *engine.Engine implements it.
type ConnLister interface {
	ListConns(ctx context.Context) ([]engine.ConnInfo, error)
}

// Rates gives the rates of services and real servers by slot, in place of
// the model's estimator (tests). Only the rate fields of the result are
// used.
type Rates interface {
	ServiceRates(slot uint32) api.Stats
	DestRates(slot uint32) api.Stats
}

// ConnListTimeout bounds how long a connection listing waits for the
// workers.
const ConnListTimeout = 10 * time.Second

// listConns answers OpListConns: the dataplane's connections as ipvsadm
// -L -c shows them, with the real server's address from the destination
// slot (deleted real servers in the trash included). It waits for the
// workers without holding the model's lock.
func (m *Model) listConns() *api.Response {
	if m.cfg.Conns == nil {
		return &api.Response{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ConnListTimeout)
	defer cancel()
	infos, err := m.cfg.Conns.ListConns(ctx)
	if err != nil {
		return errResp(api.NewError(api.CodeNoMem, "connection listing: "+err.Error()))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dests := make(map[uint32]*dest)
	svcs := make(map[uint32]*service, len(m.svcs))
	for _, s := range m.svcs {
		svcs[s.slot] = s
		for _, d := range s.dests {
			dests[d.slot] = d
		}
	}
	for _, d := range m.trash {
		dests[d.slot] = d
	}
	out := make([]api.Conn, 0, len(infos))
	for i := range infos {
		if c, ok := renderConn(&infos[i], dests, svcs); ok {
			out = append(out, c)
		}
	}
	return &api.Response{Conns: out}
}

// renderConn turns one dataplane entry into the listing's form, as the
// kernel's ip_vs_conn_seq_show prints it: the protocol's name, the real
// server's address and port (a connection to a port-0 real server takes
// the virtual port, as IPVS sets cp->dport; a template keeps 0), the state's name, and whole seconds
// left (rounded down). A persistence template of a firewall-mark service
// shows protocol IP (0) and the mark as its virtual address; templates
// are in state NONE until a connection assures them (any other state
// shows ASSURED, ip_vs_ctpl_state_name_table). An entry keyed by a
// persistence engine carries the engine's name and data (--persistent-conn
// shows them). An entry whose real server is gone from the model is left
// out.
func renderConn(ci *engine.ConnInfo, dests map[uint32]*dest, svcs map[uint32]*service) (api.Conn, bool) {
	d, ok := dests[ci.Dest]
	if !ok {
		return api.Conn{}, false
	}
	c := api.Conn{
		Protocol: uint16(ci.Proto),
		Client:   ci.Client, CPort: ci.CPort,
		Virtual: ci.Virtual, VPort: ci.VPort,
		Dest: d.Addr, DPort: d.Port,
		State:    ci.State.String(),
		Template: ci.Flags&conntrack.FlagTemplate != 0,
		PEName:   ci.PEName, PEData: ci.PEData,
	}
	if c.DPort == 0 && !c.Template {
		c.DPort = ci.VPort
	}
	if ci.Expires > 0 {
		c.Expires = uint32(ci.Expires / time.Second)
	}
	if c.Template {
		c.State = "ASSURED"
		if ci.State == conntrack.StateNone {
			c.State = "NONE"
		}
		if s, ok := svcs[ci.Service]; ok && s.Key.FWMark != 0 {
			c.Protocol = 0
			c.Virtual = fwmarkAddr(s.Key.FWMark, s.Key.IsIPv6())
			c.VPort = 0
		}
	}
	return c, true
}

// fwmarkAddr is how the kernel shows a firewall mark in a template's
// virtual address field (vaddr.ip = htonl(fwmark)).
func fwmarkAddr(mark uint32, v6 bool) netip.Addr {
	if v6 {
		var b [16]byte
		b[0], b[1], b[2], b[3] = byte(mark>>24), byte(mark>>16), byte(mark>>8), byte(mark)
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte{byte(mark >> 24), byte(mark >> 16), byte(mark >> 8), byte(mark)})
}
