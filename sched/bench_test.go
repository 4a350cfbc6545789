package sched

import (
	"fmt"
	"testing"
)

// benchDests returns n destinations with weights 1…5 and some
// connections, one in twenty quiesced and one in twenty overloaded.
func benchDests(n int) []Dest {
	ds := make([]Dest, n)
	for i := range ds {
		ds[i] = Dest{
			Addr: v4(198, 18, byte(i>>8), byte(i)), Port: 8080,
			Weight: int32(1 + i%5), Flags: FlagAvailable,
			ActiveConns: uint32(i * 7 % 13), InactConns: uint32(i * 11 % 17),
		}
		switch i % 20 {
		case 7:
			ds[i].Weight = 0
		case 13:
			ds[i].Flags |= FlagOverloaded
		}
	}
	return ds
}

// BenchmarkPick measures one Pick per iteration for every registered
// scheduler with 2, 100 and 1000 real servers. Counts are not updated
// between picks (the cost of a pick does not depend on them), the key
// changes on every pick.
func BenchmarkPick(b *testing.B) {
	for _, name := range Names() {
		for _, n := range []int{2, 100, 1000} {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				ds := benchDests(n)
				f, _ := Lookup(name)
				s := f(ds, SHFallback|SHPort)
				k := keyN(0)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					k.Src[14], k.Src[15], k.Dst[15] = byte(i>>8), byte(i), byte(i>>4)
					s.Pick(ds, &k)
				}
			})
		}
	}
}

// BenchmarkBuild measures building a scheduler (done on every change of a
// service's destinations, off the packet path).
func BenchmarkBuild(b *testing.B) {
	for _, name := range []string{"wrr", "sh", "mh", "lblc", "lblcr"} {
		for _, n := range []int{2, 100, 1000} {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				ds := benchDests(n)
				f, _ := Lookup(name)
				b.ReportAllocs()
				for b.Loop() {
					f(ds, 0)
				}
			})
		}
	}
}
