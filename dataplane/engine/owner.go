package engine

import "github.com/xlvs/xlvs/dataplane/snapshot"

// ownerHash maps a client endpoint to a number both directions of a flow
// can compute: hash(client address, client port). The owner of a DR, TUN
// or NAT flow is ownerHash mod the number of workers (DESIGN.md §2).
func ownerHash(addr *[16]byte, port uint16) uint32 {
	x := uint64(addr[12])<<24 | uint64(addr[13])<<16 | uint64(addr[14])<<8 | uint64(addr[15])
	x ^= (uint64(addr[8])<<24 | uint64(addr[9])<<16 | uint64(addr[10])<<8 | uint64(addr[11])) << 32
	y := uint64(addr[0])<<24 | uint64(addr[1])<<16 | uint64(addr[2])<<8 | uint64(addr[3])
	y ^= (uint64(addr[4])<<24 | uint64(addr[5])<<16 | uint64(addr[6])<<8 | uint64(addr[7])) << 32
	x ^= y*0x9e3779b97f4a7c15 ^ uint64(port)
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 29
	return uint32(x)
}

// owner returns the worker that owns flows of this client endpoint.
func owner(addr *[16]byte, port uint16, workers int) int {
	if workers == 1 {
		return 0
	}
	return int(uint64(ownerHash(addr, port)) * uint64(workers) >> 32)
}

// ownerOf returns the worker that owns flows of client:cport to service
// svc. A persistent service owns by hash(client & persistence mask) alone,
// so that every connection of a client (or of its netmask) — and its
// persistence template — lives in one worker's table; other services own
// by hash(client, cport). Both directions of a flow evaluate it once they
// know the service: inbound packets with their source, NAT replies and ICMP
// errors with the client endpoint they are addressed to or quote. Hot path: no allocations.
func (w *Worker) ownerOf(svc *snapshot.Service, client *[16]byte, cport uint16) int {
	if w.n == 1 {
		return 0
	}
	if svc.Flags&snapshot.SvcPersistent != 0 {
		var masked [16]byte
		svc.MaskClient(&masked, client)
		return owner(&masked, 0, w.n)
	}
	return owner(client, cport, w.n)
}
