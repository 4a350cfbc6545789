package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/bpf"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/fullnat"
)

// fullnatOptions are the FULLNAT flags: the local port range the workers
// share (each takes the ports p with p mod workers = its index).
type fullnatOptions struct {
	fullnatPorts     string
	minPort, maxPort uint16
}

func (o *fullnatOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.fullnatPorts, "fullnat-ports", fmt.Sprintf("%d-%d", fullnat.DefaultMinPort, fullnat.DefaultMaxPort),
		"FULLNAT local port range MIN-MAX, shared by the local addresses' connections; replies to these ports of a local address are steered to the workers")
}

// check parses --fullnat-ports.
func (o *fullnatOptions) check() error {
	lo, hi, ok := strings.Cut(o.fullnatPorts, "-")
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil || a == 0 || a > b {
		return fmt.Errorf("invalid --fullnat-ports %q: want MIN-MAX with 1 <= MIN <= MAX <= 65535", o.fullnatPorts)
	}
	o.minPort, o.maxPort = uint16(a), uint16(b)
	return nil
}

// localAddrs returns the local addresses of s, available or draining (the
// replies of their connections must still reach the workers), with the
// port range.
func (o *fullnatOptions) localAddrs(s *snapshot.Snapshot) []bpf.LocalAddr {
	var out []bpf.LocalAddr
	for i := range s.LocalAddrs {
		a := &s.LocalAddrs[i]
		if a.Family == 0 {
			continue
		}
		out = append(out, bpf.LocalAddr{Addr: netip.AddrFrom16(a.Addr).Unmap(), MinPort: o.minPort, MaxPort: o.maxPort})
	}
	return out
}

// publishFullNAT programs the XDP program's local addresses from s.
func (d *daemon) publishFullNAT(s *snapshot.Snapshot) {
	if err := d.steer.SetLocalAddrs(d.fnat.localAddrs(s)); err != nil {
		d.log.Error("update XDP local address map", "err", err)
	}
}

// ifIndex maps an interface name to its index in the daemon's namespace,
// for the -F of local addresses; 0 when there is no such interface.
func ifIndex(name string) int {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return 0
	}
	return l.Attrs().Index
}

// fullnatCounters adds the FULLNAT counters to a get-counters answer.
func (d *daemon) fullnatCounters(out map[string]uint64) {
	c := d.eng.FullNATCounters()
	out["fullnat-toa-inserted"] = c.TOAInserted
	out["fullnat-toa-skipped"] = c.TOASkipped
	out["fullnat-proxy-inserted"] = c.ProxyInserted
	out["fullnat-mss-clamped"] = c.MSSClamped
	out["fullnat-ports-allocated"] = c.PortsAllocated
	out["fullnat-ports-released"] = c.PortsReleased
	out["fullnat-bad-releases"] = c.BadReleases
}
