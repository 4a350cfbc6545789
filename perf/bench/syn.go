package main

import (
	"fmt"
	"time"
)

// SynResult is the new-connections measurement: a SYN flood of distinct
// tuples through xlvs with one method.
type SynResult struct {
	Method string `json:"method"`
	// Target is the distinct tuples sent (the connections to create).
	Target int `json:"target"`
	// Conns is the table occupancy reached, Capacity the table's.
	Conns    uint64 `json:"conns"`
	Capacity uint64 `json:"capacity"`
	// Seconds is the time from the first SYN until Conns reached the
	// target (or the limit).
	Seconds float64 `json:"seconds"`
	// CPS is Conns over Seconds; PeakCPS the best one-second window.
	CPS     float64 `json:"conns_per_second"`
	PeakCPS float64 `json:"peak_conns_per_second"`
	// RSSBefore and RSSAfter are xlvsd's resident memory with an empty
	// and a filled table; BytesPerConn their difference per connection.
	RSSBefore    uint64  `json:"rss_before"`
	RSSAfter     uint64  `json:"rss_after"`
	BytesPerConn float64 `json:"bytes_per_conn"`
	// Drops over the flood, by reason.
	Drops map[string]uint64 `json:"drops,omitempty"`
	Error string            `json:"error,omitempty"`
}

// synFlood sends SYNs of target distinct tuples through a TCP service of
// method m, flat out, round and round until xlvsd holds target connections
// or limit passes.
func (b *bench) synFlood(m method, target int, limit time.Duration) (res SynResult, err error) {
	res = SynResult{Method: m.name, Target: target}
	d, err := b.startXLVS(m, 1, 1<<20, "-t") // a TCP service: the SYNs open connections
	if err != nil {
		return res, err
	}
	defer d.stop()
	// Let the runtime settle before taking the empty table's footprint.
	time.Sleep(500 * time.Millisecond)
	if res.RSSBefore, err = d.p.rssBytes(); err != nil {
		return res, err
	}
	c0, err := d.counters()
	if err != nil {
		return res, err
	}
	gen, _, err := b.startGen("syn", target, "--duration", limit.String())
	if err != nil {
		return res, err
	}
	defer gen.stop()
	start := time.Now()
	last, lastAt := c0["conns-created"], start
	var c map[string]uint64
	for {
		time.Sleep(250 * time.Millisecond)
		if c, err = d.counters(); err != nil {
			return res, err
		}
		now := time.Now()
		if now.Sub(lastAt) >= time.Second {
			res.PeakCPS = max(res.PeakCPS, float64(c["conns-created"]-last)/now.Sub(lastAt).Seconds())
			last, lastAt = c["conns-created"], now
		}
		res.Conns, res.Capacity = c["conns"], c["conn-capacity"]
		if res.Conns >= uint64(target) || gen.exited() {
			res.Seconds = now.Sub(start).Seconds()
			break
		}
	}
	gen.stop()
	res.CPS = float64(c["conns-created"]-c0["conns-created"]) / res.Seconds
	res.Drops = drops(c0, c, 0)
	delete(res.Drops, "not-forwarded")
	time.Sleep(200 * time.Millisecond)
	if res.RSSAfter, err = d.p.rssBytes(); err != nil {
		return res, err
	}
	if res.Conns > 0 {
		res.BytesPerConn = float64(res.RSSAfter-res.RSSBefore) / float64(res.Conns)
	}
	if res.Conns < uint64(target) {
		res.Error = fmt.Sprintf("reached %d of %d connections in %v", res.Conns, target, limit)
	}
	return res, nil
}
