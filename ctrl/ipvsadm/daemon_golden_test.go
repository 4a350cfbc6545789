package ipvsadm

import (
	"log/slog"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/ctrl/server"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/internal/fakedp"
)

// These tests run the golden cases through xlvsd's real control path: a
// real ctrl/server on a unix socket in a temporary directory, the real
// ctrl/model behind it, the real ctrl/client, and Env.Run (what Main
// runs). Only the dataplane is fake: a fakedp.Plane gives the model the
// counters, rates and connections the golden files were made with
// (model.Config's Stats, Rates and Conns hooks), by the slots the model
// published.
//
// A scenario command that xlvs' model refused would be matched against
// missingFeatures, and the cases that depend on it skipped naming the
// feature; any other refusal fails the test. xlvs has every feature the
// goldens use, so the map is empty: a refusal now fails the test.

// missingFeatures maps refusal messages of features xlvs lacks to their
// names. Empty: every golden case runs.
var missingFeatures = map[string]string{}

// daemonPath is one xlvsd control plane on a temporary socket.
type daemonPath struct {
	t     *testing.T
	plane *fakedp.Plane
	sock  string
	names Names
	// missing records, per service, the features refused while building
	// the scenario.
	missing map[api.ServiceKey][]string
}

func newDaemonPath(t *testing.T, names Names) *daemonPath {
	t.Helper()
	p := fakedp.New()
	m := model.New(model.Config{Stats: p, Rates: p, Conns: p, Publish: p.Publish, ConnTabSize: 4096, Sync: fakeSync{}, IsLocal: p.IsLocal})
	sock := filepath.Join(t.TempDir(), "xlvs.sock")
	srv, err := server.Listen(sock, m, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &daemonPath{t: t, plane: p, sock: sock, names: names, missing: map[api.ServiceKey][]string{}}
}

// run is one ipvsadm invocation over the socket.
func (d *daemonPath) run(stdin string, args ...string) result {
	var out, errb strings.Builder
	e := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Names: d.names, Socket: d.sock,
		Dial: func() (Client, error) { return client.Dial(d.sock) }}
	code := e.Run("ipvsadm", args)
	return result{out.String(), errb.String(), code}
}

// apply runs one configuration command of a scenario. A refusal for a
// feature in missingFeatures is recorded against its service; anything
// else must succeed.
func (d *daemonPath) apply(args ...string) {
	d.t.Helper()
	cmd, err := ParseWith("ipvsadm", args, d.names)
	if err != nil {
		d.t.Fatalf("scenario %q does not parse: %v", args, err)
	}
	r := d.run("", args...)
	if r == (result{}) {
		return
	}
	if len(d.missing[cmd.Service.Key]) > 0 && r == (result{"", "Service not defined\n", ExitRefused}) {
		return // its service was refused: already recorded
	}
	feature, ok := missingFeatures[strings.TrimSuffix(r.stderr, "\n")]
	if !ok || r.code != ExitRefused || r.stdout != "" {
		d.t.Fatalf("scenario ipvsadm %s: %+v", strings.Join(args, " "), r)
	}
	d.missing[cmd.Service.Key] = append(d.missing[cmd.Service.Key], feature)
}

// need skips the test when a service it lists could not be built.
func (d *daemonPath) need(keys ...api.ServiceKey) {
	d.t.Helper()
	var why []string
	seen := map[string]bool{}
	add := func(fs []string) {
		for _, f := range fs {
			if !seen[f] {
				seen[f] = true
				why = append(why, f)
			}
		}
	}
	if keys == nil {
		for _, fs := range d.missing {
			add(fs)
		}
	}
	for _, k := range keys {
		add(d.missing[k])
	}
	if len(why) > 0 {
		slices.Sort(why)
		d.t.Skipf("xlvs lacks: %s", strings.Join(why, "; "))
	}
}

// counterKeys are the scenario's services in insertion order and, for
// each, its real servers in insertion order, as fakectl indexes them.
type counterKeys struct {
	svcs  []api.ServiceKey
	dests map[api.ServiceKey][]netip.AddrPort
}

func (c *counterKeys) note(cmd *Command) {
	switch cmd.Cmd {
	case CmdAddService:
		c.svcs = append(c.svcs, cmd.Service.Key)
	case CmdAddServer:
		c.dests[cmd.Service.Key] = append(c.dests[cmd.Service.Key], netip.AddrPortFrom(cmd.Dest.Addr, cmd.Dest.Port))
	}
}

// buildV4 builds SCENARIO.txt through the daemon and injects its fakectl
// counters.
func buildV4(t *testing.T, names Names) *daemonPath {
	d := newDaemonPath(t, names)
	keys := &counterKeys{dests: map[api.ServiceKey][]netip.AddrPort{}}
	for _, line := range openLines(t, filepath.Join(goldenDir, "SCENARIO.txt")) {
		switch {
		case strings.HasPrefix(line, "$ ipvsadm "):
			args := strings.Fields(line)[2:]
			cmd, err := ParseWith("ipvsadm", args, names)
			if err != nil {
				t.Fatal(err)
			}
			keys.note(cmd)
			d.apply(args...)
		case strings.HasPrefix(line, "fakectl "):
			d.injectFakectl(keys, strings.Fields(line)[1:])
		}
	}
	return d
}

// injectFakectl applies "svc I <10 stats>" or "dst I J <10 stats>
// [active inact persist]" to the slots of what the daemon built.
func (d *daemonPath) injectFakectl(keys *counterKeys, fl []string) {
	var v []uint64
	for _, s := range fl[2:] {
		x, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			d.t.Fatal(err)
		}
		v = append(v, x)
	}
	si, _ := strconv.Atoi(fl[1])
	k := keys.svcs[si]
	p := d.plane
	if fl[0] == "svc" {
		slot, err := p.ServiceSlot(k)
		if err != nil {
			return // refused: the cases listing it are skipped
		}
		p.SetService(slot, engine.ServiceStats{Conns: v[0], InPkts: v[1], OutPkts: v[2], InBytes: v[3], OutBytes: v[4]})
		p.SetServiceRates(slot, statsOf(v))
		return
	}
	dj, _ := strconv.Atoi(fl[2])
	ap := keys.dests[k][dj]
	port := ap.Port()
	if port == 0 && k.FWMark == 0 {
		port = k.Port // ipvsadm gives a real server without a port the service's
	}
	slot, err := p.DestSlot(k, netip.AddrPortFrom(ap.Addr(), port))
	if err != nil {
		return
	}
	v = v[1:]
	st := engine.DestStats{Conns: v[0], InPkts: v[1], OutPkts: v[2], InBytes: v[3], OutBytes: v[4]}
	if len(v) >= 13 {
		st.ActiveConns, st.InactConns, st.PersistConns = v[10], v[11], v[12]
	}
	p.SetDest(slot, st)
	p.SetDestRates(slot, statsOf(v[:10]))
}

// buildConns configures what the connections of
// proc_net_ip_vs_conn.input need — their services and real servers, with
// persistence where a template exists — and hands the connections to the
// model as the dataplane would. The -c listing shows only connections:
// real servers are added as -g (DR) unless their port differs from the
// virtual one, which takes NAT.
func buildConns(t *testing.T, names Names) *daemonPath {
	d := newDaemonPath(t, names)
	conns := loadConns(t)
	svcArgs := func(c *api.Conn) []string {
		if c.Protocol == 0 { // a firewall-mark template: mark in the address
			return []string{"-f", strconv.Itoa(int(c.Virtual.As4()[3]))}
		}
		opt := map[uint16]string{api.ProtoTCP: "-t", api.ProtoUDP: "-u", api.ProtoSCTP: "--sctp-service"}[c.Protocol]
		return []string{opt, netip.AddrPortFrom(c.Virtual, c.VPort).String()}
	}
	persistent, pe := map[string]bool{}, map[string]string{}
	for i := range conns {
		if conns[i].Template {
			persistent[strings.Join(svcArgs(&conns[i]), " ")] = true
		}
		if conns[i].PEName != "" { // an entry with engine data: a persistent service with the engine
			persistent[strings.Join(svcArgs(&conns[i]), " ")] = true
			pe[strings.Join(svcArgs(&conns[i]), " ")] = conns[i].PEName
		}
	}
	added := map[string]bool{}
	for i := range conns {
		c := &conns[i]
		svc := svcArgs(c)
		if id := strings.Join(svc, " "); !added[id] {
			added[id] = true
			args := append([]string{"-A"}, svc...)
			if persistent[id] {
				args = append(args, "-p")
			}
			if pe[id] != "" {
				args = append(args, "--pe", pe[id])
			}
			d.apply(args...)
		}
		rs := netip.AddrPortFrom(c.Dest, c.DPort).String()
		if id := strings.Join(svc, " ") + " " + rs; !added[id] {
			added[id] = true
			// DR and TUN real servers take the virtual port; another
			// port takes NAT.
			method := "-g"
			if c.Protocol != 0 && c.DPort != c.VPort {
				method = "-m"
			}
			d.apply(append(append([]string{"-a"}, svc...), "-r", rs, method)...)
		}
	}
	var infos []engine.ConnInfo
	for i := range conns {
		c := &conns[i]
		cmd, err := ParseWith("ipvsadm", append([]string{"-L"}, svcArgs(c)...), names)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := d.plane.DestSlot(cmd.Service.Key, netip.AddrPortFrom(c.Dest, c.DPort))
		if err != nil {
			continue // refused: the cases are skipped
		}
		ci := engine.ConnInfo{Proto: uint8(c.Protocol), Client: c.Client, CPort: c.CPort, Virtual: c.Virtual, VPort: c.VPort,
			Dest: dst, Service: d.plane.Snapshot().Dests[dst].Service, Expires: time.Duration(c.Expires)*time.Second + 700*time.Millisecond,
			PEName: c.PEName, PEData: c.PEData}
		for s := conntrack.State(0); s < conntrack.NumStates; s++ {
			if s.String() == c.State {
				ci.State = s
			}
		}
		if c.Template {
			ci.Flags = conntrack.FlagTemplate
			if c.State == "ASSURED" {
				ci.State = conntrack.StateEstablished
			}
		}
		infos = append(infos, ci)
	}
	d.plane.SetConns(infos)
	return d
}

// buildV6 builds v6_scenario.txt's services and real servers through the
// daemon (the file lists state, not commands: each line becomes the
// ipvsadm command that makes it) and injects their counters.
func buildV6(t *testing.T, names Names) *daemonPath {
	d := newDaemonPath(t, names)
	fake, _ := loadV6Scenario(t)
	for _, s := range fake.svcs {
		args := append([]string{"-A"}, svcOption(s.Key)...)
		args = append(args, "-s", s.Scheduler)
		if s.Flags&api.SvcPersistent != 0 {
			args = append(args, "-p", strconv.Itoa(int(s.Timeout)))
			if s.Key.IsIPv6() || s.Key.FWMark != 0 {
				args = append(args, "-M", strconv.Itoa(int(s.Netmask)))
			}
		}
		if s.PE != "" {
			args = append(args, "--pe", s.PE)
		}
		if fl := schedFlagsArg(s.Scheduler, s.Flags); fl != "" {
			args = append(args, "-b", fl)
		}
		d.apply(args...)
		for i := len(s.Dests) - 1; i >= 0; i-- { // the fake holds them newest first
			dd := &s.Dests[i]
			if dd.Method == api.MethodLocal {
				// ipvsadm has no option for it: the kernel makes a real
				// server at one of the director's addresses a local node.
				d.plane.SetLocal(dd.Addr)
			}
			d.apply(destArgs(s.Key, dd)...)
		}
		if slot, err := d.plane.ServiceSlot(s.Key); err == nil {
			d.plane.SetService(slot, engine.ServiceStats{Conns: s.Stats.Conns, InPkts: s.Stats.InPkts, OutPkts: s.Stats.OutPkts, InBytes: s.Stats.InBytes, OutBytes: s.Stats.OutBytes})
			d.plane.SetServiceRates(slot, s.Stats)
		}
		for i := range s.Dests {
			dd := &s.Dests[i]
			if dst, err := d.plane.DestSlot(s.Key, netip.AddrPortFrom(dd.Addr, dd.Port)); err == nil {
				d.plane.SetDest(dst, engine.DestStats{ActiveConns: uint64(dd.ActiveConns), InactConns: uint64(dd.InactConns),
					Conns: dd.Stats.Conns, InPkts: dd.Stats.InPkts, OutPkts: dd.Stats.OutPkts, InBytes: dd.Stats.InBytes, OutBytes: dd.Stats.OutBytes})
				d.plane.SetDestRates(dst, dd.Stats)
			}
		}
	}
	return d
}

func svcOption(k api.ServiceKey) []string {
	if k.FWMark != 0 {
		if k.IsIPv6() {
			return []string{"-f", strconv.Itoa(int(k.FWMark)), "-6"}
		}
		return []string{"-f", strconv.Itoa(int(k.FWMark))}
	}
	opt := map[uint16]string{api.ProtoTCP: "-t", api.ProtoUDP: "-u", api.ProtoSCTP: "--sctp-service"}[k.Protocol]
	return []string{opt, netip.AddrPortFrom(k.Addr, k.Port).String()}
}

func schedFlagsArg(sched string, flags uint32) string {
	names := [3]string{"flag-1", "flag-2", "flag-3"}
	if sched == "sh" || sched == "mh" {
		names = [3]string{sched + "-fallback", sched + "-port", "flag-3"}
	}
	var out []string
	for i, bit := range []uint32{api.SvcSched1, api.SvcSched2, api.SvcSched3} {
		if flags&bit != 0 {
			out = append(out, names[i])
		}
	}
	return strings.Join(out, ",")
}

func destArgs(k api.ServiceKey, d *api.Dest) []string {
	args := append([]string{"-a"}, svcOption(k)...)
	args = append(args, "-r", netip.AddrPortFrom(d.Addr, d.Port).String())
	switch d.Method {
	case api.MethodMasq:
		args = append(args, "-m")
	case api.MethodTunnel:
		args = append(args, "-i")
		switch d.TunType {
		case api.TunGUE:
			args = append(args, "--tun-type", "gue", "--tun-port", strconv.Itoa(int(d.TunPort)))
		case api.TunGRE:
			args = append(args, "--tun-type", "gre")
		}
		if d.TunType != api.TunIPIP {
			args = append(args, []string{"--tun-nocsum", "--tun-csum", "--tun-remcsum"}[d.TunFlags])
		}
	default:
		args = append(args, "-g")
	}
	return append(args, "-w", strconv.Itoa(int(d.Weight)))
}

// TestGoldenThroughDaemon runs every golden case through the daemon's
// real control path and compares stdout, stderr and exit code byte for
// byte.
func TestGoldenThroughDaemon(t *testing.T) {
	names := loadTestNames(t)
	cmds, err := filepath.Glob(filepath.Join(goldenDir, "*.cmd"))
	if err != nil || len(cmds) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range cmds {
		name := strings.TrimSuffix(filepath.Base(path), ".cmd")
		t.Run(name, func(t *testing.T) {
			args := strings.Fields(readGolden(t, name, ".cmd"))[1:]
			cmd, err := ParseWith("ipvsadm", args, names)
			if err != nil {
				t.Fatal(err)
			}
			var d *daemonPath
			switch {
			case cmd.Opts.Has(OptDaemon):
				d = newDaemonPath(t, names)
				_, daemons := loadV6Scenario(t)
				for _, dm := range daemons {
					d.apply(startArgs(dm)...)
				}
			case cmd.Opts.Has(OptConnection):
				d = buildConns(t, names)
				d.need()
			case strings.HasPrefix(name, "v6_"):
				d = buildV6(t, names)
				d.need()
			case cmd.Opts.Has(OptPersistentConn):
				d = buildV4(t, names)
				if strings.HasPrefix(name, "v6_") {
					d = buildV6(t, names)
				}
				d.need()
			default:
				d = buildV4(t, names)
				switch {
				case cmd.Opts.Has(OptTimeout):
				case cmd.HasService():
					d.need(cmd.Service.Key)
				default:
					d.need()
				}
			}
			got := d.run("", args...)
			want := result{readGolden(t, name, ".stdout"), readGolden(t, name, ".stderr"), 0}
			want.code, _ = strconv.Atoi(strings.TrimSpace(readGolden(t, name, ".rc")))
			if got.stdout != want.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", got.stdout, want.stdout)
			}
			if got.stderr != want.stderr || got.code != want.code {
				t.Errorf("stderr %q code %d, want %q %d", got.stderr, got.code, want.stderr, want.code)
			}
		})
	}
}

// TestTranscriptThroughDaemon replays SPEC §1.9's transcript against the
// daemon's real control path, as TestTranscript does against the fake
// IPVS: parser rejections, the model's kernel-like refusals and their
// exit codes, --set and --timeout.
func TestTranscriptThroughDaemon(t *testing.T) {
	steps := parseTranscript(t, "testdata/transcript_1_9.txt")
	names := loadTestNames(t)
	d := newDaemonPath(t, names)
	for i, st := range steps {
		if strings.Join(st.args, " ") == "-A -t 1.2.3.4:80 -s rr" { // the second capture starts afresh
			d = newDaemonPath(t, names)
		}
		want := st.want
		if cmd, err := ParseWith("ipvsadm", st.args, names); err == nil && cmd.Cmd == CmdList && cmd.Opts.Has(OptDaemon) {
			want.stdout = netlinkDaemons(want.stdout)
		}
		if got := d.run("", st.args...); got != want {
			t.Errorf("step %d: ipvsadm %s\n got %+v\nwant %+v", i, strings.Join(st.args, " "), got, want)
		}
	}
}

// fakeSync is the daemons' side of the model: interfaces eth0 and eth1
// exist with MTU 1500, and starting or stopping always works (the model
// keeps what runs).
type fakeSync struct{}

func (fakeSync) DeviceMTU(name string) (int, error) {
	if name != "eth0" && name != "eth1" {
		return 0, api.NewError(api.CodeNoDevice, "no interface "+name)
	}
	return 1500, nil
}
func (fakeSync) StartDaemon(api.Daemon) error { return nil }
func (fakeSync) StopDaemon(string) error      { return nil }

// startArgs is the --start-daemon command that starts d; fields at the
// kernel's defaults are left out.
func startArgs(d Daemon) []string {
	args := []string{"--start-daemon", d.State, "--mcast-interface", d.McastIfn, "--syncid", strconv.Itoa(int(d.SyncID))}
	if d.SyncMaxLen != 1472 {
		args = append(args, "--sync-maxlen", strconv.Itoa(int(d.SyncMaxLen)))
	}
	if d.McastGroup != netip.MustParseAddr("224.0.0.81") {
		args = append(args, "--mcast-group", d.McastGroup.String())
	}
	if d.McastPort != 8848 {
		args = append(args, "--mcast-port", strconv.Itoa(int(d.McastPort)))
	}
	if d.McastTTL != 1 {
		args = append(args, "--mcast-ttl", strconv.Itoa(int(d.McastTTL)))
	}
	return args
}

// netlinkDaemons turns the transcript's -L --daemon lines, captured over
// the kernel's legacy sockopt API (interface and sync id only), into what
// ipvsadm prints over netlink, where the kernel reports the defaults it
// filled in (SPEC §2.7): the transcript's master was started with
// --mcast-group ff02:: (an IPv6 group: maxlen 1500-48), its backup with
// the defaults.
func netlinkDaemons(legacy string) string {
	extra := map[string]string{
		"master": ", maxlen=1452, group=ff02::, port=8848, ttl=1",
		"backup": ", maxlen=1472, group=224.0.0.81, port=8848, ttl=1",
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(legacy, "\n") {
		if state, _, ok := strings.Cut(line, " "); ok {
			line = strings.TrimSuffix(line, ")\n") + extra[state] + ")\n"
		}
		b.WriteString(line)
	}
	return b.String()
}
