// Package decap implements the tc-BPF tunnel decapsulator that xlvs-rs
// attaches to a real server's interface when the kernel has no ipip,
// ip6_tunnel or fou module (or when asked to).
//
// The program (decap.c, compiled by bpf2go into the committed
// decap_bpfel/decap_bpfeb files) runs on the clsact ingress hook of an
// Ethernet interface and decapsulates what an IPVS or xlvs director sends
// in tunnelling mode:
//
//   - IPIP: outer IPv4 or IPv6, protocol 4 (IPv4 inside) or 41 (IPv6
//     inside) — IPv4-in-IPv4, IPv6-in-IPv6 and the mixed cases IPVS sends to
//     a real server of the other family;
//   - GUE on the configured UDP port ([Decap.SetGUEPort]): a 4-byte GUE
//     header of version 0 with the C bit clear, no options and protocol 4
//     or 41, as IPVS sends with --tun-type gue since Linux 5.2; GUE
//     version 1 (the inner IP header directly after UDP) as Linux fou
//     accepts it;
//   - GRE (IP protocol 47) when enabled ([Decap.SetGRE]): the 4-byte
//     header of RFC 2784 with protocol 0x0800 or 0x86DD, and with the
//     checksum present bit the 8-byte header whose checksum is verified,
//     as IPVS sends with --tun-type gre [--tun-csum] since Linux 5.2.
//
// # Policy
//
// Only a tunnel packet whose inner destination is one of the VIPs
// ([Decap.SetVIPs]) is decapsulated: the outer IP (and UDP, GUE) headers
// are removed with bpf_skb_adjust_room(BPF_ADJ_ROOM_MAC) and the skb
// protocol follows the inner header, so the kernel delivers the inner
// packet to the socket bound on the VIP (which must be a local address,
// e.g. on lo). A packet is counted exactly once ([CounterNames]):
//
//   - decap-ipip, decap-gue, decap-gre: decapsulated;
//   - pass-not-tunnel: not a tunnel packet — passed untouched;
//   - pass-not-vip: a tunnel packet whose inner destination is not a VIP —
//     passed untouched (the kernel may have its own use for it);
//   - pass-fragment: a fragment of a tunnel packet (the outer packet was
//     fragmented on the way) — passed untouched: tc sees fragments before
//     reassembly, so they cannot be decapsulated here;
//   - drop-malformed: a tunnel packet whose GUE or inner IP header is
//     truncated or invalid (GUE version 2 or 3, a control message, GUE
//     options such as IPVS's --tun-remcsum, an unknown inner protocol, an
//     inner header of the wrong IP version, a truncated GRE header) — dropped;
//   - drop-adjust-failed: the kernel refused to remove the headers — dropped;
//   - drop-bad-checksum: GRE with a checksum that does not verify — dropped,
//     as the kernel's gre_parse_header drops it;
//   - pass-gre-options: GRE with a key or a sequence number (RFC 2890),
//     which IPVS never sends — passed untouched, for a keyed GRE tunnel the
//     host may have of its own.
//
// GRE with the routing bit or other reserved bits set is malformed
// (drop-malformed), as the kernel refuses it; GRE of another version (1
// is PPTP) or carrying something else than IPv4 or IPv6 (Ethernet,
// ERSPAN) is not a tunnel of ours (pass-not-tunnel).
//
// The outer destination is not checked: a tunnel packet that reaches the
// interface with an inner destination that is a VIP is decapsulated.
// IPv6 outer headers followed by extension headers (other than a fragment
// header) are not walked and count as pass-not-tunnel; IPVS adds none.
//
// # Lifetime
//
// The tc filter holds the program, and the program its maps: after
// [Decap.Attach] the decapsulator keeps working when the process that
// attached it exits. Another process finds it again with [Find] (to read
// the counters or change the VIPs) and removes it with [Detach].
//
// # Concurrency
//
// A [Decap] may be used from several goroutines; each method is a few BPF
// syscalls with no state of its own, except [Decap.Close], which must run
// last. These are control-path operations, never per packet.
//
// The package builds on Linux only.
package decap
