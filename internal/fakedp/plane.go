package fakedp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// Plane is a fake dataplane. The zero value is not usable; call [New].
type Plane struct {
	mu      sync.Mutex
	snap    *snapshot.Snapshot
	dests   map[uint32]engine.DestStats
	svcs    map[uint32]engine.ServiceStats
	conns   []engine.ConnInfo
	connErr error
	// Rates by slot, when the test sets them (rates.go).
	svcRates, destRates map[uint32]api.Stats
	// local are the director's own addresses (local.go).
	local map[netip.Addr]bool
}

// New returns a plane with every counter at zero and no connections.
func New() *Plane {
	return &Plane{dests: map[uint32]engine.DestStats{}, svcs: map[uint32]engine.ServiceStats{},
		svcRates: map[uint32]api.Stats{}, destRates: map[uint32]api.Stats{}}
}

// Publish records s as the dataplane's configuration; pass it as
// model.Config.Publish.
func (p *Plane) Publish(s *snapshot.Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.snap = s
}

// Snapshot returns the last published snapshot (nil before the first).
func (p *Plane) Snapshot() *snapshot.Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snap
}

// DestStats returns the counters of destination slot (model.Stats).
func (p *Plane) DestStats(slot uint32) engine.DestStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dests[slot]
}

// ServiceStats returns the counters of service slot (model.Stats).
func (p *Plane) ServiceStats(slot uint32) engine.ServiceStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.svcs[slot]
}

// ListConns returns a copy of the connections set with [Plane.SetConns],
// or the error of [Plane.SetConnsError] (model.ConnLister).
func (p *Plane) ListConns(ctx context.Context) ([]engine.ConnInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.connErr != nil {
		return nil, p.connErr
	}
	return slices.Clone(p.conns), nil
}

// SetDest sets the counters of destination slot.
func (p *Plane) SetDest(slot uint32, st engine.DestStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dests[slot] = st
}

// SetService sets the counters of service slot.
func (p *Plane) SetService(slot uint32, st engine.ServiceStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.svcs[slot] = st
}

// SetConns sets the connections ListConns returns.
func (p *Plane) SetConns(conns []engine.ConnInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = slices.Clone(conns)
}

// SetConnsError makes ListConns fail with err (nil: succeed again).
func (p *Plane) SetConnsError(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.connErr = err
}

// Add counts traffic for destination slot as the workers do: every field
// of d is added to the slot's counters, and the connections, packets and
// bytes also to the counters of the slot's service in the last published
// snapshot. ActiveConns and InactConns are added to the destination only
// (they are not cumulative: use SetDest to lower them).
func (p *Plane) Add(slot uint32, d engine.DestStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	x := p.dests[slot]
	x.ActiveConns += d.ActiveConns
	x.InactConns += d.InactConns
	x.Conns += d.Conns
	x.InPkts += d.InPkts
	x.InBytes += d.InBytes
	x.OutPkts += d.OutPkts
	x.OutBytes += d.OutBytes
	p.dests[slot] = x
	if p.snap == nil || int(slot) >= len(p.snap.Dests) {
		return
	}
	svc := p.snap.Dests[slot].Service
	s := p.svcs[svc]
	s.Conns += d.Conns
	s.InPkts += d.InPkts
	s.InBytes += d.InBytes
	s.OutPkts += d.OutPkts
	s.OutBytes += d.OutBytes
	p.svcs[svc] = s
}

// AddServer is [Plane.Add] for real server rs of service k, found in the
// last published snapshot.
func (p *Plane) AddServer(k api.ServiceKey, rs netip.AddrPort, d engine.DestStats) error {
	slot, err := p.DestSlot(k, rs)
	if err != nil {
		return err
	}
	p.Add(slot, d)
	return nil
}

// ServiceSlot returns the slot of service k in the last published
// snapshot.
func (p *Plane) ServiceSlot(k api.ServiceKey) (uint32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.serviceLocked(k)
	if s == nil {
		return 0, fmt.Errorf("fakedp: no service %s in the published snapshot", keyString(k))
	}
	return s.ID, nil
}

// DestSlot returns the slot of real server rs of service k in the last
// published snapshot (a deleted one still there included).
func (p *Plane) DestSlot(k api.ServiceKey, rs netip.AddrPort) (uint32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.serviceLocked(k)
	if s == nil {
		return 0, fmt.Errorf("fakedp: no service %s in the published snapshot", keyString(k))
	}
	a := rs.Addr().Unmap().As16()
	for _, id := range s.Dests {
		if d := &p.snap.Dests[id]; d.Addr == a && d.Port == rs.Port() {
			return id, nil
		}
	}
	return 0, fmt.Errorf("fakedp: service %s has no real server %s in the published snapshot", keyString(k), rs)
}

// serviceLocked finds service k in the snapshot: a firewall-mark service
// by its mark and family (k.Addr's), an address service by protocol,
// address and port.
func (p *Plane) serviceLocked(k api.ServiceKey) *snapshot.Service {
	if p.snap == nil {
		return nil
	}
	a := k.Addr.Unmap()
	family := uint8(6)
	if a.Is4() {
		family = 4
	}
	for i := range p.snap.Services {
		s := &p.snap.Services[i]
		if s.Family == 0 || s.FWMark != k.FWMark {
			continue
		}
		if k.FWMark != 0 && s.Family == family ||
			k.FWMark == 0 && uint16(s.Proto) == k.Protocol && s.Addr == a.As16() && s.Port == k.Port {
			return s
		}
	}
	return nil
}

func keyString(k api.ServiceKey) string {
	if k.FWMark != 0 {
		return "fwmark " + strconv.FormatUint(uint64(k.FWMark), 10)
	}
	return api.ProtoName(k.Protocol) + " " + netip.AddrPortFrom(k.Addr.Unmap(), k.Port).String()
}
