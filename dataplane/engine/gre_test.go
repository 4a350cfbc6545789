package engine

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// TestGREEncapsulation checks the GRE packets IPVS's ipvs_gre_encap
// builds, byte for byte: outer protocol 47, a 4-byte header with the inner
// EtherType and, with --tun-csum, the C bit and a checksum over the GRE
// header and the inner packet (checked by a full recompute); no key, no
// sequence number.
func TestGREEncapsulation(t *testing.T) {
	odd := []byte("odd-length payload!")
	for _, c := range []struct {
		name  string
		flags uint16
	}{{"nocsum", 0}, {"csum", snapshot.TunFlagCsum}, {"remcsum", snapshot.TunFlagRemCsum}} {
		t.Run(c.name, func(t *testing.T) {
			f := newTwoArmed(t, 1, snapshot.MethodTunnel, snapshot.TunGRE)
			for i := range f.dests {
				f.dests[i].TunFlags = c.flags
			}
			f.publish()
			for _, in := range [][]byte{
				fromClient(client(1), vip4).TTL(40).TOS(0x10).UDP(4000, 53).Payload(odd).Bytes(),
				fromClient(cl6, vip6).TTL(41).TCP(4000, 80, packet.TCPSyn).Payload([]byte("query")).Bytes(),
			} {
				f.injectOn(0, linkClient, in)
				got := f.one(1)
				if got.Link != linkServer {
					t.Errorf("left by link %d, want the server side", got.Link)
				}
				d := mustDecode(t, got.Frame)
				src, et, ttl := dirS4, uint16(header.EtherTypeIPv4), uint8(40)
				if in[12] == 0x86 {
					src, et, ttl = dirS6, header.EtherTypeIPv6, 41
				}
				testpkt.Check(t, got.Frame, testpkt.SrcMAC(dirSMAC), testpkt.Src(src), testpkt.Proto(header.IPProtoGRE),
					testpkt.TTL(ttl), testpkt.ValidChecksums())
				gre := d.L4
				hlen := 4
				wantFlags := uint16(0)
				if c.flags&snapshot.TunFlagCsum != 0 {
					hlen, wantFlags = 8, 0x8000
				}
				if len(gre) != hlen+len(in)-14 {
					t.Fatalf("GRE packet of %d bytes, want %d + %d", len(gre), hlen, len(in)-14)
				}
				if fl := binary.BigEndian.Uint16(gre[0:]); fl != wantFlags {
					t.Errorf("GRE flags/version %#04x, want %#04x", fl, wantFlags)
				}
				if p := binary.BigEndian.Uint16(gre[2:]); p != et {
					t.Errorf("GRE protocol %#04x, want %#04x", p, et)
				}
				if hlen == 8 {
					if binary.BigEndian.Uint16(gre[6:]) != 0 {
						t.Errorf("GRE reserved1 % x, want 0", gre[6:8])
					}
					if sum := testpkt.ReferenceChecksum(gre); sum != 0 {
						t.Errorf("GRE checksum %#04x does not verify (residue %#04x)", binary.BigEndian.Uint16(gre[4:]), sum)
					}
					zeroed := bytes.Clone(gre)
					zeroed[4], zeroed[5] = 0, 0
					if want := testpkt.ReferenceChecksum(zeroed); binary.BigEndian.Uint16(gre[4:]) != want {
						t.Errorf("GRE checksum %#04x, full recompute %#04x", binary.BigEndian.Uint16(gre[4:]), want)
					}
				}
				if !bytes.Equal(gre[hlen:], in[14:]) {
					t.Errorf("inner packet changed:\n got % x\nwant % x", gre[hlen:], in[14:])
				}
				testpkt.CheckIP(t, gre[hlen:], testpkt.ValidChecksums())
			}
			f.checkFrames()
		})
	}
}

// TestGRETooBig: the GRE header counts against the MTU as IPVS counts it
// (gre_calc_hlen): 24 bytes of overhead over IPv4, 28 with the checksum.
func TestGRETooBig(t *testing.T) {
	for _, c := range []struct {
		flags   uint16
		wantMTU uint16
	}{{0, 1476}, {snapshot.TunFlagCsum, 1472}} {
		f := newTwoArmed(t, 1, snapshot.MethodTunnel, snapshot.TunGRE)
		for i := range f.dests {
			f.dests[i].TunFlags = c.flags
		}
		f.publish()
		// Fits exactly: forwarded.
		fits := fromClient(client(1), vip4).UDP(4000, 53).Payload(make([]byte, int(c.wantMTU)-28)).Bytes()
		setDF(fits)
		f.injectOn(0, linkClient, fits)
		if got := f.one(1); got.Link != linkServer || len(got.Frame) != 14+1500 {
			t.Errorf("flags %d: a packet of the tunnel MTU left by link %d in %d bytes", c.flags, got.Link, len(got.Frame))
		}
		// One byte more: ICMP fragmentation needed with the tunnel MTU.
		big := fromClient(client(1), vip4).UDP(4000, 53).Payload(make([]byte, int(c.wantMTU)-27)).Bytes()
		setDF(big)
		f.injectOn(0, linkClient, big)
		got := f.one(2)
		testpkt.Check(t, got.Frame, testpkt.ICMP(header.ICMPv4DstUnreachable, header.ICMPv4FragmentationNeeded), testpkt.ValidChecksums())
		if mtu := binary.BigEndian.Uint16(mustDecode(t, got.Frame).L4[6:8]); mtu != c.wantMTU {
			t.Errorf("flags %d: reported MTU %d, want %d", c.flags, mtu, c.wantMTU)
		}
		f.checkFrames()
	}
}
