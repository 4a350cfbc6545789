package sync

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readHex reads a testdata file of hex bytes with # comments.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var s strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		s.WriteString(strings.Join(strings.Fields(line), ""))
	}
	out, err := hex.DecodeString(s.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

var ip = netip.MustParseAddr

// goldens are the testdata messages and the connections they hold.
var goldens = []struct {
	file    string
	version int
	syncID  uint8
	conns   []Conn
}{
	{"v1_ipv4_dr.hex", 1, 5, []Conn{{Protocol: 6, Flags: FlagDRoute | FlagNoOutput, State: 1, CPort: 1234, VPort: 80, DPort: 80,
		Timeout: 900, Client: ip("198.19.0.7"), Virtual: ip("198.18.0.100"), Dest: ip("198.18.0.11")}}},
	{"v1_seq_padding.hex", 1, 0, []Conn{
		{Protocol: 6, Flags: FlagMasq | FlagInSeq, State: 1, CPort: 40000, VPort: 21, DPort: 2121, Timeout: 900,
			Client: ip("198.19.0.8"), Virtual: ip("198.18.0.100"), Dest: ip("198.18.1.11"),
			HasSeq: true, InSeq: Seq{InitSeq: 0x11111111, Delta: 4}},
		{Protocol: 17, Flags: FlagDRoute | FlagNoOutput | FlagInactive, CPort: 5353, VPort: 53, DPort: 53, Timeout: 300,
			Client: ip("198.19.0.9"), Virtual: ip("198.18.0.100"), Dest: ip("198.18.0.12")},
	}},
	{"v1_ipv6_template.hex", 1, 9, []Conn{
		{Protocol: 6, Flags: FlagDRoute | FlagNoOutput, State: 1, CPort: 1000, VPort: 80, DPort: 80, FWMark: 1, Timeout: 900,
			Client: ip("fd00:19::7"), Virtual: ip("fd00:18::100"), Dest: ip("fd00:18::11")},
		{Protocol: 0, Flags: FlagTemplate | FlagInactive | FlagDRoute | FlagNoOutput, FWMark: 1, Timeout: 360,
			Client: ip("fd00:19::7"), Virtual: ip("0:1::"), Dest: ip("fd00:18::11")},
	}},
	{"v0_ipv4.hex", 0, 3, []Conn{
		{Protocol: 6, Flags: FlagDRoute | FlagNoOutput, State: 1, CPort: 1234, VPort: 80, DPort: 80,
			Client: ip("198.19.0.7"), Virtual: ip("198.18.0.100"), Dest: ip("198.18.0.11")},
		{Protocol: 6, Flags: FlagOutSeq, State: 1, CPort: 40000, VPort: 21, DPort: 2121,
			Client: ip("198.19.0.8"), Virtual: ip("198.18.0.100"), Dest: ip("198.18.1.11"),
			HasSeq: true, OutSeq: Seq{InitSeq: 0x22222222, Delta: 0xfffffffc}},
	}},
}

// TestEncodeGolden builds the version 1 golden messages byte for byte.
func TestEncodeGolden(t *testing.T) {
	for _, g := range goldens {
		if g.version != 1 {
			continue
		}
		t.Run(g.file, func(t *testing.T) {
			b := NewBuilder(g.syncID, 1472)
			for i := range g.conns {
				if err := b.Add(&g.conns[i]); err != nil {
					t.Fatal(err)
				}
			}
			if want := readHex(t, g.file); !bytes.Equal(b.Bytes(), want) {
				t.Fatalf("encoded\n%x\nwant\n%x", b.Bytes(), want)
			}
		})
	}
}

// TestDecodeGolden decodes every golden message, version 0 included.
func TestDecodeGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			var m Message
			if err := Decode(readHex(t, g.file), 0, &m); err != nil {
				t.Fatal(err)
			}
			if m.Version != g.version || m.SyncID != g.syncID || m.Skipped != 0 {
				t.Fatalf("version %d syncid %d skipped %d", m.Version, m.SyncID, m.Skipped)
			}
			if !reflect.DeepEqual(m.Conns, g.conns) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", m.Conns, g.conns)
			}
			// A backup with another sync id ignores it; with this one it takes it.
			if err := Decode(readHex(t, g.file), g.syncID+1, &m); !errors.Is(err, ErrSyncID) {
				t.Fatalf("other sync id: %v", err)
			}
			if g.syncID != 0 {
				if err := Decode(readHex(t, g.file), g.syncID, &m); err != nil || len(m.Conns) != len(g.conns) {
					t.Fatalf("own sync id: %v, %d conns", err, len(m.Conns))
				}
			}
		})
	}
}

// mutate returns a copy of the one-connection golden message with edit
// applied and the size field fixed unless keepSize.
func mutate(t *testing.T, edit func(b []byte) []byte) []byte {
	b := edit(append([]byte(nil), readHex(t, "v1_ipv4_dr.hex")...))
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	return b
}

// withOption appends an option to the golden entry, growing its size.
func withOption(t *testing.T, opt ...byte) []byte {
	return mutate(t, func(b []byte) []byte {
		b = append(b, opt...)
		binary.BigEndian.PutUint16(b[10:12], uint16(36+len(opt)))
		return b
	})
}

func TestDecodeRejectsMalformed(t *testing.T) {
	seq := append([]byte{1, 24}, make([]byte, 24)...)
	cases := []struct {
		name    string
		msg     []byte
		err     error
		conns   int
		skipped int
	}{
		{"3 bytes", []byte{0, 0, 0}, ErrShort, 0, 0},
		{"size field", mutate(t, func(b []byte) []byte { return b })[:43], ErrSize, 0, 0},
		{"count beyond the end", mutate(t, func(b []byte) []byte { b[4] = 2; return b }), ErrTruncated, 1, 0},
		{"entry size beyond the end", mutate(t, func(b []byte) []byte { b[11] = 40; return b }), ErrTruncated, 0, 0},
		{"entry version 1", mutate(t, func(b []byte) []byte { b[10] = 0x10; return b }), ErrEntryVer, 0, 0},
		{"entry type 2", mutate(t, func(b []byte) []byte { b[8] = 2; return b }), ErrEntryType, 0, 0},
		{"IPv6 type in an IPv4 size", mutate(t, func(b []byte) []byte { b[8] = 1; return b }), ErrTruncated, 0, 0},
		{"entry size 0", mutate(t, func(b []byte) []byte { b[11] = 0; return b }), ErrTruncated, 0, 0},
		{"zero-length option", withOption(t, 1, 0, 0, 0), ErrOption, 0, 0},
		{"option overrun", withOption(t, 2, 9, 'x'), ErrOption, 0, 0},
		{"option header cut", withOption(t, 2), ErrOption, 0, 0},
		{"seq option of 23 bytes", withOption(t, append([]byte{1, 23}, make([]byte, 23)...)...), ErrOption, 0, 0},
		{"seq option twice", withOption(t, append(seq, seq...)...), ErrOption, 0, 0},
		{"PE name of 17 bytes", withOption(t, append([]byte{3, 17}, make([]byte, 17)...)...), ErrOption, 0, 0},
		{"unknown mandatory option", withOption(t, 9, 1, 'x'), nil, 0, 1},
		{"unknown optional option", withOption(t, 9|0x40, 1, 'x'), nil, 1, 0},
		{"PE data", withOption(t, 2, 3, 'a', 'b', 'c'), nil, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m Message
			err := Decode(tc.msg, 0, &m)
			if !errors.Is(err, tc.err) || len(m.Conns) != tc.conns || m.Skipped != tc.skipped {
				t.Fatalf("err %v conns %d skipped %d, want %v %d %d", err, len(m.Conns), m.Skipped, tc.err, tc.conns, tc.skipped)
			}
		})
	}
}

// TestBuilderBatchesLikeTheKernel: messages of sync_maxlen 1472 hold 40
// IPv4 entries (8 + 40×36 = 1448) or 20 IPv6 ones (8 + 20×72).
func TestBuilderBatchesLikeTheKernel(t *testing.T) {
	for _, tc := range []struct {
		client, vip, rs string
		per             int
	}{
		{"198.19.0.1", "198.18.0.100", "198.18.0.11", 40},
		{"fd00:19::1", "fd00:18::100", "fd00:18::11", 20},
	} {
		b := NewBuilder(0, 1472)
		var sizes []int
		for i := 0; i < 100; i++ {
			c := Conn{Protocol: 6, State: 1, CPort: uint16(i), VPort: 80, DPort: 80, Timeout: 900,
				Client: ip(tc.client), Virtual: ip(tc.vip), Dest: ip(tc.rs)}
			if !b.Fits(&c) {
				sizes = append(sizes, b.Count())
				if b.Len() > 1472 {
					t.Fatalf("message of %d bytes", b.Len())
				}
				b.Reset()
			}
			if err := b.Add(&c); err != nil {
				t.Fatal(err)
			}
		}
		sizes = append(sizes, b.Count())
		want := []int{tc.per, tc.per, 100 - 2*tc.per}
		if tc.per == 20 {
			want = []int{20, 20, 20, 20, 20}
		}
		if !reflect.DeepEqual(sizes, want) {
			t.Fatalf("%s: messages of %v entries, want %v", tc.client, sizes, want)
		}
	}
	b := NewBuilder(0, 1472)
	mixed := Conn{Client: ip("198.19.0.1"), Virtual: ip("198.18.0.100"), Dest: ip("fd00:18::11")}
	if err := b.Add(&mixed); !errors.Is(err, ErrMixedAF) {
		t.Fatalf("mixed families: %v", err)
	}
}

// FuzzDecode: whatever arrives, Decode never panics, and what it returns
// re-encodes into a message that decodes to the same connections.
func FuzzDecode(f *testing.F) {
	for _, g := range goldens {
		f.Add(readHex(f, g.file))
	}
	f.Add([]byte{0, 0, 0, 8, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := Decode(b, 0, &m); err != nil {
			return
		}
		out := NewBuilder(m.SyncID, 65507)
		for i := range m.Conns {
			c := m.Conns[i]
			if c.Flags&FlagSeqMask != 0 && !c.HasSeq {
				c.Flags &^= FlagSeqMask // version 0 says so only by flags
			}
			if !out.Fits(&c) {
				return
			}
			if out.Add(&c) != nil {
				return
			}
		}
		var again Message
		if err := Decode(out.Bytes(), 0, &again); err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if len(again.Conns) != out.Count() {
			t.Fatalf("%d conns re-encoded, %d decoded", out.Count(), len(again.Conns))
		}
	})
}
