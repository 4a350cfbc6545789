package conntrack

import (
	"os"
	"strings"
	"testing"
)

// abbrev maps the kernel's short state names to ipvsadm -c names.
var abbrev = map[string]string{
	"sNO": "NONE", "sES": "ESTABLISHED", "sSS": "SYN_SENT", "sSR": "SYN_RECV",
	"sFW": "FIN_WAIT", "sTW": "TIME_WAIT", "sCL": "CLOSE", "sCW": "CLOSE_WAIT",
	"sLA": "LAST_ACK", "sLI": "LISTEN", "sSA": "SYNACK",
}

// specRow is one row of testdata/tcp_states.txt, a verbatim copy of the
// transition tables of the ipvsadm spec (§6.1, from ip_vs_proto_tcp.c).
type specRow struct {
	dir   Dir
	class string   // "syn", "fin", "ack", "rst"
	next  []string // ipvsadm names, by column
}

func loadSpec(t *testing.T) (cols []string, rows []specRow) {
	t.Helper()
	b, err := os.ReadFile("testdata/tcp_states.txt")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]Dir{"INPUT": DirInput, "OUTPUT": DirOutput, "INPUT-ONLY": DirInputOnly}
	dir := Dir(255)
	fields := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		switch {
		case strings.HasPrefix(line, "/*        sNO"):
			for _, f := range fields(strings.Trim(line, "/* \t")) {
				cols = append(cols, abbrev[f])
			}
		case strings.HasPrefix(line, "/*\t"):
			name := strings.Fields(strings.TrimPrefix(line, "/*\t"))[0]
			d, ok := dirs[name]
			if !ok {
				t.Fatalf("unknown table %q", name)
			}
			dir = d
		default:
			class := line[2:5]
			body := line[strings.Index(line, "{{")+2 : strings.Index(line, "}}")]
			var next []string
			for _, f := range fields(body) {
				n, ok := abbrev[f]
				if !ok {
					t.Fatalf("unknown state %q in %q", f, line)
				}
				next = append(next, n)
			}
			rows = append(rows, specRow{dir, class, next})
		}
	}
	if len(cols) != 11 || len(rows) != 12 {
		t.Fatalf("spec parse: %d columns, %d rows; want 11 and 12", len(cols), len(rows))
	}
	return cols, rows
}

// stateByName finds the State whose String is name.
func stateByName(t *testing.T, name string) State {
	t.Helper()
	for s := State(0); s < NumStates; s++ {
		if s.String() == name {
			return s
		}
	}
	t.Fatalf("no state named %q", name)
	return 0
}

// flagsFor gives a flags byte of each class, plus one with lower-priority
// flags mixed in, to check the priority RST > SYN > FIN > ACK.
var flagsFor = map[string][]uint8{
	"rst": {TCPRst, TCPRst | TCPAck, TCPRst | TCPSyn | TCPFin | TCPAck, TCPRst | 0x08 | 0x20},
	"syn": {TCPSyn, TCPSyn | TCPAck, TCPSyn | TCPFin | TCPAck},
	"fin": {TCPFin, TCPFin | TCPAck, TCPFin | 0x08},
	"ack": {TCPAck, TCPAck | 0x08, TCPAck | 0x20 | 0x40 | 0x80},
}

func TestTCPNextMatchesSpec(t *testing.T) {
	cols, rows := loadSpec(t)
	for _, r := range rows {
		for c, want := range r.next {
			from := stateByName(t, cols[c])
			for _, fl := range flagsFor[r.class] {
				if got := TCPNext(from, r.dir, fl); got.String() != want {
					t.Errorf("dir %d %s (flags %#02x) from %s: got %s, want %s",
						r.dir, r.class, fl, cols[c], got, want)
				}
			}
		}
	}
}

func TestTCPNextNoFlagsCloses(t *testing.T) {
	for dir := DirInput; dir <= DirInputOnly; dir++ {
		for s := StateNone; s <= StateSynAck; s++ {
			for _, fl := range []uint8{0, 0x08, 0x20, 0x40, 0x80, 0xe8} {
				if got := TCPNext(s, dir, fl); got != StateClose {
					t.Errorf("dir %d from %s flags %#02x: got %s, want CLOSE", dir, s, fl, got)
				}
			}
		}
	}
}

func TestTCPNextNonTCP(t *testing.T) {
	if got := TCPNext(StateUDP, DirInput, TCPSyn); got != StateUDP {
		t.Errorf("UDP state: got %s, want UDP unchanged", got)
	}
	if got := TCPNext(StateEstablished, Dir(3), TCPFin); got != StateEstablished {
		t.Errorf("bad direction: got %s, want ESTABLISHED unchanged", got)
	}
}

type step struct {
	dir   Dir
	flags uint8
	want  State
}

func runLifecycle(t *testing.T, name string, steps []step) {
	t.Helper()
	s := StateNone
	for i, st := range steps {
		s = TCPNext(s, st.dir, st.flags)
		if s != st.want {
			t.Fatalf("%s step %d (dir %d flags %#02x): got %s, want %s", name, i, st.dir, st.flags, s, st.want)
		}
	}
}

func TestTCPLifecycles(t *testing.T) {
	const in, out, only = DirInput, DirOutput, DirInputOnly
	// DR/TUN: the director sees only the client's half.
	runLifecycle(t, "DR client closes", []step{
		{only, TCPSyn, StateSynRecv},
		{only, TCPAck, StateEstablished},
		{only, TCPAck, StateEstablished},
		{only, TCPFin | TCPAck, StateFinWait},
		{only, TCPAck, StateFinWait},
		{only, TCPRst, StateClose},
	})
	runLifecycle(t, "DR handshake retransmit", []step{
		{only, TCPSyn, StateSynRecv},
		{only, TCPSyn, StateSynRecv},
		{only, TCPRst, StateSynRecv},
		{only, TCPAck, StateEstablished},
		{only, TCPSyn, StateEstablished},
	})
	// NAT: both halves pass through the director.
	runLifecycle(t, "NAT client closes", []step{
		{in, TCPSyn, StateSynRecv},
		{out, TCPSyn | TCPAck, StateSynRecv},
		{in, TCPAck, StateEstablished},
		{out, TCPAck, StateEstablished},
		{in, TCPFin | TCPAck, StateCloseWait},
		{out, TCPAck, StateCloseWait},
		{out, TCPFin | TCPAck, StateTimeWait},
		{in, TCPAck, StateTimeWait},
	})
	runLifecycle(t, "NAT server closes", []step{
		{in, TCPSyn, StateSynRecv},
		{out, TCPSyn | TCPAck, StateSynRecv},
		{in, TCPAck, StateEstablished},
		{out, TCPFin | TCPAck, StateFinWait},
		{in, TCPAck, StateFinWait},
		{in, TCPFin | TCPAck, StateTimeWait},
	})
	runLifecycle(t, "NAT refused", []step{
		{in, TCPSyn, StateSynRecv},
		{out, TCPRst | TCPAck, StateClose},
	})
}
