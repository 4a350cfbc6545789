package ipvsadm

import (
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
)

// addrWords is an address as libipvs's union nf_inet_addr read through
// ntohl: IPv4 in word 0, the other words zero.
func addrWords(a netip.Addr) [4]uint32 {
	var w [4]uint32
	if !a.IsValid() {
		return w
	}
	if !isV6(a) {
		w[0] = addrToUint32(a)
		return w
	}
	b := a.As16()
	for i := range w {
		w[i] = uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3])
	}
	return w
}

// afNum is the AF_* number compared by ipvs_cmp_services.
func afNum(v6 bool) int32 {
	if v6 {
		return afInet6
	}
	return afInet
}

// cmpServices is libipvs's ipvs_cmp_services(): differences of unsigned
// fields are truncated to int, so addresses 2^31 or more apart compare the
// "wrong" way and the order is not transitive.
func cmpServices(s1, s2 *api.Service) int32 {
	if r := int32(s1.Key.FWMark - s2.Key.FWMark); r != 0 {
		return r
	}
	v6 := s1.Key.IsIPv6()
	if r := afNum(v6) - afNum(s2.Key.IsIPv6()); r != 0 {
		return r
	}
	if r := int32(s1.Key.Protocol) - int32(s2.Key.Protocol); r != 0 {
		return r
	}
	if r := cmpAddr(s1.Key.Addr, s2.Key.Addr, v6); r != 0 {
		return r
	}
	return int32(s1.Key.Port) - int32(s2.Key.Port)
}

// cmpDests is libipvs's ipvs_cmp_dests(); the first dest's family decides
// how many address words are compared.
func cmpDests(d1, d2 *api.Dest) int32 {
	if r := cmpAddr(d1.Addr, d2.Addr, isV6(d1.Addr)); r != 0 {
		return r
	}
	return int32(d1.Port) - int32(d2.Port)
}

func cmpAddr(a, b netip.Addr, v6 bool) int32 {
	wa, wb := addrWords(a), addrWords(b)
	if !v6 {
		return int32(wa[0] - wb[0])
	}
	var r int32
	for i := 0; r == 0 && i < 4; i++ {
		r = int32(wa[i] - wb[i])
	}
	return r
}

// mergeSort sorts s in place with glibc 2.36's qsort algorithm
// (msort_with_tmp: top-down merge sort, n1 = n/2, the left element wins
// ties). With a non-transitive comparator the result depends on the
// algorithm, so this reproduces ipvsadm's order exactly.
func mergeSort[T any](s []T, cmp func(a, b *T) int32) {
	if len(s) < 2 {
		return
	}
	tmp := make([]T, len(s))
	msort(s, tmp, cmp)
}

func msort[T any](b, tmp []T, cmp func(a, b *T) int32) {
	n := len(b)
	if n <= 1 {
		return
	}
	n1 := n / 2
	b1, b2 := b[:n1], b[n1:]
	msort(b1, tmp, cmp)
	msort(b2, tmp, cmp)
	k := 0
	for len(b1) > 0 && len(b2) > 0 {
		if cmp(&b1[0], &b2[0]) <= 0 {
			tmp[k] = b1[0]
			b1 = b1[1:]
		} else {
			tmp[k] = b2[0]
			b2 = b2[1:]
		}
		k++
	}
	// What is left of b2 is already in place; copy the rest of b1 after
	// the merged part, then the merged part back.
	k += copy(tmp[k:], b1)
	copy(b, tmp[:k])
}

// SortServices sorts services as ipvsadm -L does (ipvs_sort_services).
func SortServices(svcs []api.Service) { mergeSort(svcs, cmpServices) }

// SortDests sorts real servers as ipvsadm -L does (ipvs_sort_dests).
func SortDests(dests []api.Dest) { mergeSort(dests, cmpDests) }
