package xsk

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Desc must have the layout of struct xdp_desc.
var _ [16]byte = [unsafe.Sizeof(Desc{})]byte{}
var _ [unsafe.Sizeof(Desc{})]byte = [unsafe.Sizeof(unix.XDPDesc{})]byte{}

// mapRings maps the socket's rings (created with setsockopt before) and
// points the ring types at them.
func (s *Socket) mapRings(o SocketOptions) error {
	off, err := mmapOffsets(s.fd)
	if err != nil {
		return err
	}
	mem, err := s.mapRing("fill", unix.XDP_UMEM_PGOFF_FILL_RING, &off.Fr, o.FillSize, 8)
	if err != nil {
		return err
	}
	attachRing(&s.fill.r, mem, &off.Fr, o.FillSize)
	s.fill.addrs = unsafe.Slice((*uint64)(unsafe.Pointer(&mem[off.Fr.Desc])), o.FillSize)

	mem, err = s.mapRing("completion", unix.XDP_UMEM_PGOFF_COMPLETION_RING, &off.Cr, o.CompletionSize, 8)
	if err != nil {
		return err
	}
	attachRing(&s.comp.r, mem, &off.Cr, o.CompletionSize)
	s.comp.addrs = unsafe.Slice((*uint64)(unsafe.Pointer(&mem[off.Cr.Desc])), o.CompletionSize)

	if o.RXSize > 0 {
		mem, err = s.mapRing("RX", unix.XDP_PGOFF_RX_RING, &off.Rx, o.RXSize, int(unsafe.Sizeof(Desc{})))
		if err != nil {
			return err
		}
		attachRing(&s.rx.r, mem, &off.Rx, o.RXSize)
		s.rx.descs = unsafe.Slice((*Desc)(unsafe.Pointer(&mem[off.Rx.Desc])), o.RXSize)
	}
	if o.TXSize > 0 {
		mem, err = s.mapRing("TX", unix.XDP_PGOFF_TX_RING, &off.Tx, o.TXSize, int(unsafe.Sizeof(Desc{})))
		if err != nil {
			return err
		}
		attachRing(&s.tx.r, mem, &off.Tx, o.TXSize)
		s.tx.descs = unsafe.Slice((*Desc)(unsafe.Pointer(&mem[off.Tx.Desc])), o.TXSize)
	}
	return nil
}

// mapRing maps one ring of entries descriptors of descSize bytes and
// records the mapping for release.
func (s *Socket) mapRing(name string, pgoff int64, off *unix.XDPRingOffset, entries, descSize int) ([]byte, error) {
	length := int(off.Desc) + entries*descSize
	mem, err := unix.Mmap(s.fd, pgoff, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("xsk: map %s ring (%d bytes): %w", name, length, err)
	}
	s.maps = append(s.maps, mem)
	return mem, nil
}

// attachRing points r at the indexes and flags of a mapped ring.
func attachRing(r *ring, mem []byte, off *unix.XDPRingOffset, entries int) {
	r.attach(
		(*uint32)(unsafe.Pointer(&mem[off.Producer])),
		(*uint32)(unsafe.Pointer(&mem[off.Consumer])),
		(*uint32)(unsafe.Pointer(&mem[off.Flags])),
		uint32(entries))
}
