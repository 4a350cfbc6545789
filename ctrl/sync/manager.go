package sync

import (
	"fmt"
	"log/slog"
	stdsync "sync"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// Dataplane is what the daemons need from the workers; *engine.Engine
// implements it. None of its methods blocks a worker.
type Dataplane interface {
	// SetSyncMaster turns the export of connections on or off.
	SetSyncMaster(on bool)
	// DrainSync moves queued connections into out and returns how many.
	DrainSync(out []engine.SyncConn) int
	// ImportSync hands a received connection to its owner worker.
	ImportSync(c *engine.SyncConn) engine.ImportResult
}

// Options time a master.
type Options struct {
	// SendDelay is how often the master takes connections from the
	// dataplane (the kernel's IPVS_SYNC_SEND_DELAY, 20 ms).
	SendDelay time.Duration
	// FlushTime is how old a partly filled message gets before it is sent
	// (IPVS_SYNC_FLUSH_TIME, 2 s). Full messages leave at once.
	FlushTime time.Duration
}

// DefaultOptions returns the kernel's timing.
func DefaultOptions() Options {
	return Options{SendDelay: 20 * time.Millisecond, FlushTime: 2 * time.Second}
}

// Manager runs at most one master and one backup sync daemon, as the
// kernel does, both at once if asked. It is safe for concurrent use.
type Manager struct {
	dp   Dataplane
	log  *slog.Logger
	opts Options
	st   stats

	mu     stdsync.Mutex
	master *master
	backup *backup
}

// NewManager returns a manager of daemons over dp; log may be nil.
func NewManager(dp Dataplane, log *slog.Logger, o Options) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.SendDelay <= 0 || o.FlushTime <= 0 {
		o = DefaultOptions()
	}
	return &Manager{dp: dp, log: log, opts: o}
}

// DeviceMTU returns the MTU of interface name, or ENODEV.
func (m *Manager) DeviceMTU(name string) (int, error) {
	ifi, err := iface(name)
	if err != nil {
		return 0, err
	}
	return ifi.MTU, nil
}

// StartDaemon starts the daemon d describes, whose defaults the caller has
// filled in (ctrl/model does, as the kernel's start_sync_thread). It fails
// with EEXIST when one of that state runs, ENODEV for an unknown
// interface, EINVAL for another state, or the socket's error.
func (m *Manager) StartDaemon(d api.Daemon) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d.State != api.DaemonMaster && d.State != api.DaemonBackup {
		return api.NewError(api.CodeInvalid, fmt.Sprintf("invalid sync daemon state %q", d.State))
	}
	if (d.State == api.DaemonMaster && m.master != nil) || (d.State == api.DaemonBackup && m.backup != nil) {
		return api.NewError(api.CodeExists, "a "+d.State+" sync daemon is already running")
	}
	ifi, err := iface(d.McastIfn)
	if err != nil {
		return err
	}
	if d.State == api.DaemonBackup {
		c, err := openBackup(ifi, d.McastGroup, d.McastPort)
		if err != nil {
			return err
		}
		m.backup = &backup{cfg: d, dp: m.dp, st: &m.st, conn: c, ended: make(chan struct{})}
		go m.backup.run()
		m.log.Info("backup sync daemon started", "mcast", d.McastIfn, "syncid", d.SyncID, "group", d.McastGroup, "port", d.McastPort)
		return nil
	}
	c, dst, err := openMaster(ifi, d.McastGroup, d.McastPort, d.McastTTL)
	if err != nil {
		return err
	}
	m.master = &master{cfg: d, dp: m.dp, st: &m.st, opts: m.opts, conn: c, dst: dst,
		b: NewBuilder(d.SyncID, int(d.SyncMaxLen)), done: make(chan struct{}), ended: make(chan struct{})}
	m.dp.SetSyncMaster(true)
	go m.master.run()
	m.log.Info("master sync daemon started", "mcast", d.McastIfn, "syncid", d.SyncID, "group", d.McastGroup,
		"port", d.McastPort, "ttl", d.McastTTL, "maxlen", d.SyncMaxLen)
	return nil
}

// StopDaemon stops the daemon of state ("master" or "backup"); ESRCH when
// none runs. A master sends what it holds before it stops.
func (m *Manager) StopDaemon(state string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case state == api.DaemonMaster && m.master != nil:
		m.dp.SetSyncMaster(false)
		m.master.stop()
		m.master = nil
	case state == api.DaemonBackup && m.backup != nil:
		m.backup.stop()
		m.backup = nil
	case state == api.DaemonMaster || state == api.DaemonBackup:
		return api.NewError(api.CodeNoService, "no "+state+" sync daemon is running")
	default:
		return api.NewError(api.CodeInvalid, fmt.Sprintf("invalid sync daemon state %q", state))
	}
	m.log.Info(state + " sync daemon stopped")
	return nil
}

// Close stops every daemon.
func (m *Manager) Close() {
	for _, s := range []string{api.DaemonMaster, api.DaemonBackup} {
		_ = m.StopDaemon(s)
	}
}

// Counters returns the daemons' counters since the manager was made:
// sync-msgs-sent, sync-conns-sent, sync-msgs-received,
// sync-msgs-dropped-<reason>, sync-conns-received,
// sync-conns-skipped-<reason>, sync-import-<result>, ...
func (m *Manager) Counters() map[string]uint64 {
	out := map[string]uint64{}
	m.st.snapshot(out)
	return out
}
