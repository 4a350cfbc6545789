package ipvsadm

import (
	"math"
	"net/netip"
	"strings"
)

// isCSpace is C's isspace() in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// strtol is C's strtol(s, &end, base) for base 10 or 0 on a 64-bit long.
// It returns the value, the unparsed rest, whether any digit was read and
// whether the value overflowed (ERANGE, value clamped).
func strtol(s string, base int) (v int64, rest string, ok, overflow bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 0 {
		base = 10
		if i < len(s) && s[i] == '0' {
			base = 8
			if i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && hexDigit(s[i+2]) >= 0 {
				base = 16
				i += 2
			}
		}
	}
	var u uint64
	start := i
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || d >= base {
			break
		}
		if u > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		} else {
			u = u*uint64(base) + uint64(d)
		}
	}
	if i == start {
		return 0, s, false, false
	}
	switch {
	case overflow || (!neg && u > math.MaxInt64):
		overflow = true
		v = math.MaxInt64
		if neg {
			v = math.MinInt64
		}
	case neg && u > 1<<63:
		overflow, v = true, math.MinInt64
	case neg:
		v = int64(-u)
	default:
		v = int64(u)
	}
	return v, s[i:], true, overflow
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// stringToNumber is ipvsadm's string_to_number(): the whole string must be
// a base-10 long in [min, max]; ok is false otherwise.
func stringToNumber(s string, min, max int64) (int64, bool) {
	v, rest, ok, overflow := strtol(s, 10)
	if !ok || rest != "" || overflow || v < min || v > max {
		return 0, false
	}
	return v, true
}

// atoi is C's atoi(): leading blanks, a sign and digits, anything after
// ignored, 0 when there are no digits.
func atoi(s string) int64 {
	v, _, _, _ := strtol(s, 10)
	if v > math.MaxInt32 || v < math.MinInt32 {
		return int64(int32(v))
	}
	return v
}

// strIsDigit is ipvsadm's str_is_digit(): true for "" and all-digit strings.
func strIsDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// inetAton is glibc's inet_aton(): 1 to 4 parts in C notation (decimal,
// 0octal, 0xhex), the last part filling the remaining bytes; the text may
// end at a blank.
func inetAton(s string) (netip.Addr, bool) {
	var parts [4]uint64
	n := 0
	rest := s
	for {
		if rest == "" || !(rest[0] >= '0' && rest[0] <= '9') {
			return netip.Addr{}, false
		}
		v, r, ok, overflow := strtol(rest, 0)
		if !ok || overflow || v < 0 || v > math.MaxUint32 {
			return netip.Addr{}, false
		}
		parts[n] = uint64(v)
		n++
		rest = r
		if rest == "" || isCSpace(rest[0]) {
			break
		}
		if rest[0] != '.' || n == 4 {
			return netip.Addr{}, false
		}
		rest = rest[1:]
	}
	var val uint64
	switch n {
	case 1:
		val = parts[0]
	case 2:
		if parts[0] > 0xff || parts[1] > 0xffffff {
			return netip.Addr{}, false
		}
		val = parts[0]<<24 | parts[1]
	case 3:
		if parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffff {
			return netip.Addr{}, false
		}
		val = parts[0]<<24 | parts[1]<<16 | parts[2]
	case 4:
		if parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xff || parts[3] > 0xff {
			return netip.Addr{}, false
		}
		val = parts[0]<<24 | parts[1]<<16 | parts[2]<<8 | parts[3]
	}
	return addrFromUint32(uint32(val)), true
}

// inetPton4 is inet_pton(AF_INET): exactly four decimal parts 0..255,
// no leading zeros.
func inetPton4(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

// inetPton6 is inet_pton(AF_INET6): an IPv6 address without zone.
func inetPton6(s string) (netip.Addr, bool) {
	if !strings.Contains(s, ":") || strings.Contains(s, "%") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return netip.Addr{}, false
	}
	return a, true
}

func addrFromUint32(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func addrToUint32(a netip.Addr) uint32 {
	b := a.Unmap().As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
