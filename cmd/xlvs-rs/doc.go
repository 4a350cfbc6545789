// Command xlvs-rs prepares a Linux host to be a real server of an LVS
// (IPVS or xlvs) director in direct-routing (DR) or tunnelling (TUN) mode,
// and undoes it exactly. It replaces the hand-written lvs_dr_rs.sh scripts.
//
//	xlvs-rs up --vip ADDR [--vip ADDR...] --mode dr|tun [--dev IFNAME]
//	           [--tun-type ipip|gue|gre [--tun-port N]] [--decap auto|bpf|kernel] [--state FILE]
//	xlvs-rs down [--state FILE]
//	xlvs-rs status [--state FILE]
//
// up puts every VIP on lo (IPv4 /32, IPv6 /128; IPv6 ones without
// duplicate address detection, and returns once they can be bound and
// receive: not tentative, local route in place, at most 5 s) and sets
// net.ipv4.conf.{all,DEV}.arp_ignore=1 and arp_announce=2, so the host
// accepts packets to the VIPs without answering ARP for them. DEV is --dev
// or, by default, the interface of the default route. In TUN mode it also
// makes net.ipv4.conf.{all,DEV}.rp_filter loose (2) where it was strict (1)
// — decapsulated packets carry the client's source, which need not be
// routed via DEV — and decapsulates the director's IPIP or GUE packets:
// with the kernel's ipip/fou modules when they exist (--decap kernel, or
// auto), else (--decap bpf, or auto without the modules) with a tc-BPF
// program on DEV's clsact ingress hook (package dataplane/decap). IPIP
// (protocols 4 and 41) is always decapsulated in TUN mode; --tun-type gue
// adds GUE on UDP port --tun-port, --tun-type gre adds GRE (protocol 47,
// with or without the checksum IPVS's --tun-csum adds).
//
// up records every change it makes — previous sysctl values, the addresses
// it added, the qdisc and filter it created — in the state file (default
// /run/xlvs-rs/state.json), and down restores exactly that: an address
// that was on lo before up stays, a sysctl goes back to its previous value.
// up is idempotent: run again, it adds nothing twice and keeps the first
// previous values; its VIP list replaces the earlier one. Changing the
// mode, device or tunnel needs a down first. A failed up undoes what it
// changed. The state file belongs to one network namespace; use --state to
// keep one per namespace.
//
// Exit status: 0 success; 1 a change failed (what this run changed is
// undone); 2 bad usage; 3 status found nothing set up; 4 up conflicts with
// what is set up (another mode, device or tunnel, or another namespace).
package main
