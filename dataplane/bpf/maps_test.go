//go:build linux

package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
)

// dumpMap returns the contents of a map with uint32 values.
func dumpMap[K comparable](t *testing.T, m *ebpf.Map) map[K]uint32 {
	t.Helper()
	out := make(map[K]uint32)
	var (
		k K
		v uint32
	)
	it := m.Iterate()
	for it.Next(&k, &v) {
		out[k] = v
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func vipKey(addr string) steerVipKey {
	return steerVipKey{Addr: netip.MustParseAddr(addr).As16()}
}

func TestSetServicesMakesMapsEqualToTheSet(t *testing.T) {
	s := loadT(t)
	a := netip.MustParseAddr("198.18.0.10")
	b := netip.MustParseAddr("2001:db8::10")
	c := netip.MustParseAddr("198.18.0.11")

	steps := []struct {
		name     string
		keys     []ServiceKey
		services int
		vips     map[steerVipKey]uint32
	}{
		{"initial", []ServiceKey{
			{ProtoTCP, a, 80}, {ProtoUDP, a, 53}, {ProtoTCP, b, 443},
			{ProtoTCP, a, 80}, // duplicate
		}, 3, map[steerVipKey]uint32{vipKey("198.18.0.10"): 2, vipKey("2001:db8::10"): 1}},
		{"replace", []ServiceKey{
			{ProtoTCP, a, 80}, {ProtoSCTP, c, 0},
			{ProtoTCP, netip.MustParseAddr("::ffff:198.18.0.10"), 8080}, // mapped = IPv4
		}, 3, map[steerVipKey]uint32{vipKey("198.18.0.10"): 2, vipKey("198.18.0.11"): 1}},
		{"same again", []ServiceKey{
			{ProtoTCP, a, 80}, {ProtoSCTP, c, 0}, {ProtoTCP, a, 8080},
		}, 3, map[steerVipKey]uint32{vipKey("198.18.0.10"): 2, vipKey("198.18.0.11"): 1}},
		{"empty", nil, 0, map[steerVipKey]uint32{}},
	}
	for _, st := range steps {
		if err := s.SetServices(st.keys); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		services := dumpMap[steerEndpointKey](t, s.objs.Services)
		want := make(map[steerEndpointKey]uint32)
		for _, k := range st.keys {
			ek, err := endpointKey(k)
			if err != nil {
				t.Fatal(err)
			}
			want[ek] = 0
		}
		if len(services) != st.services || !maps.Equal(services, want) {
			t.Errorf("%s: services map = %v, want %v", st.name, services, want)
		}
		if vips := dumpMap[steerVipKey](t, s.objs.Vips); !maps.Equal(vips, st.vips) {
			t.Errorf("%s: vips map = %v, want %v", st.name, vips, st.vips)
		}
	}
}

func TestEndpointKeyLayout(t *testing.T) {
	k, err := endpointKey(ServiceKey{Proto: ProtoUDP, Addr: netip.MustParseAddr("198.18.0.10"), Port: 0x1234})
	if err != nil {
		t.Fatal(err)
	}
	if k.Family != uint8(steerFamilyFAMILY_IPV4) || k.Proto != 17 {
		t.Errorf("family %d proto %d, want %d 17", k.Family, k.Proto, steerFamilyFAMILY_IPV4)
	}
	if want := netip.MustParseAddr("::ffff:198.18.0.10").As16(); k.Addr != want {
		t.Errorf("addr % x, want % x", k.Addr, want)
	}
	// The key's bytes as the kernel sees them carry the port in network
	// order, whatever the host order.
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.NativeEndian, k); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	if raw[2] != 0x12 || raw[3] != 0x34 {
		t.Errorf("port bytes % x, want 12 34", raw[2:4])
	}
	k6, err := endpointKey(ServiceKey{Proto: ProtoTCP, Addr: netip.MustParseAddr("fe80::1%eth0"), Port: 1})
	if err != nil {
		t.Fatal(err)
	}
	if k6.Family != uint8(steerFamilyFAMILY_IPV6) {
		t.Errorf("IPv6 family %d", k6.Family)
	}
}

func TestSetServicesRejectsInvalidKeys(t *testing.T) {
	s := loadT(t)
	good := ServiceKey{Proto: ProtoTCP, Addr: netip.MustParseAddr("198.18.0.10"), Port: 80}
	if err := s.SetServices([]ServiceKey{good}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  ServiceKey
		want error
	}{
		{ServiceKey{Proto: 1, Addr: good.Addr}, ErrProtocol},
		{ServiceKey{Proto: ProtoUDP}, ErrAddress},
	} {
		if err := s.SetServices([]ServiceKey{good, tc.key}); !errors.Is(err, tc.want) {
			t.Errorf("SetServices(%+v) = %v, want %v", tc.key, err, tc.want)
		}
	}
	// A rejected set leaves the maps as they were.
	if n := len(dumpMap[steerEndpointKey](t, s.objs.Services)); n != 1 {
		t.Errorf("services map has %d entries after rejected sets, want 1", n)
	}
	many := make([]ServiceKey, MaxServices+1)
	for i := range many {
		many[i] = ServiceKey{Proto: ProtoTCP, Addr: good.Addr, Port: uint16(i)}
	}
	many[len(many)-1].Proto = ProtoUDP
	if err := s.SetServices(many); !errors.Is(err, ErrCapacity) {
		t.Errorf("SetServices(%d keys) = %v, want ErrCapacity", len(many), err)
	}
}

func TestCounterNames(t *testing.T) {
	want := []string{
		"pass-icmp", "pass-malformed", "pass-no-service", "pass-no-xsk",
		"pass-not-ip", "pass-not-vip", "pass-other-proto", "pass-own-addr", "pass-vlan-depth",
		"steer-fullnat-reply", "steer-icmp-error", "steer-irregular", "steer-mark", "steer-nat-reply", "steer-service-ipv4", "steer-service-ipv6",
	}
	if got := slices.Sorted(slices.Values(reasonNames)); !slices.Equal(got, want) {
		t.Errorf("reason names = %v, want %v (renaming one renames a metric)", got, want)
	}
	s := loadT(t)
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(c)); !slices.Equal(got, want) {
		t.Errorf("Counters keys = %v, want %v", got, want)
	}
	for name, n := range c {
		if n != 0 {
			t.Errorf("fresh counter %s = %d", name, n)
		}
	}
}

func TestMapCapacities(t *testing.T) {
	spec, err := loadSteer()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint32{
		steerMapIfslots:      MaxInterfaces,
		steerMapXsks:         MaxInterfaces * MaxQueues,
		steerMapVips:         MaxVIPs,
		steerMapServices:     MaxServices,
		steerMapNatSources:   MaxNATSources,
		steerMapMarkPrefixes: MaxMarkPrefixes,
		steerMapLocalAddrs:   MaxLocalAddrs,
		steerMapCounters:     uint32(steerReasonREASON_MAX),
	} {
		if got := spec.Maps[name].MaxEntries; got != want {
			t.Errorf("map %s has %d entries in steer.c, Go expects %d", name, got, want)
		}
	}
}
