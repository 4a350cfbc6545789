package model

import (
	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// compilePersist copies a service's persistence and one-packet settings,
// its persistence engine and its firewall mark into its snapshot form. A firewall-mark service
// has no protocol, address or port there: the mark rules lead to it.
func compilePersist(ss *snapshot.Service, s *api.Service) {
	ss.Flags = s.Flags & (api.SvcPersistent | api.SvcOnePacket)
	ss.PersistTimeout = s.Timeout
	ss.Netmask = s.Netmask
	if s.PE == PESIP {
		ss.PE = snapshot.PESIP
	}
	if s.Key.FWMark != 0 {
		ss.FWMark = s.Key.FWMark
		ss.Proto, ss.Addr, ss.Port = 0, [16]byte{}, 0
	}
}

// PESIP is the name of the one persistence engine IPVS has, ip_vs_pe_sip
// (ipvsadm --pe sip): a persistent UDP service's templates are keyed by
// the SIP Call-ID as well as the client address.
const PESIP = "sip"
