package sched

import "math/bits"

// Dest is one real server as a scheduler sees it. The worker owns the
// slice and keeps the counts and the overload flag current.
type Dest struct {
	Addr         [16]byte // IPv4 as ::ffff:a.b.c.d (for hashing schedulers)
	Port         uint16   // port, host byte order
	Weight       int32    // 0 = quiesced: never picked for new connections
	Flags        uint32   // FlagAvailable, FlagOverloaded
	UThreshold   uint32   // upper connection threshold, 0 = none (ipvsadm -x)
	LThreshold   uint32   // lower connection threshold, 0 = 3/4 of UThreshold (ipvsadm -y)
	ActiveConns  uint32   // connections in an active state
	InactConns   uint32   // connections in an inactive state
	PersistConns uint32   // persistence templates (not used by any scheduler)
	// LastWeight is the kernel's last_weight: the latest non-zero weight
	// given to the real server (or 0 if it was added with weight 0). Only
	// mh reads it, so that quiescing a server (weight 0) keeps its slots
	// in the Maglev table. When Weight is non-zero it is ignored (the
	// kernel keeps last_weight == weight then), so callers need to set it
	// only for quiesced servers.
	LastWeight int32
}

// Destination flags (the kernel's IP_VS_DEST_F_*).
const (
	// FlagAvailable marks a destination that is in service. A Dest
	// without it is treated as absent (the kernel keeps removed
	// destinations in a trash list outside svc->destinations).
	FlagAvailable uint32 = 1 << iota
	// FlagOverloaded marks a destination over its connection threshold;
	// it is maintained by [UpdateOverload].
	FlagOverloaded
)

// Key is what hashing schedulers hash: the packet's addresses and ports
// (sh hashes Src and SrcPort, dh, lblc and lblcr hash Dst, mh hashes Src
// and SrcPort). Addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d; ports are
// in host order.
type Key struct {
	Src, Dst         [16]byte
	SrcPort, DstPort uint16
	Proto            uint8
}

// Flags are a service's scheduler flags, the IP_VS_SVC_F_SCHED* bits that
// ipvsadm's --sched-flags sets.
type Flags uint32

// Service scheduler flags.
const (
	Flag1 Flags = 0x08 // IP_VS_SVC_F_SCHED1: flag-1, sh-fallback, mh-fallback
	Flag2 Flags = 0x10 // IP_VS_SVC_F_SCHED2: flag-2, sh-port, mh-port
	Flag3 Flags = 0x20 // IP_VS_SVC_F_SCHED3: flag-3

	SHFallback = Flag1 // sh: pick another server when the hashed one is unavailable
	SHPort     = Flag2 // sh: hash the source port too
	MHFallback = Flag1 // mh: pick another server when the hashed one is unavailable
	MHPort     = Flag2 // mh: hash the source port too
)

// IP protocol numbers whose ports the sh-port and mh-port flags hash.
const (
	protoTCP  = 6
	protoUDP  = 17
	protoSCTP = 132
)

// UpdateOverload applies the kernel's connection-threshold hysteresis to
// d after its counts changed. With total = ActiveConns + InactConns:
//
//   - if UThreshold != 0 and total >= UThreshold, d becomes overloaded
//     (ip_vs_bind_dest);
//   - an overloaded d stops being overloaded when total < LThreshold, or
//     when LThreshold == 0 and total*4 < UThreshold*3, or when both
//     thresholds are 0 (ip_vs_unbind_dest);
//   - otherwise the flag keeps its value.
//
// The kernel evaluates the first rule only when a connection is bound and
// the second only when one is unbound; the two agree whenever
// LThreshold <= UThreshold, which the kernel enforces, except that after
// UThreshold is lowered this function sets the flag one event earlier.
func UpdateOverload(d *Dest) {
	UpdateOverloadTotal(d, uint64(d.ActiveConns)+uint64(d.InactConns))
}

// UpdateOverloadTotal is [UpdateOverload] with the destination's total
// connection count given rather than taken from d's counts: for a
// destination that several schedulers share, each with its own counts
// (one per worker), whose thresholds bound its connections as a whole.
// Evaluating it before every pick with the current total gives the
// kernel's result, since the total only changes when a connection is
// bound or unbound.
func UpdateOverloadTotal(d *Dest, total uint64) {
	u, l := uint64(d.UThreshold), uint64(d.LThreshold)
	if u != 0 && total >= u {
		d.Flags |= FlagOverloaded
		return
	}
	if d.Flags&FlagOverloaded == 0 {
		return
	}
	switch {
	case l != 0:
		if total < l {
			d.Flags &^= FlagOverloaded
		}
	case u != 0:
		if total*4 < u*3 {
			d.Flags &^= FlagOverloaded
		}
	default:
		d.Flags &^= FlagOverloaded
	}
}

// SetThresholds changes d's thresholds as ipvsadm -e does
// (__ip_vs_update_dest): the overload flag is cleared when the new upper
// threshold is 0 or higher than the old one, and kept otherwise until
// the next [UpdateOverload].
func SetThresholds(d *Dest, upper, lower uint32) {
	if upper == 0 || upper > d.UThreshold {
		d.Flags &^= FlagOverloaded
	}
	d.UThreshold, d.LThreshold = upper, lower
}

// present reports whether d is in the service's destination list.
func (d *Dest) present() bool { return d.Flags&FlagAvailable != 0 }

// usable reports whether d may take a new connection: in service, not
// overloaded and not quiesced.
func (d *Dest) usable() bool {
	return d.Flags&(FlagAvailable|FlagOverloaded) == FlagAvailable && d.Weight > 0
}

// candidate reports whether d is in service and not overloaded; the
// least-connection schedulers skip weight 0 through their comparison.
func (d *Dest) candidate() bool {
	return d.Flags&(FlagAvailable|FlagOverloaded) == FlagAvailable
}

// connOverhead is ip_vs_dest_conn_overhead: active connections are
// estimated to cost 256 times an inactive one.
func connOverhead(d *Dest) uint64 {
	return uint64(d.ActiveConns)<<8 + uint64(d.InactConns)
}

// heavier reports whether load a/aw is greater than b/bw, computed as the
// kernel does (a*bw > b*aw) but in 128 bits so that it cannot overflow.
// Both weights must be positive.
func heavier(a uint64, aw int32, b uint64, bw int32) bool {
	if (a|b)>>32 == 0 { // both products below 2^63
		return a*uint64(bw) > b*uint64(aw)
	}
	h1, l1 := bits.Mul64(a, uint64(bw))
	h2, l2 := bits.Mul64(b, uint64(aw))
	return h1 > h2 || h1 == h2 && l1 > l2
}

// gcd returns the greatest common divisor of two positive numbers.
func gcd(a, b int32) int32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
