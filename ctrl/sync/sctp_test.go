package sync

import (
	"bytes"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// SCTP connections go on the wire with the kernel's state numbers and
// come back to the same dataplane states, byte for byte against a
// message written from the spec.
func TestSCTPWireGolden(t *testing.T) {
	nat := sc("198.19.0.7", "198.18.0.100", "198.18.1.11")
	nat.Proto, nat.CPort, nat.VPort, nat.DPort = 132, 36412, 3868, 3869
	nat.Method, nat.State, nat.Timeout = snapshot.MethodMasq, conntrack.StateSCTPEstablished, 900
	dr := sc("198.19.0.8", "198.18.0.100", "198.18.0.11")
	dr.Proto, dr.CPort, dr.VPort, dr.DPort = 132, 36413, 3868, 3868
	dr.State, dr.Timeout = conntrack.StateSCTPShutdownSent, 61
	in := []engine.SyncConn{nat, dr}
	b := NewBuilder(2, 1472)
	for i := range in {
		var c Conn
		if !toWire(&in[i], &c) {
			t.Fatalf("%+v: not encodable", in[i])
		}
		if err := b.Add(&c); err != nil {
			t.Fatal(err)
		}
	}
	want := readHex(t, "v1_ipv4_sctp.hex")
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("encoded\n%x\nwant\n%x", b.Bytes(), want)
	}
	var m Message
	if err := Decode(want, 2, &m); err != nil || len(m.Conns) != 2 {
		t.Fatalf("decode: %v, %d conns", err, len(m.Conns))
	}
	for i := range m.Conns {
		var e engine.SyncConn
		if why := fromWire(&m.Conns[i], &e); why != "" || e != in[i] {
			t.Errorf("entry %d back: %q %+v\nwant %+v", i, why, e, in[i])
		}
	}
}

// Every SCTP state maps to its kernel number and back; numbers past
// CLOSED are refused.
func TestSCTPStateNumbers(t *testing.T) {
	names := []string{"NONE", "INIT1", "INIT", "C-SENT", "C-REPLIED", "C-WAIT", "COOKIE", "C-ECHOED",
		"ESTABLISHED", "S-SENT", "S-RECEIVED", "S-ACK-SENT", "REJECTED", "CLOSED"}
	for n, name := range names {
		s := sctpFromWire(uint16(n))
		if s.String() != name || !s.IsSCTP() || sctpToWire(s) != uint16(n) {
			t.Errorf("wire state %d: %v (%d back), want %s", n, s, sctpToWire(s), name)
		}
	}
	c := Conn{Protocol: 132, State: numSCTPStates, Client: ip("198.19.0.7"), Virtual: ip("198.18.0.100"), Dest: ip("198.18.0.11")}
	var e engine.SyncConn
	if why := fromWire(&c, &e); why != skipState {
		t.Errorf("state %d: %q, want %q", c.State, why, skipState)
	}
	// An SCTP template (persistence) carries state 0.
	c.State, c.Flags = 0, FlagTemplate
	if why := fromWire(&c, &e); why != "" || e.State != conntrack.StateNone || e.Flags != conntrack.FlagTemplate {
		t.Errorf("template: %q %+v", why, e)
	}
}
