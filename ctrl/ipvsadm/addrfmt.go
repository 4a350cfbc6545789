package ipvsadm

import (
	"net/netip"
	"strconv"
	"strings"
)

// addrNameMax is the size of addrport_to_anyname's buffer minus its NUL:
// longer names are cut.
const addrNameMax = 59

// ntop is inet_ntop(): dotted quad for IPv4, glibc's text form for IPv6.
func ntop(a netip.Addr) string {
	if !a.IsValid() {
		return "0.0.0.0"
	}
	if a.Is4() {
		return a.String()
	}
	return ntop6(a.As16())
}

// ntop6 is glibc's inet_ntop6(): the longest (first) run of two or more
// zero words becomes "::", and ::a.b.c.d / ::ffff:a.b.c.d keep their
// embedded IPv4 address.
func ntop6(b [16]byte) string {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if curBase < 0 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
			continue
		}
		if curBase >= 0 && curLen > bestLen {
			bestBase, bestLen = curBase, curLen
		}
		curBase = -1
	}
	if curBase >= 0 && curLen > bestLen {
		bestBase, bestLen = curBase, curLen
	}
	if bestLen < 2 {
		bestBase = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if bestBase >= 0 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			sb.WriteString(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}).String())
			break
		}
		sb.WriteString(strconv.FormatUint(uint64(w[i]), 16))
	}
	if bestBase >= 0 && bestBase+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

// addrPortName is addrport_to_anyname(): "a.b.c.d:port" or "[v6]:port",
// with host and service names unless numeric. proto is the IPPROTO number
// whose services(5) names apply (0: none).
func addrPortName(a netip.Addr, port uint16, proto uint16, numeric bool, names Names) string {
	v6 := isV6(a)
	if !v6 {
		a = a.Unmap()
	}
	host, svc := "", ""
	if !numeric && names != nil {
		host = names.HostName(a)
		if pn := protoName(proto); pn != "" {
			svc = names.PortName(port, pn)
		}
	}
	if host == "" {
		host = ntop(a)
	}
	if svc == "" {
		svc = strconv.FormatUint(uint64(port), 10)
	}
	var s string
	if v6 {
		s = "[" + host + "]:" + svc
	} else {
		s = host + ":" + svc
	}
	return truncate(s, addrNameMax)
}

// isV6 reports whether a listed address is an IPv6 one (IPv4-mapped
// addresses count as IPv4, as in api.ServiceKey.IsIPv6).
func isV6(a netip.Addr) bool { return a.Is6() && !a.Is4In6() }

// padRight is printf's "%-*s": s left-aligned in at least n bytes.
func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

// padLeft is printf's "%*s".
func padLeft(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(" ", n-len(s)) + s
}
