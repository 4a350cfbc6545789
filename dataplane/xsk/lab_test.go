package xsk

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/xlvs/xlvs/internal/netlab"
)

// Test addresses (198.18.0.0/15) of the two links of a lab.
var (
	leftNet  = [2]string{"198.18.1.1", "198.18.1.2"} // dut eth0, left eth0
	rightNet = [2]string{"198.18.2.1", "198.18.2.2"} // dut eth1, right eth0
)

// lab is a namespace "dut" whose eth0 is paired with eth0 in "left", and
// optionally whose eth1 is paired with eth0 in "right". Sockets under test
// are bound in dut; left and right play the hosts.
type lab struct {
	*netlab.Lab
	dut, left, right *netlab.NS
}

func newLab(t testing.TB, name string, withRight bool) *lab {
	t.Helper()
	l := &lab{Lab: netlab.NewT(t, name)}
	l.dut = l.addNS(t, "dut")
	l.left = l.addNS(t, "left")
	l.veth(t, l.dut, "eth0", l.left, leftNet[1]+"/24")
	if withRight {
		l.right = l.addNS(t, "right")
		l.veth(t, l.dut, "eth1", l.right, rightNet[1]+"/24")
	}
	return l
}

func (l *lab) addNS(t testing.TB, name string) *netlab.NS {
	t.Helper()
	ns, err := l.AddNS(name)
	if err != nil {
		t.Fatal(err)
	}
	// No IPv6 on the links: no router solicitations or MLD reports
	// wandering into the sockets under test.
	if err := ns.SetSysctl("net/ipv6/conf/default/disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}
	return ns
}

// veth pairs dut's dev with eth0 of host, which gets address cidr.
func (l *lab) veth(t testing.TB, dut *netlab.NS, dev string, host *netlab.NS, cidr string) {
	t.Helper()
	if err := l.Veth(dut, dev, host, "eth0", netlab.LinkOptions{Queues: 1, MTU: 1500, TxChecksumOff: true}); err != nil {
		t.Fatal(err)
	}
	if err := host.AddAddr("eth0", cidr); err != nil {
		t.Fatal(err)
	}
}

func ifindex(t testing.TB, ns *netlab.NS, dev string) int {
	t.Helper()
	i, err := ns.LinkIndex(dev)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func mac(t testing.TB, ns *netlab.NS, dev string) net.HardwareAddr {
	t.Helper()
	m, err := ns.MAC(dev)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// redirect attaches to dev in ns (driver mode) an XDP program that
// redirects every packet to the XSKMAP entry of its RX queue, and returns
// the map.
func redirect(t testing.TB, ns *netlab.NS, dev string) *ebpf.Map {
	t.Helper()
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	if err != nil {
		t.Fatalf("create XSKMAP: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	attachXDP(t, ns, dev, asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 16, asm.Word), // ctx->rx_queue_index
		asm.LoadMapPtr(asm.R1, m.FD()),
		asm.Mov.Imm(asm.R3, 2), // XDP_PASS when the entry is empty
		asm.FnRedirectMap.Call(),
		asm.Return(),
	})
	return m
}

// dropAll attaches an XDP program that drops every packet.
func dropAll(t testing.TB, ns *netlab.NS, dev string) {
	t.Helper()
	attachXDP(t, ns, dev, asm.Instructions{asm.Mov.Imm(asm.R0, 1), asm.Return()})
}

func attachXDP(t testing.TB, ns *netlab.NS, dev string, insns asm.Instructions) {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load XDP program: %v", err)
	}
	t.Cleanup(func() { prog.Close() })
	idx := ifindex(t, ns, dev)
	var l link.Link
	err = ns.Do(func() (err error) {
		l, err = link.AttachXDP(link.XDPOptions{Program: prog, Interface: idx, Flags: link.XDPDriverMode})
		return err
	})
	if err != nil {
		t.Fatalf("attach XDP to %s in %s: %v", dev, ns, err)
	}
	t.Cleanup(func() { l.Close() })
}

// bind binds a socket of u to dev's queue 0 inside ns and closes it at
// cleanup.
func bind(t testing.TB, u *UMEM, ns *netlab.NS, dev string, o SocketOptions) *Socket {
	t.Helper()
	s, err := bindErr(u, ns, ifindex(t, ns, dev), o)
	if err != nil {
		t.Fatalf("Bind %s in %s: %v", dev, ns, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func bindErr(u *UMEM, ns *netlab.NS, idx int, o SocketOptions) (s *Socket, err error) {
	err = ns.Do(func() (err error) {
		s, err = u.Bind(idx, 0, o)
		return err
	})
	return s, err
}

func newUMEM(t testing.TB, o UMEMOptions) *UMEM {
	t.Helper()
	u, err := NewUMEM(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

// packetSender returns a function sending raw Ethernet frames out of dev
// in ns through an AF_PACKET socket.
func packetSender(t testing.TB, ns *netlab.NS, dev string) func([]byte) {
	t.Helper()
	idx := ifindex(t, ns, dev)
	var fd int
	err := ns.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatalf("AF_PACKET socket in %s: %v", ns, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	sa := &unix.SockaddrLinklayer{Ifindex: idx, Protocol: htons(unix.ETH_P_IP), Halen: 6}
	return func(frame []byte) {
		t.Helper()
		if err := unix.Sendto(fd, frame, 0, sa); err != nil {
			t.Fatalf("send frame on %s in %s: %v", dev, ns, err)
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// udpReceiver listens on addr inside ns and reports the payloads of the
// datagrams it receives on the returned channel until cleanup.
func udpReceiver(t testing.TB, ns *netlab.NS, addr string) <-chan []byte {
	t.Helper()
	c, err := ns.ListenUDP(addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	ch := make(chan []byte, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			ch <- append([]byte(nil), buf[:n]...)
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return ch
}

// udpFrame builds an Ethernet/IPv4/UDP frame (UDP checksum 0: none).
func udpFrame(dst, src net.HardwareAddr, srcIP, dstIP string, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 14+20+8+len(payload))
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:], unix.ETH_P_IP)
	ip := b[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip[8] = 64
	ip[9] = unix.IPPROTO_UDP
	s4, d4 := netip.MustParseAddr(srcIP).As4(), netip.MustParseAddr(dstIP).As4()
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := b[34:42]
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	copy(b[42:], payload)
	return b
}

// payloadOf returns the UDP payload of frame if it is an IPv4/UDP frame
// to dport built by udpFrame, else nil.
func payloadOf(frame []byte, dport uint16) []byte {
	if len(frame) < 42 || binary.BigEndian.Uint16(frame[12:]) != unix.ETH_P_IP ||
		frame[23] != unix.IPPROTO_UDP || binary.BigEndian.Uint16(frame[36:]) != dport {
		return nil
	}
	return frame[42:]
}

// settle retries check until it returns "" or a second has passed, and
// reports its last complaint. The kernel finishes copy-mode work (a TX
// completion, a fill ring consumer update) asynchronously.
func settle(t testing.TB, check func() string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
