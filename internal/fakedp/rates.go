package fakedp

import "github.com/xlvs/xlvs/ctrl/api"

// ServiceRates returns the rates set for service slot with
// [Plane.SetServiceRates] (model.Rates); zero when none were set.
func (p *Plane) ServiceRates(slot uint32) api.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.svcRates[slot]
}

// DestRates returns the rates set for destination slot with
// [Plane.SetDestRates] (model.Rates); zero when none were set.
func (p *Plane) DestRates(slot uint32) api.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.destRates[slot]
}

// SetServiceRates sets what ServiceRates returns for service slot. The
// model reads only the rate fields (CPS, InPPS, OutPPS, InBPS, OutBPS).
func (p *Plane) SetServiceRates(slot uint32, r api.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.svcRates[slot] = r
}

// SetDestRates sets what DestRates returns for destination slot.
func (p *Plane) SetDestRates(slot uint32, r api.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.destRates[slot] = r
}
