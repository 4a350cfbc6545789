package netlab

import (
	"testing"
)

// BenchmarkLabPair measures what a typical test pays for its topology: a
// lab with two namespaces, a veth pair with checksum offload off, two
// addresses each, and Close.
func BenchmarkLabPair(b *testing.B) {
	RequireRoot(b)
	b.ReportAllocs()
	for b.Loop() {
		lab, err := New("bench")
		if err != nil {
			b.Fatal(err)
		}
		x, err := lab.AddNS("a")
		if err != nil {
			b.Fatal(err)
		}
		y, err := lab.AddNS("b")
		if err != nil {
			b.Fatal(err)
		}
		if err := lab.Veth(x, "eth0", y, "eth0", LinkOptions{TxChecksumOff: true}); err != nil {
			b.Fatal(err)
		}
		for _, s := range []struct {
			ns   *NS
			cidr string
		}{{x, "198.18.0.1/24"}, {x, "fd00:18::1/64"}, {y, "198.18.0.2/24"}, {y, "fd00:18::2/64"}} {
			if err := s.ns.AddAddr("eth0", s.cidr); err != nil {
				b.Fatal(err)
			}
		}
		if err := lab.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDo measures the cost of running a function inside a namespace.
func BenchmarkDo(b *testing.B) {
	lab := NewT(b, "benchdo")
	ns, err := lab.AddNS("a")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := ns.Do(func() error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
