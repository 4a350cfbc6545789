// Package testpkt builds Ethernet frames for tests and checks frames that
// the code under test produced.
//
// Build a frame with the fluent [Builder], starting from [Eth]:
//
//	frame := testpkt.Eth(clientMAC, routerMAC).VLAN(100).
//		IPv4(client, vip).TTL(64).
//		TCP(40000, 80, packet.TCPSyn).Seq(1).Payload([]byte("GET /")).
//		Bytes()
//
// Lengths and checksums come out right unless a method deliberately
// corrupts them (IHL, TotalLength, DataOffset, UDPLength, L4Checksum,
// Truncate, ...). Builder methods take and return values, so a partly
// built Builder can be shared by the cases of a table.
//
// Check a frame with [Check] and checker options, in the style of
// gVisor's checker package:
//
//	testpkt.Check(t, out, testpkt.DstMAC(rsMAC), testpkt.Dst(rip),
//		testpkt.DstPort(8080), testpkt.ValidChecksums())
//
// The checker decodes frames on its own (with package header), not with
// package packet, so it can check the parser too. The package is for
// tests only.
package testpkt
