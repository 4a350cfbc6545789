package ipvsadm

import "github.com/xlvs/xlvs/ctrl/api"

// daemon runs --start-daemon or --stop-daemon (ipvs_start_daemon,
// ipvs_stop_daemon): the daemon's refusals print ipvs_strerror's texts
// ("Daemon has already run", "No daemon is running", "No such device").
func (r *run) daemon(cmd *Command) (int, bool) {
	if !r.connect() {
		return ExitFail, true
	}
	dc := &cmd.Daemon
	req := &api.Request{Op: api.OpStartDaemon, Daemon: &api.Daemon{State: dc.State, McastIfn: dc.McastIfn,
		SyncID: dc.SyncID, SyncMaxLen: dc.SyncMaxLen, McastGroup: dc.McastGroup, McastPort: dc.McastPort, McastTTL: dc.McastTTL}}
	if cmd.Cmd == CmdStopDaemon {
		req = &api.Request{Op: api.OpStopDaemon, Daemon: &api.Daemon{State: dc.State}}
	}
	if _, ok := r.do(req); !ok {
		return ExitRefused, false
	}
	return ExitOK, false
}

// listDaemons is -L --daemon: every running daemon, master first, with
// the fields the daemon reports (list_daemon over netlink).
func (r *run) listDaemons() (int, bool) {
	if !r.connect() {
		return ExitFail, true
	}
	resp, ok := r.do(&api.Request{Op: api.OpGetDaemons})
	if !ok {
		return ExitRefused, false
	}
	ds := make([]Daemon, 0, len(resp.Daemons))
	for _, d := range resp.Daemons {
		ds = append(ds, Daemon{State: d.State, McastIfn: d.McastIfn, SyncID: uint32(d.SyncID), SyncMaxLen: uint32(d.SyncMaxLen),
			McastGroup: d.McastGroup, McastPort: d.McastPort, McastTTL: d.McastTTL})
	}
	if err := ListDaemons(r.out, ds); err != nil {
		return ExitFail, false
	}
	return ExitOK, false
}
