package packet_test

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name  string
		frame []byte
	}{
		{"IPv4-TCP", v4.TCP(40000, 80, packet.TCPSyn).Payload(make([]byte, 6)).Bytes()},
		{"IPv6-UDP", v6.UDP(40000, 53).Payload(make([]byte, 18)).Bytes()},
		{"VLAN-IPv4-TCP", eth.VLAN(100).IPv4(cl4, vip4).TCP(40000, 80, packet.TCPAck).Payload(make([]byte, 2)).Bytes()},
		{"QinQ-IPv6-TCP", eth.VLAN(100).VLAN(200).IPv6(cl6, vip6).TCP(40000, 80, packet.TCPAck).Bytes()},
		{"IPv6-ext-UDP", v6.IPv6Ext(header.IPProtoHopByHop, 8).IPv6Ext(header.IPProtoDstOpts, 8).UDP(1, 53).Bytes()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var m packet.Meta
			if r := packet.Parse(c.frame, &m); r != verdict.None {
				b.Fatalf("Parse = %v", r)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(c.frame)))
			for b.Loop() {
				packet.Parse(c.frame, &m)
			}
		})
	}
}
