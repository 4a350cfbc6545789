package conntrack

import (
	"reflect"
	"testing"
	"unsafe"
)

func TestStateNames(t *testing.T) {
	want := []string{"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK", "UDP",
		// sctp_state_name_table of ip_vs_proto_sctp.c, after NONE.
		"INIT1", "INIT", "C-SENT", "C-REPLIED", "C-WAIT", "COOKIE", "C-ECHOED", "ESTABLISHED",
		"S-SENT", "S-RECEIVED", "S-ACK-SENT", "REJECTED", "CLOSED"}
	if len(want) != int(NumStates) {
		t.Fatalf("NumStates = %d, want %d", NumStates, len(want))
	}
	for i, w := range want {
		if got := State(i).String(); got != w {
			t.Errorf("State(%d) = %q, want %q", i, got, w)
		}
	}
	if got := NumStates.String(); got != "ERR!" {
		t.Errorf("out-of-range state = %q, want ERR!", got)
	}
}

func TestStateActive(t *testing.T) {
	active := map[State]bool{StateEstablished: true, StateSynSent: true, StateSynRecv: true, StateSynAck: true,
		StateSCTPEstablished: true}
	for s := State(0); s <= NumStates; s++ {
		if got := s.Active(); got != active[s] {
			t.Errorf("%s.Active() = %v, want %v", s, got, active[s])
		}
	}
	if StateUDP.Active() {
		t.Error("UDP must count as inactive")
	}
}

func TestDefaultTimeouts(t *testing.T) {
	want := map[string]uint32{
		"NONE": 2, "ESTABLISHED": 900, "SYN_SENT": 120, "SYN_RECV": 60, "FIN_WAIT": 120,
		"TIME_WAIT": 120, "CLOSE": 10, "CLOSE_WAIT": 60, "LAST_ACK": 30, "LISTEN": 120,
		"SYNACK": 120, "UDP": 300,
	}
	// sctp_timeouts[] (SPEC §6.2): 61 s is IP_VS_SCTP_MAX_RTO.
	wantSCTP := map[string]uint32{
		"INIT1": 4, "INIT": 61, "C-SENT": 61, "C-REPLIED": 61, "C-WAIT": 61, "COOKIE": 61, "C-ECHOED": 61,
		"ESTABLISHED": 900, "S-SENT": 61, "S-RECEIVED": 61, "S-ACK-SENT": 61, "REJECTED": 4, "CLOSED": 61,
	}
	d := DefaultTimeouts()
	for s := State(0); s < NumStates; s++ {
		if s > StateUDP {
			if d[s] != wantSCTP[s.String()] {
				t.Errorf("timeout of SCTP %s = %d, want %d", s, d[s], wantSCTP[s.String()])
			}
			continue
		}
		if d[s] != want[s.String()] {
			t.Errorf("timeout of %s = %d, want %d", s, d[s], want[s.String()])
		}
	}
	if tcp, fin, udp := d.Get(); tcp != 900 || fin != 120 || udp != 300 {
		t.Errorf("Get() = %d %d %d, want 900 120 300", tcp, fin, udp)
	}
}

func TestTimeoutsSet(t *testing.T) {
	d := DefaultTimeouts()
	d.Set(3600, 0, 10)
	if tcp, fin, udp := d.Get(); tcp != 3600 || fin != 120 || udp != 10 {
		t.Errorf("after Set(3600,0,10): %d %d %d, want 3600 120 10", tcp, fin, udp)
	}
	d.Set(0, 30, 0)
	if tcp, fin, udp := d.Get(); tcp != 3600 || fin != 30 || udp != 10 {
		t.Errorf("after Set(0,30,0): %d %d %d, want 3600 30 10", tcp, fin, udp)
	}
	def := DefaultTimeouts()
	for s := State(0); s < NumStates; s++ {
		if s != StateEstablished && s != StateFinWait && s != StateUDP && d[s] != def[s] {
			t.Errorf("Set changed %s to %d", s, d[s])
		}
	}
}

// checkPointerFree fails if typ holds anything the GC would scan.
func checkPointerFree(t *testing.T, path string, typ reflect.Type) {
	switch typ.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
	case reflect.Array:
		checkPointerFree(t, path+"[]", typ.Elem())
	case reflect.Struct:
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			checkPointerFree(t, path+"."+f.Name, f.Type)
		}
	default:
		t.Errorf("%s is a %s: Entry must hold no pointers", path, typ.Kind())
	}
}

func TestEntryLayout(t *testing.T) {
	typ := reflect.TypeOf(Entry{})
	checkPointerFree(t, "Entry", typ)
	if typ.Size() != EntrySize || EntrySize != 48 || unsafe.Sizeof(Entry{}) != 48 {
		t.Errorf("Entry is %d bytes, EntrySize %d; want 48", typ.Size(), EntrySize)
	}
	if s := reflect.TypeOf(Key{}).Size(); s != 40 {
		t.Errorf("Key is %d bytes, want 40", s)
	}
	if !typ.Comparable() || !reflect.TypeOf(Key{}).Comparable() {
		t.Error("Key and Entry must be comparable")
	}
}
