package sync

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Builder fills version 1 sync messages the way the kernel's master does
// (ip_vs_sync_conn): entries are appended, each 4-byte aligned, until the
// next one would pass the maximum length; the caller then sends the
// message and starts the next. The zero value is not usable: see
// [NewBuilder].
type Builder struct {
	buf    []byte
	maxLen int
	syncID uint8
	n      int
}

// NewBuilder returns a builder of messages of at most maxLen bytes (the
// daemon's sync_maxlen) stamped with syncID. A connection longer than
// maxLen still gets a message of its own, as in the kernel.
func NewBuilder(syncID uint8, maxLen int) *Builder {
	b := &Builder{maxLen: max(maxLen, HeaderLen), syncID: syncID}
	b.buf = make([]byte, 0, b.maxLen)
	b.Reset()
	return b
}

// Reset empties the message.
func (b *Builder) Reset() {
	b.buf = append(b.buf[:0], 0, b.syncID, 0, HeaderLen, 0, Version, 0, 0)
	b.n = 0
}

// Count returns the number of entries in the message.
func (b *Builder) Count() int { return b.n }

// Len returns the message's length in bytes.
func (b *Builder) Len() int { return len(b.buf) }

// Fits reports whether c can be added without passing the maximum length
// (or the 255 entries one byte counts). An empty message takes anything.
func (b *Builder) Fits(c *Conn) bool {
	if b.n == 0 {
		return true
	}
	n, _ := connLen(c)
	pad := (4 - len(b.buf)) & 3
	return b.n < maxConns && len(b.buf)+pad+n <= b.maxLen
}

// Add appends c to the message. It fails, leaving the message unchanged,
// when c does not fit (see [Builder.Fits]) or cannot be encoded: mixed
// address families, persistence engine data or name too long.
func (b *Builder) Add(c *Conn) error {
	n, v6 := connLen(c)
	if c.Client.Is4() != c.Virtual.Is4() || c.Client.Is4() != c.Dest.Is4() || !c.Client.IsValid() {
		return ErrMixedAF
	}
	if len(c.PEData) > PEDataMax || len(c.PEName) > PENameMax {
		return ErrPEDataSize
	}
	if !b.Fits(c) {
		return fmt.Errorf("connection of %d bytes does not fit a %d-byte message holding %d", n, b.maxLen, len(b.buf))
	}
	for len(b.buf)&3 != 0 {
		b.buf = append(b.buf, 0)
	}
	typ := byte(0)
	if v6 {
		typ = typeInet6
	}
	be := binary.BigEndian
	b.buf = append(b.buf, typ, c.Protocol)
	b.buf = be.AppendUint16(b.buf, uint16(n&sverMask))
	b.buf = be.AppendUint32(b.buf, c.Flags&^FlagHashed)
	b.buf = be.AppendUint16(b.buf, c.State)
	b.buf = be.AppendUint16(b.buf, c.CPort)
	b.buf = be.AppendUint16(b.buf, c.VPort)
	b.buf = be.AppendUint16(b.buf, c.DPort)
	b.buf = be.AppendUint32(b.buf, c.FWMark)
	b.buf = be.AppendUint32(b.buf, c.Timeout)
	for _, a := range [3]*[16]byte{ptr16(c.Client), ptr16(c.Virtual), ptr16(c.Dest)} {
		if v6 {
			b.buf = append(b.buf, a[:]...)
		} else {
			b.buf = append(b.buf, a[12:]...)
		}
	}
	if c.Flags&FlagSeqMask != 0 {
		b.buf = append(b.buf, optSeqData, SeqOptLen)
		for _, s := range [2]Seq{c.InSeq, c.OutSeq} {
			b.buf = be.AppendUint32(b.buf, s.InitSeq)
			b.buf = be.AppendUint32(b.buf, s.Delta)
			b.buf = be.AppendUint32(b.buf, s.PreviousDelta)
		}
	}
	if len(c.PEData) > 0 {
		b.buf = append(b.buf, optPEData, byte(len(c.PEData)))
		b.buf = append(b.buf, c.PEData...)
		if c.PEName != "" {
			b.buf = append(b.buf, optPEName, byte(len(c.PEName)))
			b.buf = append(b.buf, c.PEName...)
		}
	}
	b.n++
	b.buf[4] = byte(b.n)
	be.PutUint16(b.buf[2:4], uint16(len(b.buf)))
	return nil
}

// Bytes returns the message; it is valid until the next Add or Reset.
func (b *Builder) Bytes() []byte { return b.buf }

func ptr16(a netip.Addr) *[16]byte {
	x := a.As16()
	return &x
}
