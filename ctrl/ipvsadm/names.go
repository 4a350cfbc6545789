package ipvsadm

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Names resolves host and service names in both directions, as ipvsadm
// does with gethostbyname/gethostbyaddr and getservbyname/getservbyport.
// proto is "tcp", "udp" or "sctp".
type Names interface {
	// HostAddr resolves name to its first IPv4 address.
	HostAddr(name string) (netip.Addr, bool)
	// HostName returns the name of addr, or "" when it has none.
	HostName(addr netip.Addr) string
	// Port resolves a service name for proto.
	Port(name, proto string) (uint16, bool)
	// PortName returns the service name of port for proto, or "".
	PortName(port uint16, proto string) string
}

// ServicesPath is the services database read by [SystemNames].
const ServicesPath = "/etc/services"

// Services is a parsed services(5) database.
type Services struct {
	entries []serviceEntry
}

type serviceEntry struct {
	names []string // official name first, then aliases
	port  uint16
	proto string
}

// ParseServices reads a services(5) file: "name port/proto [aliases...]"
// lines, '#' comments. Malformed lines are skipped, as glibc does.
func ParseServices(r io.Reader) (*Services, error) {
	db := &Services{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		portS, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" {
			continue
		}
		port, err := strconv.ParseUint(portS, 10, 16)
		if err != nil {
			continue
		}
		names := append([]string{f[0]}, f[2:]...)
		db.entries = append(db.entries, serviceEntry{names: names, port: uint16(port), proto: proto})
	}
	return db, sc.Err()
}

// Port is getservbyname(name, proto): the first entry naming it.
func (db *Services) Port(name, proto string) (uint16, bool) {
	if db == nil {
		return 0, false
	}
	for _, e := range db.entries {
		if e.proto != proto {
			continue
		}
		for _, n := range e.names {
			if n == name {
				return e.port, true
			}
		}
	}
	return 0, false
}

// PortName is getservbyport(port, proto): the official name of the first
// matching entry, or "".
func (db *Services) PortName(port uint16, proto string) string {
	if db == nil {
		return ""
	}
	for _, e := range db.entries {
		if e.port == port && e.proto == proto {
			return e.names[0]
		}
	}
	return ""
}

// SystemNames returns the Names of this host: /etc/services parsed once on
// first use, host names through net.DefaultResolver (hosts file, then DNS).
func SystemNames() Names { return systemNames }

var systemNames = &sysNames{}

type sysNames struct {
	once sync.Once
	db   *Services
}

func (s *sysNames) services() *Services {
	s.once.Do(func() {
		f, err := os.Open(ServicesPath)
		if err != nil {
			return
		}
		defer f.Close()
		s.db, _ = ParseServices(f)
	})
	return s.db
}

func (s *sysNames) HostAddr(name string) (netip.Addr, bool) {
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", name)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, false
	}
	return ips[0].Unmap(), true
}

func (s *sysNames) HostName(addr netip.Addr) string {
	names, err := net.DefaultResolver.LookupAddr(context.Background(), addr.String())
	if err != nil || len(names) == 0 {
		return ""
	}
	return strings.TrimSuffix(names[0], ".")
}

func (s *sysNames) Port(name, proto string) (uint16, bool) {
	return s.services().Port(name, proto)
}

func (s *sysNames) PortName(port uint16, proto string) string {
	return s.services().PortName(port, proto)
}

// cachedNames remembers reverse lookups for one run, so a listing asks the
// resolver once per address.
type cachedNames struct {
	Names
	hosts map[netip.Addr]string
}

func newCachedNames(n Names) *cachedNames {
	return &cachedNames{Names: n, hosts: make(map[netip.Addr]string)}
}

func (c *cachedNames) HostName(addr netip.Addr) string {
	if n, ok := c.hosts[addr]; ok {
		return n
	}
	n := c.Names.HostName(addr)
	c.hosts[addr] = n
	return n
}

// protoName is the services(5) protocol of an IPPROTO number, "" when
// ipvsadm does not look port names up for it.
func protoName(p uint16) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 132:
		return "sctp"
	}
	return ""
}
