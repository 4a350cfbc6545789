package conntrack

import (
	"os"
	"strings"
	"testing"
)

// sctpAbbrev maps the kernel's short SCTP state names to ipvsadm -c names.
var sctpAbbrev = map[string]string{
	"sNO": "NONE", "sI1": "INIT1", "sIN": "INIT", "sCS": "C-SENT", "sCR": "C-REPLIED",
	"sCW": "C-WAIT", "sCO": "COOKIE", "sCE": "C-ECHOED", "sES": "ESTABLISHED",
	"sSS": "S-SENT", "sSR": "S-RECEIVED", "sSA": "S-ACK-SENT", "sRJ": "REJECTED", "sCL": "CLOSED",
}

// sctpRowEvents maps the table's row comments to events.
var sctpRowEvents = map[string]SCTPEvent{
	"d": SCTPEventData, "i": SCTPEventInit, "i_a": SCTPEventInitAck, "c_e": SCTPEventCookieEcho,
	"c_a": SCTPEventCookieAck, "s": SCTPEventShutdown, "s_a": SCTPEventShutdownAck,
	"s_c": SCTPEventShutdownComplete, "err": SCTPEventError, "ab": SCTPEventAbort,
}

// sctpStateByName is the SCTP State named name (ESTABLISHED is SCTP's,
// NONE is shared).
func sctpStateByName(t *testing.T, name string) State {
	t.Helper()
	for s := State(0); s < NumStates; s++ {
		if s.IsSCTP() && s.String() == name {
			return s
		}
	}
	t.Fatalf("no SCTP state named %q", name)
	return 0
}

// TestSCTPTableMatchesKernel checks SCTPNext cell by cell (3 directions ×
// 10 events × 14 states) against testdata/sctp_states.txt, the kernel's
// sctp_states[] in its own notation.
func TestSCTPTableMatchesKernel(t *testing.T) {
	b, err := os.ReadFile("testdata/sctp_states.txt")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]Dir{"INPUT": DirInput, "OUTPUT": DirOutput, "INPUT-ONLY": DirInputOnly}
	fields := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	}
	var cols []State
	dir, cells, rows := Dir(255), 0, 0
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.Contains(line, "{ /* "):
			name := strings.Fields(line[strings.Index(line, "/*")+2:])[0]
			d, ok := dirs[name]
			if !ok {
				t.Fatalf("unknown table %q", name)
			}
			dir = d
		case strings.HasPrefix(line, "/*        sNO"):
			cols = cols[:0]
			for _, f := range fields(strings.Trim(line, "/* \t")) {
				cols = append(cols, sctpStateByName(t, sctpAbbrev[f]))
			}
		case strings.HasPrefix(line, "/* ") && strings.Contains(line, "*/{"):
			ev, ok := sctpRowEvents[strings.TrimSpace(line[3:strings.Index(line, "*/")])]
			if !ok {
				t.Fatalf("unknown row %q", line)
			}
			body := fields(line[strings.Index(line, "{")+1 : strings.Index(line, "}")])
			if len(body) != len(cols) || len(cols) != 14 {
				t.Fatalf("row %q: %d cells, %d columns; want 14", line, len(body), len(cols))
			}
			rows++
			for i, f := range body {
				want := sctpStateByName(t, sctpAbbrev[f])
				if got := SCTPNext(cols[i], dir, ev); got != want {
					t.Errorf("dir %d event %d state %s: SCTPNext = %s, want %s", dir, ev, cols[i], got, want)
				}
				cells++
			}
		}
	}
	if rows != 30 || cells != 420 {
		t.Fatalf("parsed %d rows and %d cells of the kernel table; want 30 and 420", rows, cells)
	}
}

// TestSCTPEventOf checks every chunk type against sctp_events[] of the
// kernel: 15 types have an entry, everything else is DATA; a COOKIE ECHO
// or COOKIE ACK with an ABORT after it is the ABORT, no other chunk is.
func TestSCTPEventOf(t *testing.T) {
	want := map[uint8]SCTPEvent{
		0: SCTPEventData, 1: SCTPEventInit, 2: SCTPEventInitAck, 3: SCTPEventData, 4: SCTPEventData,
		5: SCTPEventData, 6: SCTPEventAbort, 7: SCTPEventShutdown, 8: SCTPEventShutdownAck,
		9: SCTPEventError, 10: SCTPEventCookieEcho, 11: SCTPEventCookieAck, 12: SCTPEventData,
		13: SCTPEventData, 14: SCTPEventShutdownComplete,
	}
	for c := 0; c < 256; c++ {
		w, ok := want[uint8(c)]
		if !ok {
			w = SCTPEventData // AUTH, ASCONF, FORWARD TSN, RE-CONFIG, PAD, unknown
		}
		if got := SCTPEventOf(uint8(c), false); got != w {
			t.Errorf("chunk %d: event %d, want %d", c, got, w)
		}
		withAbort := w
		if c == 10 || c == 11 {
			withAbort = SCTPEventAbort
		}
		if got := SCTPEventOf(uint8(c), true); got != withAbort {
			t.Errorf("chunk %d before an ABORT: event %d, want %d", c, got, withAbort)
		}
	}
}

// TestSCTPAssociationLifecycles walks the associations a director sees,
// with the state ipvsadm -L -c shows and its timeout after each packet.
func TestSCTPAssociationLifecycles(t *testing.T) {
	type step struct {
		dir   Dir
		chunk uint8
		want  string
	}
	to := DefaultTimeouts()
	lifecycles := []struct {
		name  string
		steps []step
	}{
		{"NAT, client opens and closes", []step{
			{DirInput, chunkInit, "INIT1"}, {DirOutput, chunkInitAck, "C-SENT"},
			{DirInput, chunkCookieEcho, "C-REPLIED"}, {DirOutput, chunkCookieAck, "ESTABLISHED"},
			{DirInput, 0, "ESTABLISHED"}, {DirOutput, 3, "ESTABLISHED"},
			{DirInput, chunkShutdown, "S-RECEIVED"}, {DirOutput, chunkShutdownAck, "S-ACK-SENT"},
			{DirInput, chunkShutdownComplete, "CLOSED"},
		}},
		{"NAT, server closes", []step{
			{DirInput, chunkInit, "INIT1"}, {DirOutput, chunkInitAck, "C-SENT"},
			{DirInput, chunkCookieEcho, "C-REPLIED"}, {DirOutput, chunkCookieAck, "ESTABLISHED"},
			{DirOutput, chunkShutdown, "S-SENT"}, {DirInput, chunkShutdownAck, "CLOSED"},
			{DirOutput, chunkShutdownComplete, "CLOSED"},
		}},
		{"NAT, INIT retransmitted then aborted", []step{
			{DirInput, chunkInit, "INIT1"}, {DirInput, chunkInit, "INIT"}, {DirOutput, chunkAbort, "CLOSED"},
		}},
		{"NAT, INIT rejected at once", []step{
			{DirInput, chunkInit, "INIT1"}, {DirOutput, chunkAbort, "REJECTED"}, {DirInput, chunkInit, "INIT"},
		}},
		{"DR, client opens and closes", []step{
			{DirInputOnly, chunkInit, "INIT1"}, {DirInputOnly, chunkCookieEcho, "ESTABLISHED"},
			{DirInputOnly, 0, "ESTABLISHED"}, {DirInputOnly, chunkShutdown, "S-RECEIVED"},
			{DirInputOnly, chunkShutdownComplete, "CLOSED"},
		}},
		{"DR, server closes", []step{
			{DirInputOnly, chunkInit, "INIT1"}, {DirInputOnly, chunkCookieEcho, "ESTABLISHED"},
			{DirInputOnly, chunkShutdownAck, "CLOSED"},
		}},
		{"DR, client aborts", []step{
			{DirInputOnly, chunkInit, "INIT1"}, {DirInputOnly, chunkCookieEcho, "ESTABLISHED"},
			{DirInputOnly, chunkAbort, "CLOSED"}, {DirInputOnly, chunkInit, "INIT"},
		}},
	}
	for _, lc := range lifecycles {
		s := StateNone
		for i, st := range lc.steps {
			s = SCTPNext(s, st.dir, SCTPEventOf(st.chunk, false))
			if s.String() != st.want {
				t.Fatalf("%s, step %d (chunk %d): %s, want %s", lc.name, i, st.chunk, s, st.want)
			}
		}
		if s == StateSCTPClosed && to[s] != 61 {
			t.Errorf("%s: CLOSED lasts %d s, want 61", lc.name, to[s])
		}
	}
}

func TestSCTPNextLeavesOtherStatesAlone(t *testing.T) {
	for _, s := range []State{StateEstablished, StateSynRecv, StateUDP, NumStates} {
		if got := SCTPNext(s, DirInput, SCTPEventInit); got != s {
			t.Errorf("SCTPNext(%s) = %s, want it unchanged", s, got)
		}
	}
	if got := SCTPNext(StateSCTPEstablished, numDirs, SCTPEventAbort); got != StateSCTPEstablished {
		t.Errorf("unknown direction moved the state to %s", got)
	}
	if got := SCTPNext(StateSCTPEstablished, DirInput, numSCTPEvents); got != StateSCTPEstablished {
		t.Errorf("unknown event moved the state to %s", got)
	}
	if !StateNone.IsSCTP() || StateEstablished.IsSCTP() || StateUDP.IsSCTP() || !StateSCTPClosed.IsSCTP() || NumStates.IsSCTP() {
		t.Errorf("IsSCTP wrong")
	}
}
