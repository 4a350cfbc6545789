package tap

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// A frame delivered through a queue reaches a socket of the namespace
// listening on its destination address; the name cannot be taken twice;
// closing removes the device.
func TestDeliverReachesLocalSocket(t *testing.T) {
	netlab.RequireRoot(t)
	lab := netlab.NewT(t, "tap")
	ns, err := lab.AddNS("host")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.SetUp("lo"); err != nil {
		t.Fatal(err)
	}
	local := netip.MustParseAddr("198.18.5.1")
	if err := ns.AddAddr("lo", local.String()+"/32"); err != nil {
		t.Fatal(err)
	}
	var dev *Device
	if err := ns.Do(func() (err error) { dev, err = Create("xlvs-local", 2); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	if err := ns.Do(func() error { _, err := Create("xlvs-local", 1); return err }); err == nil {
		t.Error("a second device of the same name was created")
	}
	conn, err := ns.ListenUDP(netip.AddrPortFrom(local, 9999).String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	frame := testpkt.Eth(testpkt.MAC("02:00:00:00:00:01"), dev.MAC()).IPv4(netip.MustParseAddr("198.18.6.2"), local).
		UDP(4000, 9999).Payload([]byte("to the local stack")).Bytes()
	buf := make([]byte, 4096)
	copy(buf[2048:], frame)
	descs := []port.Desc{{Addr: 2048, Len: uint32(len(frame))}}
	var q port.Local = dev.Queues()[1]
	if q.MAC() != dev.MAC() {
		t.Fatalf("queue MAC %x, device MAC %x", q.MAC(), dev.MAC())
	}
	if n := q.Deliver(buf, descs); n != 1 {
		t.Fatalf("delivered %d frames, want 1", n)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 100)
	n, from, err := conn.ReadFromUDPAddrPort(got)
	if err != nil {
		t.Fatalf("nothing received: %v", err)
	}
	if string(got[:n]) != "to the local stack" || from != netip.MustParseAddrPort("198.18.6.2:4000") {
		t.Errorf("received %q from %v", got[:n], from)
	}

	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	err = ns.Do(func() error { _, err := netlink.LinkByName("xlvs-local"); return err })
	if err == nil {
		t.Error("the device outlived its queues")
	}
	if n := q.Deliver(buf, descs); n != 0 {
		t.Errorf("delivered %d frames through a closed queue", n)
	}
}

func TestCreateChecksQueues(t *testing.T) {
	if _, err := Create("xlvs-x", 0); err != ErrQueues {
		t.Errorf("0 queues: %v", err)
	}
}

// BenchmarkDeliver measures handing one 64-byte UDP frame to the local
// stack (one write(2) to the TAP device and the kernel's receive up to the
// socket's queue, whose overflow the kernel drops).
func BenchmarkDeliver(b *testing.B) {
	netlab.RequireRoot(b)
	lab := netlab.NewT(b, "tapb")
	ns, err := lab.AddNS("host")
	if err != nil {
		b.Fatal(err)
	}
	if err := ns.SetUp("lo"); err != nil {
		b.Fatal(err)
	}
	local := netip.MustParseAddr("198.18.5.1")
	if err := ns.AddAddr("lo", local.String()+"/32"); err != nil {
		b.Fatal(err)
	}
	var dev *Device
	if err := ns.Do(func() (err error) { dev, err = Create("xlvs-local", 1); return err }); err != nil {
		b.Fatal(err)
	}
	defer dev.Close()
	conn, err := ns.ListenUDP(netip.AddrPortFrom(local, 9999).String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	frame := testpkt.Eth(testpkt.MAC("02:00:00:00:00:01"), dev.MAC()).IPv4(netip.MustParseAddr("198.18.6.2"), local).
		UDP(4000, 9999).Payload(make([]byte, 18)).Bytes()
	buf := make([]byte, 2048)
	copy(buf, frame)
	descs := []port.Desc{{Len: uint32(len(frame))}}
	q := dev.Queues()[0]
	b.ReportAllocs()
	for b.Loop() {
		if q.Deliver(buf, descs) != 1 {
			b.Fatal("not delivered")
		}
	}
}
