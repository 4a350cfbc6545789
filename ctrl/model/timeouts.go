package model

import (
	"math"

	"github.com/xlvs/xlvs/ctrl/api"
)

// maxTimeout is the largest value ip_vs_set_timeout accepts, INT_MAX/HZ
// seconds, for the largest HZ Linux builds with (1000).
const maxTimeout = math.MaxInt32 / 1000

// setTimeoutsLocked is ipvsadm --set tcp tcpfin udp (ip_vs_set_timeout):
// it changes the TCP ESTABLISHED, TCP FIN_WAIT and UDP timeouts; zero
// leaves a value unchanged. The new table goes out with the next snapshot.
// Like IPVS, a connection takes its state's timeout from the table each
// time a packet sets or refreshes its state: new connections use the new
// values at once, existing ones from their next packet on, and a
// connection's running timer is not shortened.
func (m *Model) setTimeoutsLocked(t *api.Timeouts) *api.Error {
	if t == nil {
		return api.NewError(api.CodeInvalid, "missing timeouts")
	}
	if t.TCP > maxTimeout || t.TCPFin > maxTimeout || t.UDP > maxTimeout {
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	m.timeouts.Set(t.TCP, t.TCPFin, t.UDP)
	m.cfg.Log.Info("timeouts set", "tcp", t.TCP, "tcpfin", t.TCPFin, "udp", t.UDP)
	return nil
}
