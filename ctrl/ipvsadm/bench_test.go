package ipvsadm

import (
	"io"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

// bigTable is n services of 8 real servers each, in scattered order.
func bigTable(n int) []api.Service {
	svcs := make([]api.Service, n)
	for i := range svcs {
		s := &svcs[i]
		s.Key = api.ServiceKey{Protocol: api.ProtoTCP, Addr: addrFromUint32(uint32(i) * 2654435761), Port: 80}
		s.Scheduler = "wlc"
		s.Netmask = defaultNetmask
		for j := 0; j < 8; j++ {
			s.Dests = append(s.Dests, api.Dest{Addr: addrFromUint32(0xc0a80000 + uint32(i*8+j)*40503), Port: 80,
				Method: api.MethodMasq, Weight: 1, Stats: api.Stats{Conns: uint64(i * j * 1000003)}})
		}
	}
	return svcs
}

func BenchmarkListAll1000(b *testing.B) {
	svcs := bigTable(1000)
	info := api.Info{Version: 0x010201, ConnTabSize: 4096}
	b.ReportAllocs()
	for b.Loop() {
		if err := ListAll(io.Discard, info, svcs, FmtNumeric|FmtStats, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAddServer(b *testing.B) {
	args := []string{"-a", "-t", "10.0.0.1:80", "-r", "192.168.10.2:8080", "-m", "-w", "2", "-x", "100", "-y", "10"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseWith("ipvsadm", args, nil); err != nil {
			b.Fatal(err)
		}
	}
}
