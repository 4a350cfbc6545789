package engine

import (
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// xmitDR forwards a frame by direct routing: the IP packet is untouched;
// the destination MAC becomes the real server's (or its route's gateway's)
// and the source MAC the egress interface's, and the frame leaves by the
// link of the route to the real server (IPVS ip_vs_dr_xmit).
func (w *Worker) xmitDR(d *port.Desc, frame []byte, dest *snapshot.Dest) (int, verdict.Verdict) {
	nh := &dest.NextHop
	if !nh.Valid {
		return w.dropped(verdict.NoNextHop)
	}
	copy(frame[0:6], nh.DstMAC[:])
	copy(frame[6:12], nh.SrcMAC[:])
	d.Link = nh.Link
	return 0, verdict.Tx
}
