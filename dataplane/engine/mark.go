package engine

import (
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// lookupService finds the service of a packet as IPVS does: the packet's
// firewall mark first (xlvs assigns marks with the snapshot's mark rules,
// where IPVS relies on netfilter marking in PREROUTING) and that mark's
// firewall-mark service; then the (protocol, address, port) service and
// the address's port-0 service. Hot path: no allocations; without mark
// rules it costs one length check.
func (w *Worker) lookupService(m *packet.Meta) *snapshot.Service {
	if len(w.snap.Marks) > 0 {
		if svc := w.snap.Classify(m.Proto, &m.Dst, m.DstPort); svc != nil {
			return svc
		}
	}
	return w.snap.Lookup(m.Proto, &m.Dst, m.DstPort)
}
