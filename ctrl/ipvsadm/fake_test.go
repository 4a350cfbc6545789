package ipvsadm

import (
	"bufio"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

// fakeIPVS is an in-memory IPVS with the kernel's semantics for what the
// tests exercise: services in insertion order, real servers newest first
// (list_add at the head), and the errno codes of ip_vs_ctl.c.
type fakeIPVS struct {
	info     api.Info
	timeouts api.Timeouts
	svcs     []*api.Service
	conns    []api.Conn
	reqs     []api.Request
	// daemons are the running sync daemons, master first.
	daemons [2]*api.Daemon
}

func newFakeIPVS() *fakeIPVS {
	return &fakeIPVS{
		info:     api.Info{Version: 0x010201, ConnTabSize: 4096},
		timeouts: api.Timeouts{TCP: 900, TCPFin: 120, UDP: 300},
	}
}

var fakeSchedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos", "none"}

func sameKey(a, b api.ServiceKey) bool {
	return a.Protocol == b.Protocol && a.Addr.Unmap() == b.Addr.Unmap() && a.Port == b.Port && a.FWMark == b.FWMark
}

func (f *fakeIPVS) find(k api.ServiceKey) (int, *api.Service) {
	for i, s := range f.svcs {
		if sameKey(s.Key, k) {
			return i, s
		}
	}
	return -1, nil
}

func findDest(s *api.Service, d *api.Dest) int {
	for i := range s.Dests {
		if s.Dests[i].Addr.Unmap() == d.Addr.Unmap() && s.Dests[i].Port == d.Port {
			return i
		}
	}
	return -1
}

func errc(c api.Code) *api.Response { return &api.Response{Err: api.NewError(c, "")} }

func (f *fakeIPVS) Do(req *api.Request) (*api.Response, error) {
	f.reqs = append(f.reqs, *req)
	switch req.Op {
	case api.OpGetInfo:
		info := f.info
		info.NumServices = uint32(len(f.svcs))
		return &api.Response{Info: &info}, nil
	case api.OpListService:
		out := make([]api.Service, 0, len(f.svcs))
		for _, s := range f.svcs {
			c := *s
			c.Dests = slices.Clone(s.Dests)
			out = append(out, c)
		}
		return &api.Response{Services: out}, nil
	case api.OpGetService:
		_, s := f.find(req.Service.Key)
		if s == nil {
			return errc(api.CodeNoService), nil
		}
		c := *s
		c.Dests = slices.Clone(s.Dests)
		return &api.Response{Services: []api.Service{c}}, nil
	case api.OpAddService, api.OpEditService, api.OpDelService, api.OpFlush, api.OpZero:
		return f.serviceOp(req), nil
	case api.OpAddDest, api.OpEditDest, api.OpDelDest:
		return f.destOp(req), nil
	case api.OpStartDaemon, api.OpStopDaemon, api.OpGetDaemons:
		return f.daemonOp(req), nil
	case api.OpGetTimeouts:
		t := f.timeouts
		return &api.Response{Timeouts: &t}, nil
	case api.OpSetTimeouts:
		t := req.Timeouts
		if t.TCP != 0 {
			f.timeouts.TCP = t.TCP
		}
		if t.TCPFin != 0 {
			f.timeouts.TCPFin = t.TCPFin
		}
		if t.UDP != 0 {
			f.timeouts.UDP = t.UDP
		}
		return &api.Response{}, nil
	case api.OpListConns:
		return &api.Response{Conns: f.conns}, nil
	}
	return errc(api.CodeInvalid), nil
}

func (f *fakeIPVS) serviceOp(req *api.Request) *api.Response {
	if req.Op == api.OpFlush {
		f.svcs = nil
		return &api.Response{}
	}
	if req.Op == api.OpZero && req.Service == nil {
		for _, s := range f.svcs {
			zero(s)
		}
		return &api.Response{}
	}
	i, s := f.find(req.Service.Key)
	badSched := func(in *api.Service) bool {
		return !slices.Contains(fakeSchedulers, in.Scheduler) || (in.PE != "" && in.PE != "sip")
	}
	if req.Op == api.OpAddService {
		switch {
		case s != nil:
			return errc(api.CodeExists)
		case badSched(req.Service):
			return errc(api.CodeNotFound)
		}
		n := *req.Service
		n.Dests = nil
		f.svcs = append(f.svcs, &n)
		return &api.Response{}
	}
	if s == nil {
		return errc(api.CodeNoService)
	}
	switch req.Op {
	case api.OpEditService:
		in := req.Service
		if badSched(in) {
			return errc(api.CodeNotFound)
		}
		s.Scheduler, s.Flags, s.Timeout, s.Netmask, s.PE = in.Scheduler, in.Flags, in.Timeout, in.Netmask, in.PE
	case api.OpDelService:
		f.svcs = slices.Delete(f.svcs, i, i+1)
	case api.OpZero:
		zero(s)
	}
	return &api.Response{}
}

func zero(s *api.Service) {
	s.Stats = api.Stats{}
	for i := range s.Dests {
		s.Dests[i].Stats = api.Stats{}
	}
}

func (f *fakeIPVS) destOp(req *api.Request) *api.Response {
	_, s := f.find(req.Service.Key)
	if s == nil {
		return errc(api.CodeNoService)
	}
	d := req.Dest
	if req.Op != api.OpDelDest && (d.Weight < 0 || d.LThreshold > d.UThreshold) {
		return errc(api.CodeRange)
	}
	i := findDest(s, d)
	switch {
	case req.Op == api.OpAddDest && i >= 0:
		return errc(api.CodeExists)
	case req.Op == api.OpAddDest:
		n := *d
		s.Dests = append([]api.Dest{n}, s.Dests...)
	case i < 0:
		return errc(api.CodeNotFound)
	case req.Op == api.OpEditDest:
		old := s.Dests[i]
		s.Dests[i] = *d
		s.Dests[i].Stats, s.Dests[i].ActiveConns, s.Dests[i].InactConns, s.Dests[i].PersistConns =
			old.Stats, old.ActiveConns, old.InactConns, old.PersistConns
	default:
		s.Dests = slices.Delete(s.Dests, i, i+1)
	}
	return &api.Response{}
}

// testNames resolves from testdata/services and testdata/hosts only, so
// results do not depend on the machine.
type testNames struct {
	db    *Services
	hosts map[netip.Addr]string
}

var (
	testNamesOnce sync.Once
	testNamesVal  *testNames
	testNamesErr  error
)

// loadTestNames loads the test name databases once.
func loadTestNames(t *testing.T) *testNames {
	t.Helper()
	testNamesOnce.Do(func() { testNamesVal, testNamesErr = readTestNames() })
	if testNamesErr != nil {
		t.Fatal(testNamesErr)
	}
	return testNamesVal
}

func readTestNames() (*testNames, error) {
	f, err := os.Open("testdata/services")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	db, err := ParseServices(f)
	if err != nil {
		return nil, err
	}
	n := &testNames{db: db, hosts: map[netip.Addr]string{}}
	h, err := os.Open("testdata/hosts")
	if err != nil {
		return nil, err
	}
	defer h.Close()
	sc := bufio.NewScanner(h)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) >= 2 {
			n.hosts[netip.MustParseAddr(fl[0])] = fl[1]
		}
	}
	return n, sc.Err()
}

func (n *testNames) HostAddr(name string) (netip.Addr, bool) {
	for a, h := range n.hosts {
		if h == name && a.Is4() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func (n *testNames) HostName(a netip.Addr) string              { return n.hosts[a] }
func (n *testNames) Port(name, proto string) (uint16, bool)    { return n.db.Port(name, proto) }
func (n *testNames) PortName(port uint16, proto string) string { return n.db.PortName(port, proto) }

// result is what one invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runWith runs args against client with the test name databases.
func runWith(t *testing.T, c Client, names Names, stdin string, args ...string) result {
	t.Helper()
	var out, errb strings.Builder
	e := &Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Names: names,
		Dial: func() (Client, error) { return c, nil },
	}
	code := e.Run("ipvsadm", args)
	return result{out.String(), errb.String(), code}
}

// daemonOp is start_sync_thread / stop_sync_thread with the errno codes
// ipvsadm prints: ENODEV for an interface other than eth0 and eth1,
// EEXIST for a second daemon of a state, ESRCH to stop one not running.
func (f *fakeIPVS) daemonOp(req *api.Request) *api.Response {
	if req.Op == api.OpGetDaemons {
		resp := &api.Response{}
		for _, d := range f.daemons {
			if d != nil {
				resp.Daemons = append(resp.Daemons, *d)
			}
		}
		return resp
	}
	i := 0
	if req.Daemon.State == api.DaemonBackup {
		i = 1
	}
	if req.Op == api.OpStopDaemon {
		if f.daemons[i] == nil {
			return errc(api.CodeNoService)
		}
		f.daemons[i] = nil
		return &api.Response{}
	}
	if req.Daemon.McastIfn != "eth0" && req.Daemon.McastIfn != "eth1" {
		return errc(api.CodeNoDevice)
	}
	if f.daemons[i] != nil {
		return errc(api.CodeExists)
	}
	// The sockopt API (struct ip_vs_daemon_user) carries only these.
	f.daemons[i] = &api.Daemon{State: req.Daemon.State, McastIfn: req.Daemon.McastIfn, SyncID: req.Daemon.SyncID}
	return &api.Response{}
}
