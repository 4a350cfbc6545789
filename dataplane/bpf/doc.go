// Package bpf implements the XDP steering program of xlvs and its loader.
//
// The program (steer.c, compiled by bpf2go into the committed
// steer_bpfel/steer_bpfeb files) decides for every received frame whether
// the userspace director must handle it — then it is redirected into the
// AF_XDP socket of its (interface, rx queue) — or whether the kernel keeps
// it (XDP_PASS): ARP/ND, routing, ssh, health checks, routing protocols.
//
// # Policy
//
// Ethernet with up to two VLAN tags (802.1Q, 802.1ad) is parsed; anything
// that is not IPv4/IPv6 is passed. The destination address is looked up in
// the set of VIPs (addresses with at least one service). For a VIP:
//
//   - irregular packets (IPv4 options or bad version, bad total/payload
//     length, IPv4 fragments, an IPv6 fragment header or an extension chain
//     longer than the parser walks, a truncated TCP/UDP/SCTP header) are
//     steered, so userspace drops them with a precise reason and no frame
//     disappears uncounted;
//   - TCP/UDP/SCTP packets are steered when (protocol, VIP, port) or
//     (protocol, VIP, 0) — a port-0 service, all ports — is a service, and
//     passed otherwise;
//   - ICMP errors (destination unreachable, source quench, time exceeded;
//     ICMPv6 destination unreachable, packet too big, time exceeded) that
//     quote a packet a service sent — (protocol, VIP, port) of the quoted
//     source is a service — are steered, so the director forwards them to
//     the connection's real server; echo requests and other ICMP/ICMPv6
//     stay with the kernel (it answers pings to the VIP), as do other
//     protocols.
//
// Before all of this, a regular TCP/UDP/SCTP packet is steered when the
// first mark rule ([Steering.SetMarkRules]) matching its protocol,
// destination prefix and port gives it a firewall-mark service — whether
// or not the destination is a VIP.
//
// A packet to a non-VIP destination is steered when its source
// (protocol, address, port) or (protocol, address, 0) is a NAT real server
// ([Steering.SetNATSources]; empty by default), and so is an ICMP error
// to a non-VIP destination that quotes a packet to a NAT real server
// (from the real server or a router on the way to it). Such an entry also catches
// replies to the kernel's own connections to that real server (health
// checks), so the NAT feature must either use a separate local address for
// health checks or extend the program.
//
// A packet to a non-VIP destination that is a FULLNAT local address
// ([Steering.SetLocalAddrs]) is steered when it is TCP or UDP to a port of
// the local port range (a reply from a real server) or irregular; other
// packets to it (ICMP, ssh, ports outside the range) go to the kernel.
//
// Every frame increments exactly one counter ([Steering.Counters]), so the
// counters add up to the frames the program saw. Steered frames for which
// no socket is registered fall back to XDP_PASS and count as "pass-no-xsk".
//
// # Lifetime and crashes
//
// [Steering.Attach] attaches through a bpf_link. The link belongs to the
// file descriptor the process holds: when the process exits — even by
// kill -9 — the kernel closes it and detaches the program, so a crash never
// leaves an interface black-holed. A program attached the legacy way
// (netlink, `ip link set dev X xdp ...`) outlives its loader; Attach
// detaches such a stale program and retries, so a restart always works. A
// link held by another live process is never touched ([ErrBusy]).
//
// # Concurrency
//
// A [Steering] is safe for concurrent use; its methods serialise on a
// mutex. They are control-path operations (syscalls, allocations) and must
// not be called per packet. The program itself runs in the kernel, reading
// the maps while they are updated: [Steering.SetServices] orders its
// updates so that a packet only ever sees a consistent old or new decision
// for each service.
//
// The package builds on Linux only (steer_bpfel.go/steer_bpfeb.go carry the
// linux build tag).
package bpf
