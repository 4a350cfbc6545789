package conntrack

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/xlvs/xlvs/internal/bigmem"
)

// settledRSS returns the RSS after a collection that gave free heap back
// to the kernel, so that garbage does not count.
func settledRSS(t testing.TB) int {
	n, err := bigmem.SettledRSS()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fillV4 inserts n distinct IPv4 TCP connections (client 10.x.y.z, ports
// from 1024) into tb, live for 900 s, and returns how many it inserted.
func fillV4(tb *Table, n int) int {
	var k Key
	k.Proto, k.VPort = 6, 80
	k.Client[10], k.Client[11] = 0xff, 0xff
	k.Virtual[10], k.Virtual[11] = 0xff, 0xff
	copy(k.Virtual[12:], []byte{198, 18, 0, 1})
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint32(k.Client[12:], 0x0a000000|uint32(i>>4))
		k.CPort = uint16(1024 + i&15)
		idx, ok := tb.Insert(&k, 0)
		if !ok {
			return i
		}
		tb.Touch(idx, 0, 900)
		tb.At(idx).Dest = uint32(i & 7)
	}
	return n
}

// TestMemoryPerConnection is the memory a user sees for DR and TUN: a
// table for 2^20 connections without reply capacity holding 1,000,000
// IPv4 connections keeps at most 64 bytes per connection resident,
// counted over the table's own mappings (mincore) and its heap bitmap,
// and as the process's RSS growth. The IPv6 side array stays untouched.
func TestMemoryPerConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: fills a table of a million connections")
	}
	const capacity, conns, limit = 1 << 20, 1_000_000, 64
	before := settledRSS(t)
	tb := NewWithReplies(capacity, 0, 42)
	defer tb.Close()
	if len(tb.mem.regions) == 0 {
		t.Fatal("the arrays of a 2^20 table were not mapped")
	}
	if got := fillV4(tb, conns); got != conns || tb.Len() != conns {
		t.Fatalf("inserted %d of %d (Len %d)", got, conns, tb.Len())
	}
	res, err := tb.residentBytes()
	if err != nil {
		t.Fatal(err)
	}
	res += len(tb.used) * 8
	grown := settledRSS(t) - before
	perConn, perConnRSS := float64(res)/conns, float64(grown)/conns
	t.Logf("resident %.1f B/conn (table mappings + bitmap), RSS growth %.1f B/conn; reserved %.1f B/conn",
		perConn, perConnRSS, float64(tb.Bytes())/conns)
	if perConn > limit || perConnRSS > limit {
		t.Errorf("%.1f B/conn resident, %.1f B/conn RSS growth; want at most %d", perConn, perConnRSS, limit)
	}
	// The pool is 48 bytes per connection: the figure cannot be that low
	// unless the measurement missed the table.
	if perConn < EntrySize || perConnRSS < EntrySize {
		t.Errorf("%.1f / %.1f B/conn: less than the entries themselves, the measurement is wrong", perConn, perConnRSS)
	}
	wide := unsafe.Slice((*byte)(unsafe.Pointer(&tb.wide[0])), len(tb.wide)*int(unsafe.Sizeof(tb.wide[0])))
	if n, err := bigmem.Resident(wide); err != nil || n != 0 {
		t.Errorf("IPv4 connections touched %d bytes of the IPv6 side array (%v)", n, err)
	}
	// Every connection is still there.
	var k Key
	k.Proto, k.VPort = 6, 80
	k.Client[10], k.Client[11] = 0xff, 0xff
	k.Virtual[10], k.Virtual[11] = 0xff, 0xff
	copy(k.Virtual[12:], []byte{198, 18, 0, 1})
	for _, i := range []int{0, 1, conns / 2, conns - 1} {
		binary.BigEndian.PutUint32(k.Client[12:], 0x0a000000|uint32(i>>4))
		k.CPort = uint16(1024 + i&15)
		if idx, ok := tb.Lookup(&k, 1); !ok || tb.At(idx).Dest != uint32(i&7) {
			t.Fatalf("connection %d not found after the fill", i)
		}
	}
}
