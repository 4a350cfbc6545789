package sched

import (
	"fmt"
	"testing"
)

// hashing are the schedulers that hash the key and so may legitimately
// find no destination for one key while another key finds one.
var hashing = map[string]bool{"sh": true, "dh": true, "mh": true, "lblc": true, "lblcr": true}

// mixedDests has usable destinations and, among them, quiesced (1, 5),
// overloaded (3, 10) and out-of-service (6) ones.
func mixedDests() []Dest {
	ds := mkDests(3, 0, 2, 5, 1, 0, 4, 2, 1, 3, 7, 1)
	ds[3].Flags |= FlagOverloaded
	ds[6].Flags = 0
	ds[10].Flags |= FlagOverloaded
	return ds
}

func keyN(n int) Key {
	return Key{
		Src: v4(198, 19, byte(n>>8), byte(n)), Dst: v4(198, 18, 200, byte(n%7)),
		SrcPort: uint16(1024 + n), DstPort: 80, Proto: protoTCP,
	}
}

func TestNeverPicksUnusable(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			ds := mixedDests()
			// Fallback on, so that sh and mh always find a usable server.
			s := build(t, name, ds, SHFallback|SHPort)
			seen := 0
			for n := range 5000 {
				k := keyN(n)
				p := s.Pick(ds, &k)
				if p < 0 {
					// dh has no fallback; ovf runs out once every server
					// has more active connections than its weight.
					if name != "dh" && name != "ovf" {
						t.Fatalf("key %d: no destination picked", n)
					}
					continue
				}
				if !ds[p].usable() {
					t.Fatalf("key %d: picked unusable destination %d: %+v", n, p, ds[p])
				}
				seen++
				// Open a connection, as the worker would, so that the
				// least-connection schedulers move on.
				ds[p].ActiveConns++
			}
			if seen == 0 {
				t.Fatal("nothing picked")
			}
		})
	}
}

func TestNoneAvailableReturnsMinusOne(t *testing.T) {
	cases := map[string]func() []Dest{
		"no destinations": func() []Dest { return nil },
		"all quiesced":    func() []Dest { return mkDests(0, 0, 0) },
		"all overloaded": func() []Dest {
			ds := mkDests(1, 2, 3)
			for i := range ds {
				ds[i].Flags |= FlagOverloaded
			}
			return ds
		},
		"none in service": func() []Dest {
			ds := mkDests(1, 2, 3)
			for i := range ds {
				ds[i].Flags = 0
			}
			return ds
		},
		"quiesced or overloaded": func() []Dest {
			ds := mkDests(0, 2, 0)
			ds[1].Flags |= FlagOverloaded
			return ds
		},
	}
	for _, name := range Names() {
		for cname, mk := range cases {
			t.Run(name+"/"+cname, func(t *testing.T) {
				ds := mk()
				s := build(t, name, ds, SHFallback|SHPort)
				for n := range 300 {
					k := keyN(n)
					if p := s.Pick(ds, &k); p != -1 {
						t.Fatalf("key %d: Pick = %d, want -1", n, p)
					}
				}
			})
		}
	}
}

func TestNilKey(t *testing.T) {
	for _, name := range Names() {
		ds := mkDests(1, 2)
		p := build(t, name, ds, 0).Pick(ds, nil)
		if hashing[name] && p != -1 {
			t.Errorf("%s: Pick with a nil key = %d, want -1", name, p)
		}
		if !hashing[name] && p < 0 {
			t.Errorf("%s: Pick with a nil key = %d, want a destination", name, p)
		}
	}
}

func TestPickDoesNotAllocate(t *testing.T) {
	for _, name := range Names() {
		for _, n := range []int{2, 100} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				ds := benchDests(n)
				s := build(t, name, ds, SHFallback|SHPort)
				i := 0
				k := keyN(0)
				allocs := testing.AllocsPerRun(1000, func() {
					i++
					k.Src[15], k.Dst[15] = byte(i), byte(i>>3)
					if p := s.Pick(ds, &k); p >= 0 {
						ds[p].ActiveConns++
					}
				})
				if allocs != 0 {
					t.Errorf("Pick allocates %.1f times per call", allocs)
				}
			})
		}
	}
}
