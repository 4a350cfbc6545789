package model

import (
	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// compilePersist copies a service's persistence and one-packet settings
// and its firewall mark into its snapshot form. A firewall-mark service
// has no protocol, address or port there: the mark rules lead to it.
func compilePersist(ss *snapshot.Service, s *api.Service) {
	ss.Flags = s.Flags & (api.SvcPersistent | api.SvcOnePacket)
	ss.PersistTimeout = s.Timeout
	ss.Netmask = s.Netmask
	if s.Key.FWMark != 0 {
		ss.FWMark = s.Key.FWMark
		ss.Proto, ss.Addr, ss.Port = 0, [16]byte{}, 0
	}
}
