package sync

import (
	"fmt"
	"net"
	"net/netip"
	stdsync "sync"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/internal/netlab"
)

// fakePlane is a dataplane: what a master drains and what a backup imports.
type fakePlane struct {
	mu       stdsync.Mutex
	master   bool
	queued   []engine.SyncConn
	imported []engine.SyncConn
}

func (p *fakePlane) SetSyncMaster(on bool) { p.mu.Lock(); p.master = on; p.mu.Unlock() }
func (p *fakePlane) DrainSync(out []engine.SyncConn) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := copy(out, p.queued)
	p.queued = p.queued[n:]
	return n
}
func (p *fakePlane) ImportSync(c *engine.SyncConn) engine.ImportResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.imported = append(p.imported, *c)
	return engine.ImportQueued
}
func (p *fakePlane) queue(cs ...engine.SyncConn) {
	p.mu.Lock()
	p.queued = append(p.queued, cs...)
	p.mu.Unlock()
}
func (p *fakePlane) got() []engine.SyncConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]engine.SyncConn(nil), p.imported...)
}

// pair is a master namespace and a backup namespace on one veth link.
type pair struct {
	m, b   *netlab.NS
	mp, bp *fakePlane
	mm, bm *Manager
}

func newPair(t *testing.T) *pair {
	lab := netlab.NewT(t, "sync")
	p := &pair{mp: &fakePlane{}, bp: &fakePlane{}}
	var err error
	if p.m, err = lab.AddNS("m"); err != nil {
		t.Fatal(err)
	}
	if p.b, err = lab.AddNS("b"); err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(p.m, "eth0", p.b, "eth0", netlab.LinkOptions{}); err != nil {
		t.Fatal(err)
	}
	for ns, a := range map[*netlab.NS][]string{p.m: {"198.18.5.1/24", "fd00:18:5::1/64"}, p.b: {"198.18.5.2/24", "fd00:18:5::2/64"}} {
		for _, c := range a {
			if err := ns.AddAddr("eth0", c); err != nil {
				t.Fatal(err)
			}
		}
	}
	o := Options{SendDelay: 5 * time.Millisecond, FlushTime: 50 * time.Millisecond}
	p.mm, p.bm = NewManager(p.mp, nil, o), NewManager(p.bp, nil, o)
	t.Cleanup(p.mm.Close)
	t.Cleanup(p.bm.Close)
	return p
}

// start runs StartDaemon inside ns, where the socket must live.
func start(t *testing.T, ns *netlab.NS, m *Manager, d api.Daemon) {
	t.Helper()
	if err := ns.Do(func() error { return m.StartDaemon(d) }); err != nil {
		t.Fatalf("start %s: %v", d.State, err)
	}
}

func daemon(state string, syncid uint8, group netip.Addr) api.Daemon {
	return api.Daemon{State: state, McastIfn: "eth0", SyncID: syncid, SyncMaxLen: 1472, McastGroup: group, McastPort: DefaultPort, McastTTL: 1}
}

func conns(n int, v6 bool) []engine.SyncConn {
	var out []engine.SyncConn
	for i := 0; i < n; i++ {
		c := engine.SyncConn{CPort: uint16(1000 + i), VPort: 80, DPort: 80, Proto: 6, Family: 4,
			State: conntrack.StateEstablished, Method: snapshot.MethodRoute, Timeout: 900}
		cl, vip, rs := netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)}), netip.MustParseAddr("198.18.0.100"), netip.MustParseAddr("198.18.0.11")
		if v6 {
			c.Family = 6
			cl, vip, rs = netip.MustParseAddr(fmt.Sprintf("fd00:19::%x", i+1)), netip.MustParseAddr("fd00:18::100"), netip.MustParseAddr("fd00:18::11")
		}
		c.Client, c.Virtual, c.Dest = cl.As16(), vip.As16(), rs.As16()
		out = append(out, c)
	}
	return out
}

func waitImported(t *testing.T, p *fakePlane, n int) []engine.SyncConn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := p.got()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A master and a backup in two namespaces, over the default IPv4 group and
// over an IPv6 link-local group: what the master's dataplane queued is what
// the backup's dataplane receives, in order, field for field.
func TestMasterToBackupOverMulticast(t *testing.T) {
	for _, tc := range []struct {
		name  string
		group netip.Addr
		v6    bool
	}{
		{"ipv4 224.0.0.81", DefaultGroup4, false},
		{"ipv6 ff02::8:81", netip.MustParseAddr("ff02::8:81"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			start(t, p.b, p.bm, daemon(api.DaemonBackup, 0, tc.group))
			start(t, p.m, p.mm, daemon(api.DaemonMaster, 5, tc.group))
			if !p.mp.master {
				t.Fatal("the master did not turn the dataplane's export on")
			}
			want := conns(100, tc.v6)
			p.mp.queue(want...)
			got := waitImported(t, p.bp, len(want))
			if len(got) != len(want) {
				t.Fatalf("backup imported %d of %d (master %v, backup %v)", len(got), len(want), p.mm.Counters(), p.bm.Counters())
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("conn %d: got %+v\nwant %+v", i, got[i], want[i])
				}
			}
			per := 40
			if tc.v6 {
				per = 20
			}
			if mc := p.mm.Counters(); mc["sync-conns-sent"] != 100 || mc["sync-msgs-sent"] != uint64((100+per-1)/per) {
				t.Fatalf("master counters %v, want 100 conns in messages of %d", mc, per)
			}
			if err := p.mm.StopDaemon(api.DaemonMaster); err != nil || p.mp.master {
				t.Fatalf("stop: %v, export still %v", err, p.mp.master)
			}
		})
	}
}

// A backup with a sync id takes only its master's messages; malformed
// datagrams sent to the group are counted and dropped.
func TestBackupFiltersAndSurvivesGarbage(t *testing.T) {
	p := newPair(t)
	start(t, p.b, p.bm, daemon(api.DaemonBackup, 7, DefaultGroup4))
	start(t, p.m, p.mm, daemon(api.DaemonMaster, 5, DefaultGroup4))
	p.mp.queue(conns(3, false)...)
	var c net.PacketConn
	var dst net.Addr
	err := p.m.Do(func() error {
		ifi, err := iface("eth0")
		if err == nil {
			c, dst, err = openMaster(ifi, DefaultGroup4, DefaultPort, 1)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	good := NewBuilder(7, 1472)
	gc := Conn{Protocol: 6, Flags: FlagDRoute | FlagNoOutput, State: 1, CPort: 9, VPort: 80, DPort: 80, Timeout: 900,
		Client: netip.MustParseAddr("198.19.9.9"), Virtual: netip.MustParseAddr("198.18.0.100"), Dest: netip.MustParseAddr("198.18.0.11")}
	if err := good.Add(&gc); err != nil {
		t.Fatal(err)
	}
	for _, msg := range [][]byte{{1, 2}, {0, 7, 0, 99, 1, 1, 0, 0}, append([]byte{0, 7, 0, 12, 1, 1, 0, 0}, 0, 6, 0, 36), good.Bytes()} {
		if _, err := c.WriteTo(msg, dst); err != nil {
			t.Fatal(err)
		}
	}
	waitImported(t, p.bp, 1)
	time.Sleep(200 * time.Millisecond) // the master's messages would have arrived by now
	got := p.bp.got()
	if len(got) != 1 || got[0].CPort != 9 {
		t.Fatalf("backup with sync id 7 imported %+v", got)
	}
	bc := p.bm.Counters()
	if bc["sync-msgs-dropped-other-syncid"] == 0 || bc["sync-msgs-dropped-short"] != 1 || bc["sync-msgs-dropped-size"] != 1 ||
		bc["sync-msgs-dropped-truncated"] != 1 {
		t.Fatalf("backup counters %v", bc)
	}
}

// The manager runs one daemon of each state and refuses a second.
func TestManagerStartStopErrors(t *testing.T) {
	p := newPair(t)
	start(t, p.m, p.mm, daemon(api.DaemonMaster, 0, DefaultGroup4))
	err := p.m.Do(func() error { return p.mm.StartDaemon(daemon(api.DaemonMaster, 1, DefaultGroup4)) })
	if api.CodeOf(err) != api.CodeExists {
		t.Fatalf("second master: %v", err)
	}
	start(t, p.m, p.mm, daemon(api.DaemonBackup, 0, DefaultGroup4))
	if err := p.m.Do(func() error { _, err := p.mm.DeviceMTU("nonexist0"); return err }); api.CodeOf(err) != api.CodeNoDevice {
		t.Fatalf("unknown interface: %v", err)
	}
	for _, s := range []string{api.DaemonMaster, api.DaemonBackup} {
		if err := p.mm.StopDaemon(s); err != nil {
			t.Fatal(err)
		}
		if err := p.mm.StopDaemon(s); api.CodeOf(err) != api.CodeNoService {
			t.Fatalf("stop %s twice: %v", s, err)
		}
	}
}
