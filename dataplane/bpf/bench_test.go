//go:build linux

package bpf

import "testing"

// BenchmarkSteer measures the program per decision with BPF_PROG_RUN
// (kernel-side average per frame, reported as ns/frame; the Go loop runs
// once per b.N batch).
func BenchmarkSteer(b *testing.B) {
	s := steeringT(b)
	cases := []struct {
		name  string
		frame []byte
	}{
		{"arp", ether().etherType(etherARP, 28).bytes()},
		{"ipv4-not-vip", ether().ipv4(client4, notVIP4).tcp(1000, 80).bytes()},
		{"ipv4-service", ether().ipv4(client4, vip4).tcp(1000, 80).bytes()},
		{"ipv4-port0-service", ether().ipv4(client4, vip4All).tcp(1000, 8080).bytes()},
		{"ipv4-no-service", ether().ipv4(client4, vip4).tcp(1000, 81).bytes()},
		{"ipv6-service", ether().ipv6(client6, vip6).tcp(1000, 443).bytes()},
		{"ipv6-hop-by-hop-service", ether().ipv6(client6, vip6).ext6(0).tcp(1000, 443).bytes()},
		{"qinq-ipv4-service", ether(tpidQinQ, tpid8021Q).ipv4(client4, vip4).tcp(1000, 80).bytes()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			_, per, err := s.objs.XlvsSteer.Benchmark(c.frame, b.N, b.ResetTimer)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(per.Nanoseconds()), "ns/frame")
		})
	}
}
