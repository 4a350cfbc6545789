package model

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/xlvs/xlvs/ctrl/api"
)

// SyncDaemons runs connection sync daemons; *ctrl/sync.Manager implements
// it. The model validates and fills in requests as the kernel's
// start_sync_thread does and keeps what runs; the daemons do the I/O.
type SyncDaemons interface {
	// DeviceMTU returns the MTU of an interface, or an *api.Error with
	// CodeNoDevice.
	DeviceMTU(name string) (int, error)
	// StartDaemon starts a daemon whose defaults are filled in.
	StartDaemon(d api.Daemon) error
	// StopDaemon stops the daemon of a state.
	StopDaemon(state string) error
}

// Sync daemon defaults (ip_vs_sync.c).
var defaultSyncGroup = netip.AddrFrom4([4]byte{224, 0, 0, 81})

const (
	defaultSyncPort = 8848
	syncMTU         = 1500 // a master's messages fit 1500; a backup takes max(MTU, 1500)
	minMasterMaxLen = 1
	minBackupMaxLen = 1024
)

// syncState is what runs: at most one master and one backup.
type syncState struct {
	mu      sync.Mutex
	running [2]*api.Daemon // master, backup
}

func daemonIndex(state string) int {
	switch state {
	case api.DaemonMaster:
		return 0
	case api.DaemonBackup:
		return 1
	}
	return -1
}

// doSync serves the sync daemon operations, outside the model's lock:
// starting a daemon opens sockets.
func (m *Model) doSync(req *api.Request) *api.Response {
	if m.cfg.Sync == nil {
		return errResp(api.NewError(api.CodeUnsupported, "connection sync daemons are not available in this xlvsd"))
	}
	st := &m.sync
	st.mu.Lock()
	defer st.mu.Unlock()
	switch req.Op {
	case api.OpGetDaemons:
		resp := &api.Response{}
		for _, d := range st.running {
			if d != nil {
				resp.Daemons = append(resp.Daemons, *d)
			}
		}
		return resp
	case api.OpStopDaemon:
		if req.Daemon == nil || daemonIndex(req.Daemon.State) < 0 {
			return errResp(api.NewError(api.CodeInvalid, "stop-daemon needs the state master or backup"))
		}
		i := daemonIndex(req.Daemon.State)
		if st.running[i] == nil {
			return errResp(api.NewError(api.CodeNoService, "no "+req.Daemon.State+" sync daemon is running"))
		}
		if err := m.cfg.Sync.StopDaemon(req.Daemon.State); err != nil {
			return errResp(apiError(err))
		}
		st.running[i] = nil
		m.cfg.Log.Info("sync daemon stopped", "state", req.Daemon.State)
		return &api.Response{}
	}
	if err := m.mixedFamilyErr(); err != nil {
		return errResp(err)
	}
	d, err := m.fillDaemon(req.Daemon)
	if err != nil {
		return errResp(err)
	}
	i := daemonIndex(d.State)
	if st.running[i] != nil {
		return errResp(api.NewError(api.CodeExists, "a "+d.State+" sync daemon is already running"))
	}
	if err := m.cfg.Sync.StartDaemon(d); err != nil {
		return errResp(apiError(err))
	}
	st.running[i] = &d
	m.cfg.Log.Info("sync daemon started", "state", d.State, "mcast", d.McastIfn, "syncid", d.SyncID)
	return &api.Response{}
}

// fillDaemon validates a start request and fills in the kernel's
// defaults: group 224.0.0.81, port 8848, TTL 1, and sync_maxlen clamped to
// [1 (master) or 1024 (backup), 65535 - headers], by default the MTU (1500
// for a master, the interface's but at least 1500 for a backup) minus the
// IP and UDP headers. An unknown interface is ENODEV before anything else.
func (m *Model) fillDaemon(req *api.Daemon) (api.Daemon, *api.Error) {
	if req == nil || daemonIndex(req.State) < 0 {
		return api.Daemon{}, api.NewError(api.CodeInvalid, "start-daemon needs the state master or backup")
	}
	d := *req
	mtu, err := m.cfg.Sync.DeviceMTU(d.McastIfn)
	if err != nil {
		return d, apiError(err)
	}
	if !d.McastGroup.IsValid() {
		d.McastGroup = defaultSyncGroup
	}
	if !d.McastGroup.IsMulticast() {
		return d, api.NewError(api.CodeInvalid, fmt.Sprintf("mcast group %s is not a multicast address", d.McastGroup))
	}
	if d.McastPort == 0 {
		d.McastPort = defaultSyncPort
	}
	if d.McastTTL == 0 {
		d.McastTTL = 1
	}
	hlen := 20 + 8
	if d.McastGroup.Is6() {
		hlen = 40 + 8
	}
	lo, size := minMasterMaxLen, syncMTU
	if d.State == api.DaemonBackup {
		lo, size = minBackupMaxLen, min(max(mtu, syncMTU), 65535)
	}
	if d.SyncMaxLen == 0 {
		d.SyncMaxLen = uint16(size - hlen)
	} else {
		d.SyncMaxLen = uint16(min(max(int(d.SyncMaxLen), lo), 65535-hlen))
	}
	return d, nil
}

// mixedFamilyErr refuses a daemon while a service has real servers of the
// other family: the sync protocol cannot carry such connections
// (ip_vs_genl_new_daemon's mixed_address_family_dests check).
func (m *Model) mixedFamilyErr() *api.Error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.svcs {
		for _, d := range s.dests {
			if d.Addr.Unmap().Is4() != s.Key.Addr.Unmap().Is4() && s.Key.FWMark == 0 {
				return api.NewError(api.CodeInvalid, "sync daemons cannot run with real servers of another address family than their service's")
			}
		}
	}
	return nil
}

// apiError keeps an *api.Error's code; any other error is EINVAL.
func apiError(err error) *api.Error {
	if e, ok := err.(*api.Error); ok {
		return e
	}
	return api.NewError(api.CodeInvalid, err.Error())
}
