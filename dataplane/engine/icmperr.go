package engine

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// Generated ICMP errors: their TTL/hop limit and the IPv4 TOS Linux gives
// them (IPTOS_PREC_INTERNETCONTROL).
const (
	icmpTTL = 64
	icmpTOS = 0xc0
)

// tooBig answers a packet that cannot be forwarded because it would exceed
// the path MTU once encapsulated, as IPVS does from ip_vs_tunnel_xmit: an
// IPv4 packet with DF gets ICMP destination unreachable, fragmentation
// needed, with the next-hop MTU mtu (RFC 1191); an IPv6 packet gets ICMPv6
// packet too big with mtu, at least the IPv6 minimum MTU (RFC 8201). The
// error is built in the packet's own frame, quoting as much of the packet
// as RFC 1812 §4.3.2.3 / RFC 4443 §2.4 allow, from the address the packet
// was sent to (the VIP, as the kernel's icmp_send answers for a local
// address) back to its sender by the link and MACs it came with. The
// original packet counts as dropped (too-big-icmp-sent); an IPv4 packet
// without DF, which IPVS would fragment, is dropped (too-big-not-df), as
// is an ICMP message, which is never answered with an ICMP error.
func (w *Worker) tooBig(d *port.Desc, frame []byte, m *packet.Meta, mtu int) (int, verdict.Verdict) {
	l3 := int(m.L3Off)
	if isICMP(m) {
		return w.dropped(verdict.TooBigNoDF)
	}
	var hdr, quote int
	if m.Family == 4 {
		if header.IPv4(frame[l3:]).Flags()&ipv4DF == 0 {
			return w.dropped(verdict.TooBigNoDF)
		}
		hdr = header.IPv4MinimumSize + header.ICMPv4MinimumSize
		quote = min(int(m.IPLen), header.ICMPv4MaximumErrorPayload)
	} else {
		mtu = max(mtu, header.IPv6MinimumMTU)
		hdr = header.IPv6MinimumSize + header.ICMPv6MinimumSize
		quote = min(int(m.IPLen), header.ICMPv6MaximumErrorPayload)
	}
	d.Len = uint32(l3 + quote)
	frame, ok := w.grow(d, hdr)
	if !ok {
		return w.dropped(verdict.NoHeadroom)
	}
	// The L2 header moves to the front, addressed back to the sender;
	// the quoted packet is where the grow left it, after the new headers.
	copy(frame[0:l3], frame[hdr:hdr+l3])
	var mac [6]byte
	copy(mac[:], frame[0:6])
	copy(frame[0:6], frame[6:12])
	copy(frame[6:12], mac[:])
	q := frame[l3+hdr:]
	if m.Family == 4 {
		binary.BigEndian.PutUint16(frame[l3-2:], header.EtherTypeIPv4)
		ip := header.IPv4(frame[l3:])
		ip.SetHeaderLength(header.IPv4MinimumSize)
		ip.SetTOS(icmpTOS)
		ip.SetTotalLength(uint16(hdr + quote))
		w.ipID++
		ip.SetID(w.ipID)
		ip.SetFlagsFragmentOffset(0, 0)
		ip.SetTTL(icmpTTL)
		ip.SetProtocol(header.IPProtoICMPv4)
		qip := header.IPv4(q)
		ip.SetSourceAddress(qip.DestinationAddressSlice())
		ip.SetDestinationAddress(qip.SourceAddressSlice())
		ip.SetChecksum(0)
		ip.SetChecksum(^ip.CalculateChecksum())
		ic := header.ICMPv4(frame[l3+header.IPv4MinimumSize:])
		ic.Encode(&header.ICMPv4Fields{Type: header.ICMPv4DstUnreachable, Code: header.ICMPv4FragmentationNeeded, Rest: uint32(uint16(mtu))})
		ic.SetChecksum(^ic.CalculateChecksum())
	} else {
		binary.BigEndian.PutUint16(frame[l3-2:], header.EtherTypeIPv6)
		ip := header.IPv6(frame[l3:])
		ip.SetVersionTrafficClassFlowLabel(0, 0)
		ip.SetPayloadLength(uint16(header.ICMPv6MinimumSize + quote))
		ip.SetNextHeader(header.IPProtoICMPv6)
		ip.SetHopLimit(icmpTTL)
		qip := header.IPv6(q)
		ip.SetSourceAddress(qip.DestinationAddressSlice())
		ip.SetDestinationAddress(qip.SourceAddressSlice())
		ic := header.ICMPv6(frame[l3+header.IPv6MinimumSize:])
		ic.Encode(&header.ICMPv6Fields{Type: header.ICMPv6PacketTooBig, Rest: uint32(mtu)})
		ic.SetChecksum(^ic.CalculateChecksum(header.PseudoHeaderChecksum(header.IPProtoICMPv6,
			ip.SourceAddressSlice(), ip.DestinationAddressSlice(), uint16(len(ic)))))
	}
	w.c.drops[verdict.TooBig].inc()
	return 0, verdict.Tx
}
