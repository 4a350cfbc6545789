package testpkt

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/xlvs/xlvs/dataplane/checksum"
	"github.com/xlvs/xlvs/dataplane/header"
)

// Bytes builds the frame.
func (b Builder) Bytes() []byte {
	frame := b.l2()
	if b.family == 0 {
		frame = append(frame, b.transport()...) // a non-IP frame: the payload
	}
	frame = append(frame, b.IP()...)
	frame = append(frame, make([]byte, b.pad)...)
	if b.truncate >= 0 && b.truncate < len(frame) {
		frame = frame[:b.truncate]
	}
	return frame
}

// l2 builds the Ethernet header and VLAN tags.
func (b Builder) l2() []byte {
	et := uint16(b.etherType)
	if b.etherType < 0 {
		et = header.EtherTypeIPv4
		if b.family == 6 {
			et = header.EtherTypeIPv6
		}
	}
	out := make([]byte, header.EthernetMinimumSize+len(b.vlans)*header.VLANTagSize)
	first := et
	if len(b.vlans) > 0 {
		first = header.EtherTypeVLAN
		if len(b.vlans) > 1 {
			first = header.EtherTypeQinQ
		}
	}
	header.Ethernet(out).Encode(&header.EthernetFields{SrcAddr: b.srcMAC, DstAddr: b.dstMAC, Type: first})
	for i, id := range b.vlans {
		next := et
		if i < len(b.vlans)-1 {
			next = header.EtherTypeVLAN
		}
		header.VLAN(out[header.EthernetMinimumSize+i*header.VLANTagSize:]).Encode(&header.VLANFields{ID: id, Type: next})
	}
	return out
}

// IP builds the IP packet alone: no Ethernet header, and neither Pad nor
// Truncate applied. It returns nil when the Builder has no IP header.
func (b Builder) IP() []byte {
	switch b.family {
	case 4:
		return b.ipv4()
	case 6:
		return b.ipv6()
	}
	return nil
}

func (b Builder) ipv4() []byte {
	hlen := header.IPv4MinimumSize + (len(b.ipOpts)+3)&^3
	l4 := b.transport()
	pkt := make([]byte, hlen+len(l4))
	ip := header.IPv4(pkt)
	var flags uint8
	if b.mf {
		flags = header.IPv4FlagMoreFragments
	}
	ip.Encode(&header.IPv4Fields{
		TOS: b.tos, TotalLength: uint16(len(pkt)), ID: b.id, Flags: flags, FragmentOffset: b.fragOff,
		TTL: b.ttl, Protocol: b.proto, SrcAddr: b.srcIP, DstAddr: b.dstIP, Options: b.ipOpts,
	})
	copy(pkt[hlen:], l4)
	b.finishL4(pkt[hlen:], ip.SourceAddressSlice(), ip.DestinationAddressSlice())
	if b.totalLen >= 0 {
		ip.SetTotalLength(uint16(b.totalLen))
	}
	if b.ihl >= 0 {
		pkt[0] = pkt[0]&0xf0 | uint8(b.ihl)&0x0f
	}
	if b.version >= 0 {
		pkt[0] = uint8(b.version)<<4 | pkt[0]&0x0f
	}
	ip.SetChecksum(0)
	ip.SetChecksum(^checksum.Checksum(pkt[:hlen], 0))
	return pkt
}

func (b Builder) ipv6() []byte {
	var ext []byte
	next := b.proto
	chain := b.exts
	if b.frag {
		chain = appendCopy(chain, extHeader{header.IPProtoFragment, header.IPv6FragmentHeaderSize})
	}
	// Build the chain back to front so each header names the next.
	for i := len(chain) - 1; i >= 0; i-- {
		e := chain[i]
		h := make([]byte, e.size)
		switch e.typ {
		case header.IPProtoFragment:
			header.IPv6Fragment(h).Encode(&header.IPv6FragmentFields{NextHeader: next, FragmentOffset: b.fragOff, More: b.mf, ID: uint32(b.id)})
		case header.IPProtoAH:
			h[0], h[1] = next, uint8(e.size/4-2)
		default:
			h[0], h[1] = next, uint8(e.size/8-1)
		}
		ext = append(h, ext...)
		next = e.typ
	}
	l4 := b.transport()
	pkt := make([]byte, header.IPv6MinimumSize+len(ext)+len(l4))
	ip := header.IPv6(pkt)
	ip.Encode(&header.IPv6Fields{
		TrafficClass: b.tos, PayloadLength: uint16(len(pkt) - header.IPv6MinimumSize), NextHeader: next,
		HopLimit: b.ttl, SrcAddr: b.srcIP, DstAddr: b.dstIP,
	})
	copy(pkt[header.IPv6MinimumSize:], ext)
	copy(pkt[header.IPv6MinimumSize+len(ext):], l4)
	b.finishL4(pkt[header.IPv6MinimumSize+len(ext):], ip.SourceAddressSlice(), ip.DestinationAddressSlice())
	if b.totalLen >= 0 {
		ip.SetPayloadLength(uint16(b.totalLen - header.IPv6MinimumSize))
	}
	if b.version >= 0 {
		pkt[0] = uint8(b.version)<<4 | pkt[0]&0x0f
	}
	return pkt
}

// transport builds the transport header and payload with a zero checksum.
func (b Builder) transport() []byte {
	if !b.hasL4 || b.raw {
		return append(appendCopy(b.body), b.payload...)
	}
	switch b.proto {
	case header.IPProtoTCP:
		hlen := header.TCPMinimumSize + (len(b.tcpOpts)+3)&^3
		seg := make([]byte, hlen, hlen+len(b.payload))
		doff := uint8(hlen)
		if b.dataOffset >= 0 {
			doff = uint8(b.dataOffset) * 4
		}
		header.TCP(seg).Encode(&header.TCPFields{SrcPort: b.sport, DstPort: b.dport, SeqNum: b.seq, AckNum: b.ack,
			DataOffset: doff, Flags: b.tcpFlags, WindowSize: b.window})
		if doff == 0 {
			seg[12] = 0 // Encode treats 0 as "minimum"; keep the corruption
		}
		copy(seg[header.TCPMinimumSize:], b.tcpOpts)
		return append(seg, b.payload...)
	case header.IPProtoUDP:
		seg := make([]byte, header.UDPMinimumSize, header.UDPMinimumSize+len(b.payload))
		seg = append(seg, b.payload...)
		n := len(seg)
		if b.udpLen >= 0 {
			n = b.udpLen
		}
		header.UDP(seg).Encode(&header.UDPFields{SrcPort: b.sport, DstPort: b.dport, Length: uint16(n)})
		return seg
	case header.IPProtoSCTP:
		seg := make([]byte, 12, 12+len(b.payload))
		binary.BigEndian.PutUint16(seg[0:], b.sport)
		binary.BigEndian.PutUint16(seg[2:], b.dport)
		binary.BigEndian.PutUint32(seg[4:], 1)
		return append(seg, b.payload...)
	case header.IPProtoICMPv4, header.IPProtoICMPv6:
		seg := []byte{b.icmpType, b.icmpCode, 0, 0}
		seg = append(seg, b.body...)
		return append(seg, b.payload...)
	}
	return append(appendCopy(b.body), b.payload...)
}

// finishL4 fills in the transport checksum of l4, the bytes after the IP
// header (and IPv6 extension headers).
func (b Builder) finishL4(l4, src, dst []byte) {
	if !b.hasL4 || b.raw {
		return
	}
	var off int
	switch b.proto {
	case header.IPProtoTCP:
		off = header.TCPChecksumOffset
	case header.IPProtoUDP:
		off = header.UDPChecksumOffset
	case header.IPProtoSCTP:
		binary.LittleEndian.PutUint32(l4[8:], crc32.Checksum(l4, crc32.MakeTable(crc32.Castagnoli)))
		if b.l4Checksum >= 0 {
			binary.BigEndian.PutUint32(l4[8:], uint32(b.l4Checksum))
		}
		return
	case header.IPProtoICMPv4, header.IPProtoICMPv6:
		off = 2
	default:
		return
	}
	if len(l4) < off+2 {
		return
	}
	v := Checksum(b.proto, l4, src, dst, b.partialCsum)
	if b.l4Checksum >= 0 {
		v = uint16(b.l4Checksum)
	}
	binary.BigEndian.PutUint16(l4[off:], v)
}

// Checksum computes the checksum field value of a TCP, UDP, ICMPv4 or
// ICMPv6 message l4 (whose checksum field is ignored) sent from src to
// dst: the complemented sum, with UDP's 0 → 0xffff rule, or with partial
// the uncomplemented pseudo-header sum that checksum offload leaves.
func Checksum(proto uint8, l4, src, dst []byte, partial bool) uint16 {
	var off int
	switch proto {
	case header.IPProtoTCP:
		off = header.TCPChecksumOffset
	case header.IPProtoUDP:
		off = header.UDPChecksumOffset
	default:
		off = 2
	}
	pseudo := header.PseudoHeaderChecksum(proto, src, dst, uint16(len(l4)))
	if partial {
		return pseudo
	}
	if proto == header.IPProtoICMPv4 {
		pseudo = 0
	}
	// Sum around the checksum field, which keeps both halves 2-aligned.
	s := checksum.Checksum(l4[:off], pseudo)
	s = checksum.Checksum(l4[off+2:], s)
	v := ^s
	if proto == header.IPProtoUDP && v == 0 {
		v = 0xffff
	}
	return v
}
