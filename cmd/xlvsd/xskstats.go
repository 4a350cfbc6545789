package main

// xskCounters adds the kernel's AF_XDP socket counters (XDP_STATISTICS),
// summed over every queue and interface, to out: why frames the XDP
// program steered to the sockets never reached a worker.
//
//   - xsk-rx-ring-full: dropped because a worker's RX ring was full (the
//     worker did not keep up);
//   - xsk-fill-ring-empty: times the kernel found a fill ring empty (no
//     free frame to copy a packet into);
//   - xsk-rx-dropped: dropped for another reason than a full RX ring (an
//     empty fill ring, a packet larger than a frame);
//   - xsk-rx-invalid-descs, xsk-tx-invalid-descs: invalid descriptors on
//     the fill and TX rings (a bug if ever non-zero);
//   - xsk-tx-ring-empty: times the kernel was woken to send with nothing
//     on a TX ring.
func (d *daemon) xskCounters(out map[string]uint64) {
	var full, empty, dropped, rxInvalid, txInvalid, txEmpty uint64
	for _, p := range d.ports {
		st, err := p.Statistics()
		if err != nil {
			continue // a closing socket: report what the others say
		}
		full += st.RXRingFull
		empty += st.RXFillRingEmptyDescs
		dropped += st.RXDropped
		rxInvalid += st.RXInvalidDescs
		txInvalid += st.TXInvalidDescs
		txEmpty += st.TXRingEmptyDescs
	}
	out["xsk-rx-ring-full"] = full
	out["xsk-fill-ring-empty"] = empty
	out["xsk-rx-dropped"] = dropped
	out["xsk-rx-invalid-descs"] = rxInvalid
	out["xsk-tx-invalid-descs"] = txInvalid
	out["xsk-tx-ring-empty"] = txEmpty
}
