package labtraffic

import (
	"context"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// BenchmarkTCPRoundOverVeth measures one checked TCP round-trip of 32 KiB
// each way between two namespaces (a kernel-only baseline for the lab's
// traffic, without a director).
func BenchmarkTCPRoundOverVeth(b *testing.B) {
	lab := netlab.NewT(b, "benchtcp")
	c, s := benchPair(b, lab)
	srv, err := Serve(s, "srv", []string{"198.18.0.2:80"}, []string{"198.18.0.2:53"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	data := payload(1, 32<<10)
	b.SetBytes(int64(2 * len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := TCPRound(context.Background(), c, "198.18.0.2:80", data, 5*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUDPRoundOverVeth measures one 512-byte UDP round-trip from a
// fresh socket between two namespaces.
func BenchmarkUDPRoundOverVeth(b *testing.B) {
	lab := netlab.NewT(b, "benchudp")
	c, s := benchPair(b, lab)
	srv, err := Serve(s, "srv", nil, []string{"198.18.0.2:53"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	data := payload(1, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := UDPRound(context.Background(), c, "198.18.0.2:53", data, 5*time.Second, 3); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPair(b *testing.B, lab *netlab.Lab) (client, server *netlab.NS) {
	b.Helper()
	var err error
	if client, err = lab.AddNS("c"); err != nil {
		b.Fatal(err)
	}
	if server, err = lab.AddNS("s"); err != nil {
		b.Fatal(err)
	}
	if err := lab.Veth(client, "eth0", server, "eth0", netlab.LinkOptions{TxChecksumOff: true}); err != nil {
		b.Fatal(err)
	}
	if err := client.AddAddr("eth0", "198.18.0.1/24"); err != nil {
		b.Fatal(err)
	}
	if err := server.AddAddr("eth0", "198.18.0.2/24"); err != nil {
		b.Fatal(err)
	}
	return client, server
}
