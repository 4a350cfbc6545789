package engine

import (
	"bytes"
	"math/bits"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/sip"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// The SIP persistence engine, as IPVS's ip_vs_pe_sip does it.
//
// A persistent service with --pe sip keys its templates by the masked
// client address, as without an engine, and by the Call-ID of the
// datagram (ip_vs_sip_ct_match compares both), so every datagram of a
// call goes to one real server while a client's other calls are
// scheduled afresh. Only UDP carries SIP for IPVS: a packet of another
// protocol (sip-not-udp) or a datagram without a usable Call-ID
// (sip-no-callid, package sip) is dropped, as IPVS drops a packet whose
// engine fails to fill its parameters.
//
// The Call-ID does not fit a conntrack.Key, so a SIP template's key has,
// in place of the virtual address, a 128-bit hash of the Call-ID and the
// virtual address. Its entry is flagged conntrack.FlagPEData and the
// worker keeps the Call-ID (at most sip.MaxCallIDLen bytes, IPVS's
// IP_VS_PEDATA_MAXLEN) and the virtual address in pe, an array parallel
// to the connection table (an entry's index is stable for its life). A
// lookup that finds a template also compares the stored Call-ID, so a
// hash collision never joins two calls: the other call's template is
// replaced, as an unusable one is. pe is allocated, 272 bytes per table
// entry, when a snapshot first has a SIP service; only templates' pages
// are ever touched.
//
// A connection's entry has no room for its call, so a connection
// scheduled by a SIP template cannot find the template again when it
// leaves the table (Worker.uncontrol looks templates up by key): the
// template keeps its control count and expires at the later of its
// persistence deadline and the latest expiry any of its connections had.
// IPVS's recipe for SIP is one-packet scheduling (-o), where every
// datagram is scheduled through the template and no connection holds it.
//
// Ownership does not change: persistent services own flows by the masked
// client address, so every call of a SIP peer lives on one worker.

// peRecord is the persistence-engine data of one template.
type peRecord struct {
	vaddr [16]byte // the key's virtual address before hashing
	n     uint8
	data  [sip.MaxCallIDLen]byte
}

// peState is the persistence engines' part of a Worker.
type peState struct {
	pe    []peRecord // by connection-table index; nil until a SIP service exists
	frame []byte     // the frame being processed (set by process)
	call  []byte     // the Call-ID of the packet being scheduled, in frame
	vaddr [16]byte   // the virtual address call's key replaced
}

// applyPE sizes the engines' storage for snapshot s: the side array is
// made when s is the first snapshot with a SIP service.
func (w *Worker) applyPE(s *snapshot.Snapshot) {
	if w.pe != nil || s == nil {
		return
	}
	for i := range s.Services {
		if s.Services[i].PE == snapshot.PESIP && s.Services[i].Flags&snapshot.SvcPersistent != 0 {
			w.pe = make([]peRecord, w.ct.Cap())
			return
		}
	}
}

// peKey turns k, the template key of a packet of persistent service svc,
// into its engine's key. It returns the reason to drop the packet when
// the engine refuses it.
func (w *Worker) peKey(svc *snapshot.Service, m *packet.Meta, k *conntrack.Key) verdict.DropReason {
	w.call = nil
	if svc.PE != snapshot.PESIP || w.pe == nil {
		return verdict.None
	}
	if m.Proto != protoUDP {
		return verdict.SIPNotUDP
	}
	end := int(m.L3Off) + int(m.IPLen)
	if int(m.PayloadOff) > end || end > len(w.frame) {
		return verdict.SIPNoCallID
	}
	call := sip.CallID(w.frame[m.PayloadOff:end])
	if call == nil {
		return verdict.SIPNoCallID
	}
	w.call, w.vaddr = call, k.Virtual
	callHash(call, &k.Virtual)
	return verdict.None
}

// peMatches reports whether template ti belongs to the packet being
// scheduled: always without an engine, else when it holds the same
// Call-ID.
func (w *Worker) peMatches(ti int32) bool {
	if w.call == nil {
		return true
	}
	r := &w.pe[ti]
	return w.ct.At(ti).Flags&conntrack.FlagPEData != 0 && bytes.Equal(r.data[:r.n], w.call)
}

// pePut records the packet's Call-ID for its new template ti.
func (w *Worker) pePut(ti int32, t *conntrack.Entry) {
	if w.call == nil {
		return
	}
	r := &w.pe[ti]
	r.vaddr = w.vaddr
	r.n = uint8(copy(r.data[:], w.call))
	t.Flags |= conntrack.FlagPEData
}

// callHash replaces v, a virtual address, with a 128-bit hash of call and
// v: two 64-bit multiply-fold chains over 8-byte words.
func callHash(call []byte, v *[16]byte) {
	h1 := uint64(len(call)) ^ 0x243f6a8885a308d3
	h2 := uint64(len(call)) ^ 0x13198a2e03707344
	h1, h2 = peMix(h1, h2, le64(v[0:8])), peMix(h2, h1, le64(v[8:16]))
	for len(call) > 0 {
		var x uint64
		n := min(len(call), 8)
		for i := n - 1; i >= 0; i-- {
			x = x<<8 | uint64(call[i])
		}
		call = call[n:]
		h1, h2 = peMix(h1, h2, x), peMix(h2, h1^0x9e3779b97f4a7c15, x)
	}
	h1, h2 = peMix(h1, h2, 0xa4093822299f31d0), peMix(h2, h1, 0x082efa98ec4e6c89)
	for i := 0; i < 8; i++ {
		v[i], v[8+i] = byte(h1>>(8*i)), byte(h2>>(8*i))
	}
}

// peMix folds word x into state a with b as the multiplier's partner.
func peMix(a, b, x uint64) uint64 {
	hi, lo := bits.Mul64(a^x, (b^0xe7037ed1a0b428db)|1)
	return hi ^ lo ^ x
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// peInfo copies into out the engine data of template r of table ct for a
// listing; out.n is 0 for an entry without any.
func peInfo(ct *conntrack.Table, pe []peRecord, r *conntrack.Record, now int64, out *peRecord) {
	out.n = 0
	if r.Entry.Flags&conntrack.FlagPEData == 0 || pe == nil {
		return
	}
	if idx, ok := ct.Lookup(&r.Key, now); ok {
		*out = pe[idx]
	}
}
