package xsk

import "fmt"

// Statistics are the kernel's counters of one socket (XDP_STATISTICS).
type Statistics struct {
	// RXDropped counts packets dropped for another reason than a full RX
	// ring, e.g. an empty fill ring or a packet too large for a frame.
	RXDropped uint64
	// RXInvalidDescs counts invalid descriptors on the fill ring.
	RXInvalidDescs uint64
	// TXInvalidDescs counts invalid descriptors on the TX ring (an
	// address outside the UMEM, a packet crossing its frame's end). The
	// kernel skips them; Linux 6.18 in copy mode still reports their
	// address on the completion ring.
	TXInvalidDescs uint64
	// RXRingFull counts packets dropped because the RX ring was full.
	RXRingFull uint64
	// RXFillRingEmptyDescs counts the times the kernel found the fill
	// ring empty.
	RXFillRingEmptyDescs uint64
	// TXRingEmptyDescs counts the times the kernel found the TX ring
	// empty when woken.
	TXRingEmptyDescs uint64
}

// Statistics returns the socket's kernel counters.
func (s *Socket) Statistics() (Statistics, error) {
	st, err := statistics(s.fd)
	if err != nil {
		return Statistics{}, fmt.Errorf("xsk: get XDP_STATISTICS: %w", err)
	}
	return Statistics{
		RXDropped:            st.Rx_dropped,
		RXInvalidDescs:       st.Rx_invalid_descs,
		TXInvalidDescs:       st.Tx_invalid_descs,
		RXRingFull:           st.Rx_ring_full,
		RXFillRingEmptyDescs: st.Rx_fill_ring_empty_descs,
		TXRingEmptyDescs:     st.Tx_ring_empty_descs,
	}, nil
}
