package pktgen

import (
	"encoding/binary"
	"net/netip"
)

// Frame layout constants (no VLAN tag; IPv4 without options).
const (
	ethLen   = 14
	ipv4Len  = 20
	ipv6Len  = 40
	udpLen   = 8
	tcpLen   = 20
	protoTCP = 6
	protoUDP = 17
	// Fixed TCP fields of generated segments.
	tcpSeq    = 0x78_6c_76_73 // "xlvs"
	tcpAck    = 1
	tcpWindow = 65535
	flagSYN   = 0x02
	flagPSH   = 0x08
	flagACK   = 0x10
)

// payloadPattern fills payloads.
const payloadPattern = "xlvs-pktgen "

// Template is the frame of flow 0 of a [Spec] and the constant parts of its
// checksums, from which [Template.WriteFlow] (and the live-frames XDP
// program, from the same numbers) makes the frame of any flow without
// summing the payload again.
//
// A Template is immutable once made and safe for concurrent use.
type Template struct {
	spec  Spec
	frame []byte // flow 0, len = FrameSize - FCS
	l3    int    // offset of the IP header
	l4    int    // offset of the TCP/UDP header
	csum  int    // offset of the L4 checksum
	v6    bool
	// ipSum is the IPv4 header's sum without addresses and checksum;
	// l4Sum the pseudo-header and segment sum without the source
	// address's low 32 bits, the destination, the source port and the
	// checksum; vipSums the sums of each destination address.
	ipSum, l4Sum uint32
	vipSums      []uint32
}

// NewTemplate validates s (filling in s.Flows) and builds its template.
func NewTemplate(s Spec) (*Template, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	t := &Template{spec: s, l3: ethLen, v6: s.ipVersion() == 6}
	t.spec.VIPs = append([]netip.Addr(nil), s.VIPs...)
	n := s.FrameSize - fcsLen
	t.frame = make([]byte, n)
	f := t.frame
	copy(f[0:6], s.DstMAC)
	copy(f[6:12], s.SrcMAC)
	ipLen := ipv4Len
	if t.v6 {
		ipLen = ipv6Len
		binary.BigEndian.PutUint16(f[12:], 0x86dd)
	} else {
		binary.BigEndian.PutUint16(f[12:], 0x0800)
	}
	t.l4 = t.l3 + ipLen
	hdr := udpLen
	proto := byte(protoUDP)
	if s.Kind != UDP {
		hdr, proto = tcpLen, protoTCP
	}
	// A SYN carries no payload: shorter than the frame, it is padded.
	segLen := n - t.l4
	if s.Kind == TCPSyn {
		segLen = hdr
	}
	ip := f[t.l3:t.l4]
	if t.v6 {
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(segLen))
		ip[6] = proto
		ip[7] = 64
	} else {
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(ipv4Len+segLen))
		binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
		ip[8] = 64
		ip[9] = proto
		t.ipSum = sumWords(ip) // addresses and checksum still zero
	}
	l4 := f[t.l4 : t.l4+segLen]
	binary.BigEndian.PutUint16(l4[2:], s.DstPort)
	if s.Kind == UDP {
		binary.BigEndian.PutUint16(l4[4:], uint16(segLen))
		t.csum = t.l4 + 6
	} else {
		binary.BigEndian.PutUint32(l4[4:], tcpSeq)
		flags := byte(flagSYN)
		if s.Kind == TCPAck {
			binary.BigEndian.PutUint32(l4[8:], tcpAck)
			flags = flagACK | flagPSH
		}
		l4[12] = 5 << 4
		l4[13] = flags
		binary.BigEndian.PutUint16(l4[14:], tcpWindow)
		t.csum = t.l4 + 16
	}
	for i := hdr; i < len(l4); i++ {
		l4[i] = payloadPattern[(i-hdr)%len(payloadPattern)]
	}
	// Pseudo-header (RFC 768, RFC 8200 §8.1) without the varying parts.
	t.l4Sum = sumWords(l4) + uint32(proto) + uint32(segLen)
	if t.v6 {
		src := s.SrcAddrs.First.As16()
		copy(ip[8:20], src[:12])
		t.l4Sum += sumWords(src[:12])
	}
	for _, v := range t.spec.VIPs {
		b := v.Unmap().AsSlice()
		t.vipSums = append(t.vipSums, sumWords(b))
	}
	t.WriteFlow(t.frame, 0)
	return t, nil
}

// Spec returns the validated spec of the template (Flows filled in).
func (t *Template) Spec() Spec { return t.spec }

// Len returns the length of a frame as handed to the device (FrameSize
// minus the FCS).
func (t *Template) Len() int { return len(t.frame) }

// Frame returns a copy of the frame of flow 0.
func (t *Template) Frame() []byte { return append([]byte(nil), t.frame...) }

// CopyTo copies the frame of flow 0 into dst, which must hold Len bytes.
func (t *Template) CopyTo(dst []byte) { copy(dst, t.frame) }

// WriteFlow turns dst, a copy of the template's frame (possibly rewritten
// for another flow since), into the frame of flow i: source address and
// port, destination address, IPv4 header and L4 checksums. It does not
// allocate.
func (t *Template) WriteFlow(dst []byte, i uint32) {
	s := &t.spec
	i %= s.Flows
	port := i % s.SrcPorts.Count
	i /= s.SrcPorts.Count
	addr := i % s.SrcAddrs.Count
	v := (i / s.SrcAddrs.Count) % uint32(len(s.VIPs))
	src := low32(s.SrcAddrs.First) + addr
	sport := uint32(s.SrcPorts.First) + port
	l4 := uint64(t.l4Sum) + uint64(src>>16) + uint64(src&0xffff) + uint64(t.vipSums[v]) + uint64(sport)
	ip := dst[t.l3:t.l4]
	vip := s.VIPs[v]
	if t.v6 {
		binary.BigEndian.PutUint32(ip[20:], src)
		b := vip.As16()
		copy(ip[24:40], b[:])
	} else {
		binary.BigEndian.PutUint32(ip[12:], src)
		b := vip.Unmap().As4()
		copy(ip[16:20], b[:])
		sum := uint64(t.ipSum) + uint64(src>>16) + uint64(src&0xffff) + uint64(t.vipSums[v])
		binary.BigEndian.PutUint16(ip[10:], ^fold(sum))
	}
	binary.BigEndian.PutUint16(dst[t.l4:], uint16(sport))
	c := ^fold(l4)
	if c == 0 && s.Kind == UDP {
		c = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(dst[t.csum:], c)
}

// sumWords returns the sum of b's big-endian 16-bit words (an odd last
// byte padded with zero), not folded.
func sumWords(b []byte) uint32 {
	var s uint32
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// fold folds a ones-complement sum to 16 bits.
func fold(s uint64) uint16 {
	s = s&0xffffffff + s>>32
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	return uint16(s)
}
