package memport

import (
	"strings"
	"testing"

	"github.com/xlvs/xlvs/dataplane/port"
)

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, want) {
			t.Errorf("panic %v, want one containing %q", r, want)
		}
	}()
	f()
}

func TestHeadroomAndAccounting(t *testing.T) {
	p := New(4, 2048, 2)
	p.Headroom = 256
	if err := p.Inject(1, []byte("frame")); err != nil {
		t.Fatal(err)
	}
	var rx [4]port.Desc
	if n := p.Receive(rx[:]); n != 1 || rx[0].Addr%2048 != 256 || rx[0].Link != 1 {
		t.Fatalf("received %d frames, first at offset %d on link %d; want 1 at 256 on 1", n, rx[0].Addr%2048, rx[0].Link)
	}
	// A frame grown into its headroom goes back by any address inside it.
	rx[0].Addr -= 20
	rx[0].Len += 20
	if n := p.Transmit(rx[:1]); n != 1 {
		t.Fatalf("transmitted %d", n)
	}
	if got := p.TakeTx(); len(got) != 1 || len(got[0].Frame) != 25 {
		t.Fatalf("captured %v", got)
	}
	if p.FreeFrames() != 4 || p.Pending() != 0 {
		t.Fatalf("free %d pending %d, want 4 and 0", p.FreeFrames(), p.Pending())
	}
	if err := p.Inject(0, make([]byte, 2048-255)); err == nil {
		t.Error("a frame longer than frame size minus headroom was injected")
	}
}

func TestDoubleFreePanics(t *testing.T) {
	p := New(2, 2048, 1)
	var d port.Desc
	if !p.Alloc(&d) {
		t.Fatal("no frame")
	}
	d.Len = 60
	p.Free([]port.Desc{d})
	mustPanic(t, "already free", func() { p.Free([]port.Desc{d}) })
	mustPanic(t, "not a frame out of the pool", func() { p.Transmit([]port.Desc{d}) })
	mustPanic(t, "outside the buffer", func() { p.Free([]port.Desc{{Addr: 4096}}) })
	if !p.Alloc(&d) {
		t.Fatal("no frame")
	}
	d.Len, d.Addr = 100, d.Addr+2000
	mustPanic(t, "crosses its frame's end", func() { p.Transmit([]port.Desc{d}) })
	d.Addr, d.Len, d.Link = d.Addr-2000, 60, 1
	mustPanic(t, "on link 1 of 1", func() { p.Transmit([]port.Desc{d}) })
}
