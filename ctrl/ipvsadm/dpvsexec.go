package ipvsadm

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"github.com/xlvs/xlvs/ctrl/api"
)

// laddr runs -P, -Q and -G. A refused -P or -Q prints the daemon's
// message and returns 255, as a refused ipvsadm command does; a failed -G
// returns 1, as a failed listing does.
func (r *run) laddr(cmd *Command) (int, bool) {
	if !r.connect() {
		return ExitFail, true
	}
	key := &api.Service{Key: cmd.Service.Key}
	switch cmd.Cmd {
	case CmdAddLaddr, CmdDelLaddr:
		op := api.OpAddLaddr
		if cmd.Cmd == CmdDelLaddr {
			op = api.OpDelLaddr
		}
		la := cmd.Laddr
		if _, ok := r.doLaddr(&api.Request{Op: op, Service: key, Laddr: &la}); !ok {
			return ExitRefused, false
		}
		return ExitOK, false
	}
	var svcs []api.Service
	if cmd.HasService() {
		svcs = []api.Service{*key}
	} else {
		resp, ok := r.doLaddr(&api.Request{Op: api.OpListService})
		if !ok {
			return ExitList, true
		}
		for _, s := range resp.Services {
			if s.Key.FWMark == 0 {
				svcs = append(svcs, api.Service{Key: s.Key})
			}
		}
	}
	for i := range svcs {
		resp, ok := r.doLaddr(&api.Request{Op: api.OpGetLaddrs, Service: &svcs[i]})
		if !ok {
			return ExitList, true
		}
		ListLaddrs(r.out, svcs[i].Key, resp.Laddrs, i == 0)
	}
	return ExitOK, false
}

// doLaddr is [run.do] for the DPVS commands: their refusals print the
// daemon's message, as DPVS's ipvsadm prints its own texts for them.
func (r *run) doLaddr(req *api.Request) (*api.Response, bool) {
	resp, err := r.client.Do(req)
	if err == nil && resp == nil {
		err = errors.New("empty response from xlvsd")
	}
	if err == nil && resp.Err != nil {
		err = resp.Err
	}
	if err == nil {
		return resp, true
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.Msg != "" {
		r.errorf("%s", ae.Msg)
	} else {
		r.errorf("%s", requestErrorText(funcOf(req.Op), err))
	}
	return nil, false
}

// laddrTitle is the heading of DPVS's ipvsadm -G.
const laddrTitle = "VIP:VPORT            TOTAL    SNAT_IP              CONFLICTS  CONNS\n"

// ListLaddrs writes the local addresses of one service as DPVS's
// ipvsadm -G does (print_service_and_laddrs): with title, the heading
// first; then VIP:port and the number of local addresses; then one line
// per address with its port conflicts (new connections refused for want
// of a free port) and its connections. Addresses are always numeric; an
// IPv6 VIP is written [addr]:port.
func ListLaddrs(w io.Writer, key api.ServiceKey, laddrs []api.LocalAddr, title bool) error {
	ew := &errWriter{w: w}
	if title {
		ew.print(laddrTitle)
	}
	vip := netip.AddrPortFrom(key.Addr.Unmap(), key.Port).String()
	ew.print(fmt.Sprintf("%-20s %-8d\n", vip, len(laddrs)))
	for _, l := range laddrs {
		ew.print(fmt.Sprintf("%-20s %-20s %-10s %-10s\n", "", l.Addr.Unmap(),
			strconv.FormatUint(l.PortConflicts, 10), strconv.FormatUint(l.Conns, 10)))
	}
	return ew.err
}
