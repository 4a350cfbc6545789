package fullnat

// Owner returns the worker that owns local port lport when there are
// workers workers: lport mod workers. Every worker allocates only the
// ports it owns (see [Pool]), so the owner of a reply from a real server
// to LIP:lport is computed from the reply's destination port alone, on any
// worker, without a lookup. workers ≤ 1 means one worker, 0.
//
// Why p mod N and not contiguous slices: it works for any N (2, 3, 6
// workers alike) and spreads every worker's ports over the whole range, so
// a narrow port range still gives each worker its share. When N is a power
// of two it is the low bits of the port, p & (N-1), which is what NIC
// flow rules can match: one ntuple rule per worker, "dst-port w mask
// ~(N-1)" → queue w, delivers every reply to its owner's queue in
// hardware (DPVS programs the same mask-based rules). Contiguous slices
// would need range matches, which ntuple filters do not have.
func Owner(lport uint16, workers int) int {
	if workers <= 1 {
		return 0
	}
	return int(lport) % workers
}
