package sync

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/xlvs/xlvs/ctrl/api"
)

// iface returns the named interface, or the kernel's ENODEV.
func iface(name string) (*net.Interface, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, api.NewError(api.CodeNoDevice, fmt.Sprintf("interface %s: %v", name, err))
	}
	return ifi, nil
}

// openMaster opens the master's socket as make_send_sock does: multicast
// out of ifi with loopback off, the daemon's TTL and no path MTU
// discovery; for an IPv4 group it is bound to the interface's first IPv4
// address. It returns the socket and the group's address.
func openMaster(ifi *net.Interface, group netip.Addr, port uint16, ttl uint8) (net.PacketConn, net.Addr, error) {
	dst := &net.UDPAddr{IP: group.AsSlice(), Port: int(port)}
	network, laddr := "udp6", "[::]:0"
	if group.Is4() {
		src, ok := firstIPv4(ifi)
		if !ok {
			return nil, nil, api.NewError(api.Code(syscall.EADDRNOTAVAIL),
				fmt.Sprintf("interface %s has no IPv4 address to send sync messages from", ifi.Name))
		}
		network, laddr = "udp4", netip.AddrPortFrom(src, 0).String()
	} else {
		dst.Zone = ifi.Name
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = masterSockopts(int(fd), ifi.Index, group.Is4(), int(ttl)) })
		if err != nil {
			return err
		}
		return serr
	}}
	c, err := lc.ListenPacket(context.Background(), network, laddr)
	if err != nil {
		return nil, nil, fmt.Errorf("sync master socket on %s: %w", ifi.Name, err)
	}
	return c, dst, nil
}

func masterSockopts(fd, ifindex int, v4 bool, ttl int) error {
	if v4 {
		if err := syscall.SetsockoptIPMreqn(fd, syscall.IPPROTO_IP, syscall.IP_MULTICAST_IF, &syscall.IPMreqn{Ifindex: int32(ifindex)}); err != nil {
			return fmt.Errorf("IP_MULTICAST_IF: %w", err)
		}
		for _, o := range [][2]int{{syscall.IP_MULTICAST_LOOP, 0}, {syscall.IP_MULTICAST_TTL, ttl}, {syscall.IP_MTU_DISCOVER, syscall.IP_PMTUDISC_DONT}} {
			if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, o[0], o[1]); err != nil {
				return fmt.Errorf("IP socket option %d: %w", o[0], err)
			}
		}
		return nil
	}
	for _, o := range [][2]int{{syscall.IPV6_MULTICAST_IF, ifindex}, {syscall.IPV6_MULTICAST_LOOP, 0}, {syscall.IPV6_MULTICAST_HOPS, ttl}} {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, o[0], o[1]); err != nil {
			return fmt.Errorf("IPv6 socket option %d: %w", o[0], err)
		}
	}
	return nil
}

// firstIPv4 returns the interface's first IPv4 address.
func firstIPv4(ifi *net.Interface) (netip.Addr, bool) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				return ip.Unmap(), true
			}
		}
	}
	return netip.Addr{}, false
}

// openBackup opens the backup's socket as make_receive_sock does: bound to
// group:port, joined to the group on ifi.
func openBackup(ifi *net.Interface, group netip.Addr, port uint16) (*net.UDPConn, error) {
	network := "udp6"
	addr := &net.UDPAddr{IP: group.AsSlice(), Port: int(port)}
	if group.Is4() {
		network = "udp4"
	} else {
		addr.Zone = ifi.Name
	}
	c, err := net.ListenMulticastUDP(network, ifi, addr)
	if err != nil {
		return nil, fmt.Errorf("sync backup socket on %s: %w", ifi.Name, err)
	}
	_ = c.SetReadBuffer(1 << 20)
	return c, nil
}
