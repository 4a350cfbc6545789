//go:build ignore

// steer.c is the XDP steering program of xlvs. For every received frame it
// decides between two fates:
//
//   - XDP_REDIRECT into the AF_XDP socket bound to this (interface, rx queue),
//     for the traffic the userspace director must handle: packets to a
//     virtual service, irregular packets to a VIP (so that userspace counts
//     and drops them with a precise reason), NAT replies, and ICMP errors
//     that quote a packet of a service (sent to a VIP), a packet to a NAT
//     real server or a packet a FULLNAT local address sent;
//   - XDP_PASS for everything else, so the kernel keeps doing ARP/ND,
//     routing, ssh, health checks and routing protocols. Replies from a NAT
//     real server to one of the director's own addresses (`own_addrs`)
//     answer the director's own health checks and pass too.
//
// Every frame increments exactly one counter (enum reason), so the sum of
// the counters is the number of frames the program saw.
//
// The Go side (dataplane/bpf) gets the key layouts and both enums through
// `bpf2go -type`; never mirror them by hand. Counter names are derived from
// the enum identifiers (REASON_PASS_NOT_IP -> "pass-not-ip"): renaming an
// enumerator renames a metric.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// Capacities. MAX_IFACES and MAX_QUEUES size the XSKMAP: the socket of
// (interface slot s, rx queue q) sits at index s*MAX_QUEUES + q.
#define MAX_IFACES 16
#define MAX_QUEUES 64
#define MAX_VIPS 4096
#define MAX_SERVICES 16384
#define MAX_NAT_SOURCES 16384
#define MAX_LOCAL_ADDRS 256
#define MAX_MARK_PREFIXES 1024
#define MAX_MARK_RULES 16 // mark rules that can apply to one prefix
#define MAX_OWN_ADDRS 1024

// Parser bounds: VLAN tags (802.1Q / 802.1ad) and IPv6 extension headers
// walked before giving up (an IPv6 packet to a VIP with a longer chain is
// steered as irregular).
#define MAX_VLAN_DEPTH 2
#define MAX_EXT_HDRS 4

// IPv4 fragment bits of frag_off (host order).
#define IP4_MF 0x2000
#define IP4_OFFSET 0x1fff

// IPv6 extension headers the parser can walk (IPPROTO_AH comes from in.h).
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_DEST 60

// enum reason indexes the counters map. Each frame counts exactly once.
// Keep REASON_MAX last; it sizes the map.
enum reason {
	REASON_PASS_NOT_IP,         // not IPv4/IPv6 (ARP, LLDP, ...)
	REASON_PASS_VLAN_DEPTH,     // more VLAN tags than MAX_VLAN_DEPTH
	REASON_PASS_MALFORMED,      // too short to read the L2/L3 addresses
	REASON_PASS_NOT_VIP,        // destination is not a VIP, not a NAT reply
	REASON_PASS_NO_SERVICE,     // to a VIP, but no service on that port
	REASON_PASS_ICMP,           // ICMP/ICMPv6 to a VIP
	REASON_PASS_OTHER_PROTO,    // other protocol to a VIP
	REASON_PASS_NO_XSK,         // steered, but no socket for (ifindex, queue)
	REASON_STEER_SERVICE_IPV4,  // to an IPv4 service
	REASON_STEER_SERVICE_IPV6,  // to an IPv6 service
	REASON_STEER_IRREGULAR,     // irregular packet to a VIP
	REASON_STEER_NAT_REPLY,     // source is a NAT real server
	REASON_STEER_ICMP_ERROR,    // ICMP error quoting a service's or a NAT real server's packet
	REASON_STEER_FULLNAT_REPLY, // to a FULLNAT local address and port
	REASON_STEER_MARK,          // a mark rule gives it a firewall-mark service
	REASON_PASS_OWN_ADDR,       // from a NAT real server to the director's own address (its health checks)
	REASON_MAX,
};

// enum family is the family byte of struct endpoint_key (AF_INET/AF_INET6).
enum family {
	FAMILY_IPV4 = 2,
	FAMILY_IPV6 = 10,
};

// struct vip_key is the key of `vips`: an IPv6 address, or an IPv4 one
// mapped as ::ffff:a.b.c.d.
struct vip_key {
	__u8 addr[16];
};

// struct endpoint_key is the key of `services` (destination of a packet) and
// `nat_sources` (source of a packet). port is in network byte order; port 0
// means every port of addr. addr is as in struct vip_key.
struct endpoint_key {
	__u8 proto;
	__u8 family;
	__be16 port;
	__u8 addr[16];
};

// struct mark_key is the key of `mark_prefixes`: an LPM trie key, the
// prefix length over the 16-byte address (IPv4 /n as ::ffff:a.b.c.d/96+n).
struct mark_key {
	__u32 prefixlen;
	__u8 addr[16];
};

// struct mark_rules lists, in rule order, the mark rules that apply to the
// addresses of one prefix: the rules of that prefix and of every shorter
// rule prefix containing it, so the longest-prefix match alone yields all
// rules that can match an address. Ports are in host order; proto 0 is TCP,
// UDP and SCTP. steer is 1 when the rule's mark has a firewall-mark service
// of the family: the workers give a packet the mark of the first matching
// rule, so the first match alone decides here too.
struct mark_rules {
	__u32 count;
	struct {
		__u8 proto;
		__u8 steer;
		__u16 port_from;
		__u16 port_to;
	} rule[MAX_MARK_RULES];
};

// mark_prefixes: the mark rules by destination prefix (xlvs's native
// firewall marks; see struct mark_rules).
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct mark_key);
	__type(value, struct mark_rules);
	__uint(max_entries, MAX_MARK_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} mark_prefixes SEC(".maps");

// mark_count: one entry, the number of prefixes in mark_prefixes, so that
// without mark rules a packet costs an array lookup, not a trie walk.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} mark_count SEC(".maps");

// vips: destination addresses that have at least one service. The value is
// the number of services on the address (maintained by userspace).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, __u32);
	__uint(max_entries, MAX_VIPS);
} vips SEC(".maps");

// services: virtual services; the value is reserved (0).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct endpoint_key);
	__type(value, __u32);
	__uint(max_entries, MAX_SERVICES);
} services SEC(".maps");

// nat_sources: (proto, real-server address, port) of NAT real servers; a
// packet from one of them to a non-VIP destination is a NAT reply. Empty
// until NAT steering is configured; the value is reserved (0).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct endpoint_key);
	__type(value, __u32);
	__uint(max_entries, MAX_NAT_SOURCES);
} nat_sources SEC(".maps");

// own_addrs: the director's own addresses (kept in sync by xlvsd from
// netlink address events); the value is reserved (0). A packet from a NAT
// real server (or an ICMP error about a packet to one) addressed to one
// of them answers the director's own connection, a health check, not a
// client's: it goes to the kernel (see own_addr() below). FULLNAT local
// addresses are excluded: xlvsd leaves them out of this map, and the
// FULLNAT local_addrs steering runs before the nat_sources lookup.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, __u32);
	__uint(max_entries, MAX_OWN_ADDRS);
} own_addrs SEC(".maps");

// ifslots: ifindex -> slot (0..MAX_IFACES-1) in the XSKMAP.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, MAX_IFACES);
} ifslots SEC(".maps");

// xsks: AF_XDP sockets, index slot*MAX_QUEUES + rx queue.
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, MAX_IFACES * MAX_QUEUES);
} xsks SEC(".maps");

// counters: frames per enum reason, per CPU.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, REASON_MAX);
} counters SEC(".maps");

// FULLNAT local addresses (LIPs). A TCP or UDP packet to a local address
// whose destination port is in the local port range is a reply from a
// real server to a FULLNAT connection, and an ICMP error to one quoting
// TCP or UDP from a port in the range concerns a FULLNAT connection; an
// irregular packet to one is steered too, so that userspace drops and
// counts it. Other packets to a local address (echo requests and other
// ICMP, ports outside the range) go to the kernel.

// struct laddr_range is the value of `local_addrs`: the local port range,
// inclusive, in host byte order, and the address's family (enum family),
// so that an IPv6 packet to ::ffff:a.b.c.d does not match IPv4 a.b.c.d.
struct laddr_range {
	__u16 min_port;
	__u16 max_port;
	__u32 family;
};

// local_addrs: FULLNAT local addresses (key as in struct vip_key).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, struct laddr_range);
	__uint(max_entries, MAX_LOCAL_ADDRS);
} local_addrs SEC(".maps");

// struct packet is what the L3 parsers hand to decide().
struct packet {
	struct endpoint_key key; // family and destination address filled in
	__u8 saddr[16];          // source address, mapped like key.addr
	__u8 proto;              // transport protocol after IPv6 ext headers
	__u8 irregular;          // see decide()
	__be16 sport;            // valid for TCP/UDP/SCTP when !irregular
	__be16 dport;
	// An ICMP error (see read_icmp4/read_icmp6) and the endpoints of the
	// packet it quotes, addresses mapped like key.addr.
	__u8 icmp_error;
	__u8 inner_proto;
	__be16 inner_sport;
	__be16 inner_dport;
	__u8 inner_saddr[16];
	__u8 inner_daddr[16];
};

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

// count adds one to the counter of r. Not inlined: one copy of the map
// update, and its signature puts enum reason into BTF for bpf2go -type.
static __noinline void count(enum reason r)
{
	__u32 key = r;
	__u64 *c = bpf_map_lookup_elem(&counters, &key);

	if (c)
		*c += 1;
}

static __always_inline int pass(enum reason r)
{
	count(r);
	return XDP_PASS;
}

// redirect sends the frame to the socket of (ingress interface, rx queue),
// counting r, or passes it to the kernel (REASON_PASS_NO_XSK) when there is
// no such socket.
static __always_inline int redirect(struct xdp_md *ctx, enum reason r)
{
	__u32 ifindex = ctx->ingress_ifindex;
	__u32 queue = ctx->rx_queue_index;
	__u32 *slot = bpf_map_lookup_elem(&ifslots, &ifindex);

	if (!slot || *slot >= MAX_IFACES || queue >= MAX_QUEUES)
		return pass(REASON_PASS_NO_XSK);
	if (bpf_redirect_map(&xsks, *slot * MAX_QUEUES + queue, XDP_PASS) != XDP_REDIRECT)
		return pass(REASON_PASS_NO_XSK);
	count(r);
	return XDP_REDIRECT;
}

// read_ports reads the ports of a TCP, UDP or SCTP header at l4, which has
// len bytes of IP payload. A header shorter than the protocol's minimum
// (in the frame or in the IP payload) makes the packet irregular. Other
// protocols have no ports.
static __always_inline void read_ports(struct packet *p, void *l4, void *data_end, __u32 len)
{
	__be16 *ports = l4;

	switch (p->proto) {
	case IPPROTO_TCP:
		if (l4 + 20 > data_end || len < 20)
			goto truncated;
		break;
	case IPPROTO_UDP:
		if (l4 + 8 > data_end || len < 8)
			goto truncated;
		break;
	case IPPROTO_SCTP:
		if (l4 + 12 > data_end || len < 12)
			goto truncated;
		break;
	default:
		return;
	}
	// Implied by the checks above; repeated so the verifier sees it
	// whatever the compiler merges.
	if (l4 + 4 > data_end)
		goto truncated;
	p->sport = ports[0];
	p->dport = ports[1];
	return;
truncated:
	p->irregular = 1;
}

// inner_ports reads the ports of the quoted transport header at l4 when the
// quoted protocol has ports, and marks the packet as an ICMP error.
static __always_inline void inner_ports(struct packet *p, void *l4, void *data_end)
{
	__be16 *ports = l4;

	switch (p->inner_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	default:
		return;
	}
	if (l4 + 4 > data_end)
		return;
	p->inner_sport = ports[0];
	p->inner_dport = ports[1];
	p->icmp_error = 1;
}

// read_icmp4 recognises the ICMP errors userspace forwards (destination
// unreachable, source quench, time exceeded) that quote an IPv4 header
// without options and the ports of its transport header.
static __always_inline void read_icmp4(struct packet *p, void *l4, void *data_end, __u32 len)
{
	__u8 *icmp = l4;
	struct iphdr *in = l4 + 8;

	if ((void *)(in + 1) + 4 > data_end || len < 8 + sizeof(*in) + 4)
		return;
	if (icmp[0] != 3 && icmp[0] != 4 && icmp[0] != 11)
		return;
	if (*(__u8 *)in != 0x45)
		return;
	p->inner_proto = in->protocol;
	p->inner_saddr[10] = 0xff;
	p->inner_saddr[11] = 0xff;
	__builtin_memcpy(&p->inner_saddr[12], &in->saddr, 4);
	p->inner_daddr[10] = 0xff;
	p->inner_daddr[11] = 0xff;
	__builtin_memcpy(&p->inner_daddr[12], &in->daddr, 4);
	inner_ports(p, in + 1, data_end);
}

// read_icmp6 is read_icmp4 for ICMPv6 destination unreachable, packet too
// big and time exceeded quoting an IPv6 header directly followed by the
// transport header (a quoted extension header chain stays with the kernel).
static __always_inline void read_icmp6(struct packet *p, void *l4, void *data_end, __u32 len)
{
	__u8 *icmp = l4;
	struct ipv6hdr *in = l4 + 8;

	if ((void *)(in + 1) + 4 > data_end || len < 8 + sizeof(*in) + 4)
		return;
	if (icmp[0] != 1 && icmp[0] != 2 && icmp[0] != 3)
		return;
	p->inner_proto = in->nexthdr;
	__builtin_memcpy(p->inner_saddr, &in->saddr, 16);
	__builtin_memcpy(p->inner_daddr, &in->daddr, 16);
	inner_ports(p, in + 1, data_end);
}

// own_addr reports whether the destination of p (key.addr must still hold
// it) is one of the director's own addresses.
static __always_inline int own_addr(struct packet *p)
{
	return bpf_map_lookup_elem(&own_addrs, p->key.addr) != NULL;
}

// steer_icmp_error steers an ICMP error when the endpoint it quotes,
// (inner protocol, addr, port) or (inner protocol, addr, 0), is in map m,
// unless it is addressed to the director itself (own): then it concerns
// the director's own connection and goes to the kernel.
static __always_inline int steer_icmp_error(struct xdp_md *ctx, struct packet *p, void *m,
					    __u8 *addr, __be16 port, enum reason otherwise, int own)
{
	struct endpoint_key *key = &p->key;

	key->proto = p->inner_proto;
	key->port = port;
	__builtin_memcpy(key->addr, addr, sizeof(key->addr));
	if (bpf_map_lookup_elem(m, key))
		return own ? pass(REASON_PASS_OWN_ADDR) : redirect(ctx, REASON_STEER_ICMP_ERROR);
	key->port = 0;
	if (bpf_map_lookup_elem(m, key))
		return own ? pass(REASON_PASS_OWN_ADDR) : redirect(ctx, REASON_STEER_ICMP_ERROR);
	return pass(otherwise);
}

// mark_steers reports whether the first mark rule matching the packet (a
// regular TCP/UDP/SCTP packet; p->key.addr is its destination) gives it a
// firewall-mark service.
static __always_inline int mark_steers(struct packet *p)
{
	__u32 zero = 0;
	__u32 *n = bpf_map_lookup_elem(&mark_count, &zero);
	struct mark_key k = { .prefixlen = 128 };
	struct mark_rules *r;
	__u16 port;

	if (!n || *n == 0)
		return 0;
	__builtin_memcpy(k.addr, p->key.addr, sizeof(k.addr));
	r = bpf_map_lookup_elem(&mark_prefixes, &k);
	if (!r)
		return 0;
	port = bpf_ntohs(p->dport);
#pragma unroll
	for (int i = 0; i < MAX_MARK_RULES; i++) {
		if (i >= r->count)
			break;
		if (r->rule[i].proto && r->rule[i].proto != p->proto)
			continue;
		if (port < r->rule[i].port_from || port > r->rule[i].port_to)
			continue;
		return r->rule[i].steer;
	}
	return 0;
}

// steer_local_addr steers FULLNAT replies (see local_addrs) and returns
// the XDP action, or -1 when the packet is not addressed to a local
// address and port.
static __always_inline int steer_local_addr(struct xdp_md *ctx, struct packet *p)
{
	struct laddr_range *r = bpf_map_lookup_elem(&local_addrs, p->key.addr);
	__u16 port;

	if (!r || r->family != p->key.family)
		return -1;
	if (p->irregular)
		return redirect(ctx, REASON_STEER_IRREGULAR);
	// An ICMP error about a packet the local address sent (LIP:lport →
	// RIP:rport, from the real server or a router towards it) goes to
	// the connection's client.
	if (p->icmp_error) {
		port = bpf_ntohs(p->inner_sport);
		if ((p->inner_proto == IPPROTO_TCP || p->inner_proto == IPPROTO_UDP) &&
		    port >= r->min_port && port <= r->max_port)
			return redirect(ctx, REASON_STEER_ICMP_ERROR);
		return -1;
	}
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return -1;
	port = bpf_ntohs(p->dport);
	if (port < r->min_port || port > r->max_port)
		return -1;
	return redirect(ctx, REASON_STEER_FULLNAT_REPLY);
}

// decide is the policy, shared by both families. Not inlined: one copy for
// IPv4 and IPv6, and its signature puts enum family into BTF.
//
// Irregular packets (IPv4 options, bad version or length, fragments, IPv6
// fragment header or an extension chain too long to walk, truncated
// transport header) to a VIP go to userspace, which drops them with a
// precise reason: none is lost silently, none reaches the kernel by
// accident.
static __noinline int decide(struct xdp_md *ctx, struct packet *p, enum family family)
{
	struct endpoint_key *key = &p->key;

	// Marks first, as the workers look firewall-mark services up first;
	// the destination need not be a VIP.
	if (!p->irregular && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP || p->proto == IPPROTO_SCTP) &&
	    mark_steers(p))
		return redirect(ctx, REASON_STEER_MARK);
	if (!bpf_map_lookup_elem(&vips, key->addr)) {
		int ret = steer_local_addr(ctx, p);

		if (ret >= 0)
			return ret;
		if (p->irregular)
			return pass(REASON_PASS_NOT_VIP);
		// Replies to the director's own connections (health checks of
		// NAT real servers) stay with the kernel: looked up before the
		// nat_sources lookups overwrite key->addr.
		int own = own_addr(p);

		// An error about a packet to a NAT real server (from the real
		// server or a router on its way) goes to the client.
		if (p->icmp_error)
			return steer_icmp_error(ctx, p, &nat_sources, p->inner_daddr, p->inner_dport,
						REASON_PASS_NOT_VIP, own);
		switch (p->proto) {
		case IPPROTO_TCP:
		case IPPROTO_UDP:
		case IPPROTO_SCTP:
			break;
		default:
			return pass(REASON_PASS_NOT_VIP);
		}
		key->proto = p->proto;
		key->port = p->sport;
		__builtin_memcpy(key->addr, p->saddr, sizeof(key->addr));
		if (bpf_map_lookup_elem(&nat_sources, key))
			return own ? pass(REASON_PASS_OWN_ADDR) : redirect(ctx, REASON_STEER_NAT_REPLY);
		key->port = 0;
		if (bpf_map_lookup_elem(&nat_sources, key))
			return own ? pass(REASON_PASS_OWN_ADDR) : redirect(ctx, REASON_STEER_NAT_REPLY);
		return pass(REASON_PASS_NOT_VIP);
	}

	if (p->irregular)
		return redirect(ctx, REASON_STEER_IRREGULAR);

	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		// An error about a packet a service sent goes to its real
		// server; echo requests and the rest stay with the kernel.
		if (p->icmp_error)
			return steer_icmp_error(ctx, p, &services, p->inner_saddr, p->inner_sport,
						REASON_PASS_ICMP, 0);
		return pass(REASON_PASS_ICMP);
	default:
		return pass(REASON_PASS_OTHER_PROTO);
	}

	enum reason steered = family == FAMILY_IPV4 ? REASON_STEER_SERVICE_IPV4 : REASON_STEER_SERVICE_IPV6;

	key->proto = p->proto;
	key->port = p->dport;
	if (bpf_map_lookup_elem(&services, key))
		return redirect(ctx, steered);
	key->port = 0;
	if (bpf_map_lookup_elem(&services, key))
		return redirect(ctx, steered);
	return pass(REASON_PASS_NO_SERVICE);
}

static __always_inline int handle_ipv4(struct xdp_md *ctx, void *l3, void *data_end)
{
	struct iphdr *ip = l3;
	struct packet p = {};
	__u8 vihl;
	__u32 total;

	if ((void *)(ip + 1) > data_end)
		return pass(REASON_PASS_MALFORMED);

	p.key.family = FAMILY_IPV4;
	p.key.addr[10] = 0xff;
	p.key.addr[11] = 0xff;
	__builtin_memcpy(&p.key.addr[12], &ip->daddr, 4);
	p.saddr[10] = 0xff;
	p.saddr[11] = 0xff;
	__builtin_memcpy(&p.saddr[12], &ip->saddr, 4);
	p.proto = ip->protocol;

	// Version and IHL share the first byte; read it whole, as the
	// bitfields of struct iphdr follow the host, not the target, order.
	vihl = *(__u8 *)ip;
	total = bpf_ntohs(ip->tot_len);
	if (vihl != 0x45 || total < sizeof(*ip) || l3 + total > data_end ||
	    (ip->frag_off & bpf_htons(IP4_MF | IP4_OFFSET)))
		p.irregular = 1;
	else if (p.proto == IPPROTO_ICMP)
		read_icmp4(&p, ip + 1, data_end, total - sizeof(*ip));
	else
		read_ports(&p, ip + 1, data_end, total - sizeof(*ip));

	return decide(ctx, &p, FAMILY_IPV4);
}

static __always_inline int handle_ipv6(struct xdp_md *ctx, void *l3, void *data_end)
{
	struct ipv6hdr *ip6 = l3;
	struct packet p = {};
	void *next;
	__u32 payload, ext = 0;
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > data_end)
		return pass(REASON_PASS_MALFORMED);

	p.key.family = FAMILY_IPV6;
	__builtin_memcpy(p.key.addr, &ip6->daddr, 16);
	__builtin_memcpy(p.saddr, &ip6->saddr, 16);

	payload = bpf_ntohs(ip6->payload_len);
	if ((*(__u8 *)ip6 >> 4) != 6 || l3 + sizeof(*ip6) + payload > data_end) {
		p.irregular = 1;
		goto out;
	}

	nexthdr = ip6->nexthdr;
	next = ip6 + 1;
#pragma unroll
	for (int i = 0; i < MAX_EXT_HDRS; i++) {
		__u8 *hdr = next;
		__u32 len;

		if (nexthdr != NEXTHDR_HOP && nexthdr != NEXTHDR_ROUTING &&
		    nexthdr != NEXTHDR_DEST && nexthdr != IPPROTO_AH)
			break;
		if ((void *)(hdr + 2) > data_end) {
			p.irregular = 1;
			goto out;
		}
		if (nexthdr == IPPROTO_AH)
			len = ((__u32)hdr[1] + 2) * 4;
		else
			len = ((__u32)hdr[1] + 1) * 8;
		nexthdr = hdr[0];
		next += len;
		ext += len;
	}
	p.proto = nexthdr;
	if (ext > payload || nexthdr == NEXTHDR_HOP || nexthdr == NEXTHDR_ROUTING ||
	    nexthdr == NEXTHDR_DEST || nexthdr == IPPROTO_AH || nexthdr == NEXTHDR_FRAGMENT) {
		p.irregular = 1;
		goto out;
	}
	if (nexthdr == IPPROTO_ICMPV6)
		read_icmp6(&p, next, data_end, payload - ext);
	else
		read_ports(&p, next, data_end, payload - ext);
out:
	return decide(ctx, &p, FAMILY_IPV6);
}

SEC("xdp")
int xlvs_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__be16 proto;

	if (l3 > data_end)
		return pass(REASON_PASS_MALFORMED);
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_DEPTH; i++) {
		struct vlan_tag *tag = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > data_end)
			return pass(REASON_PASS_MALFORMED);
		proto = tag->proto;
		l3 = tag + 1;
	}

	switch (proto) {
	case bpf_htons(ETH_P_IP):
		return handle_ipv4(ctx, l3, data_end);
	case bpf_htons(ETH_P_IPV6):
		return handle_ipv6(ctx, l3, data_end);
	case bpf_htons(ETH_P_8021Q):
	case bpf_htons(ETH_P_8021AD):
		return pass(REASON_PASS_VLAN_DEPTH);
	default:
		return pass(REASON_PASS_NOT_IP);
	}
}

char __license[] SEC("license") = "Dual MIT/GPL";
