//go:build ignore

// decap.c is the tc (clsact ingress) decapsulator of xlvs-rs, the real-server
// helper. It lets a real server without the kernel's ipip/ip6_tunnel/fou
// modules receive what an IPVS (or xlvs) director sends in tunnelling mode:
//
//   - IPIP: an outer IPv4 or IPv6 header with protocol 4 (inner IPv4) or 41
//     (inner IPv6), as IPVS sends with --tun-type ipip;
//   - GUE: outer IPv4/IPv6 + UDP to the configured port + a 4-byte GUE
//     header (version 0, C bit clear, no options, proto 4 or 41), as IPVS
//     sends with --tun-type gue --tun-port N since Linux 5.2; GUE version 1
//     (the inner IP header right after UDP) is accepted too, as Linux fou
//     accepts it;
//   - GRE (protocol 47): the 4-byte header of RFC 2784, version 0,
//     protocol 0x0800 (inner IPv4) or 0x86DD (inner IPv6), with an optional
//     checksum (the C bit and a 4-byte checksum field), as IPVS sends with
//     --tun-type gre [--tun-csum] since Linux 5.2. The checksum, when
//     present, is verified as the kernel's gre_parse_header verifies it: a
//     packet whose checksum is wrong is dropped. GRE with a key or a
//     sequence number (RFC 2890), which IPVS never sends, is passed
//     untouched (a keyed GRE tunnel of the host's own may want it); GRE
//     with the routing bit or other reserved bits set, which the kernel
//     refuses, is dropped; other GRE versions (1 is PPTP) and other
//     protocols (Ethernet over GRE, ERSPAN, ...) are not ours and pass.
//     GRE is decapsulated only when `settings` enables it.
//
// Only a packet whose inner destination is in `vips` is decapsulated: the
// outer headers are removed with bpf_skb_adjust_room(BPF_ADJ_ROOM_MAC), the
// skb protocol (and the Ethernet type) follow the inner header, and the
// kernel then delivers the inner packet to the local socket bound on the
// VIP. Everything else goes on untouched (TC_ACT_OK), except tunnel packets
// that are malformed, which are dropped (TC_ACT_SHOT). Every packet
// increments exactly one counter (enum counter).
//
// The Go side (dataplane/decap) gets the layouts and the enum through
// bpf2go -type; counter names derive from the enumerators
// (COUNTER_DECAP_GUE -> "decap-gue").

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VIPS 1024

// Linux 6.3 added these bpf_skb_adjust_room flags; older UAPI headers (the
// ones installed here) lack them. They set skb->protocol to the inner
// header's family when the outer and inner families differ.
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

// IPv4 fragment bits of frag_off (host order).
#define IP4_MF 0x2000
#define IP4_OFFSET 0x1fff

#define NEXTHDR_FRAGMENT 44

// GUE (draft-ietf-intarea-gue): byte 0 is ver(2) C(1) hlen(5), byte 1 the
// inner protocol, bytes 2-3 flags. Version 1 has no header: the first
// nibble after UDP is the inner IP version.
#define GUE_HLEN 4

// GRE (RFC 2784, RFC 2890): the flags and version word, host order.
#define GRE_CSUM 0x8000
#define GRE_ROUTING 0x4000
#define GRE_KEY 0x2000
#define GRE_SEQ 0x1000
#define GRE_RESERVED 0x0ff8 // strict source route, recursion, reserved0
#define GRE_VERSION 0x0007
#define GRE_HLEN 4
#define GRE_CSUM_HLEN 8
#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86DD

// The GRE checksum is summed in chunks read to the stack; CSUM_CHUNKS of
// them cover the largest IP payload.
#define CSUM_CHUNK 64
#define CSUM_CHUNKS (65536 / CSUM_CHUNK)

// Bits of struct config's flags.
#define CONFIG_GRE 1

// CONTINUE is what the parsers return to go on; otherwise they return the
// enum counter that decides the packet's fate.
#define CONTINUE (-1)

// enum counter indexes `counters`. Each packet counts exactly once. Keep
// COUNTER_MAX last; it sizes the map.
enum counter {
	COUNTER_PASS_NOT_TUNNEL,    // not IPIP, not UDP to the GUE port
	COUNTER_PASS_NOT_VIP,       // tunnel packet, inner destination not a VIP
	COUNTER_PASS_FRAGMENT,      // fragment of a tunnel packet: cannot decapsulate
	COUNTER_DROP_MALFORMED,     // truncated or invalid tunnel packet
	COUNTER_DROP_ADJUST_FAILED, // bpf_skb_adjust_room refused the packet
	COUNTER_DECAP_IPIP,         // IPIP (4, 41) decapsulated
	COUNTER_DECAP_GUE,          // GUE decapsulated
	COUNTER_DECAP_GRE,          // GRE decapsulated
	COUNTER_PASS_GRE_OPTIONS,   // GRE with a key or sequence number: not IPVS's
	COUNTER_DROP_BAD_CHECKSUM,  // GRE whose checksum does not verify
	COUNTER_MAX,
};

// struct vip_key is the key of `vips`: an IPv6 address, or an IPv4 one
// mapped as ::ffff:a.b.c.d.
struct vip_key {
	__u8 addr[16];
};

// struct config is the single entry of `settings`.
struct config {
	__u16 gue_port; // UDP destination port of GUE, host order; 0: GUE off
	__u16 flags;    // CONFIG_GRE: decapsulate GRE
};

// vips: the inner destinations to decapsulate; the value is reserved (0).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, __u32);
	__uint(max_entries, MAX_VIPS);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct config);
	__uint(max_entries, 1);
} settings SEC(".maps");

// counters: packets per enum counter, per CPU.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, COUNTER_MAX);
} counters SEC(".maps");

// struct tunnel describes an outer packet found to be a tunnel packet.
struct tunnel {
	__u32 inner_off;    // offset of the inner IP header from the MAC header
	__u8 inner_proto;   // IPPROTO_IPIP (IPv4 inside) or IPPROTO_IPV6
	__u8 outer_v6;      // the outer header is IPv6
	__u8 kind;          // COUNTER_DECAP_IPIP, _GUE or _GRE
};

// count adds one to the counter of c. Not inlined: one copy of the map
// update, and its signature puts enum counter into BTF for bpf2go -type.
static __noinline void count(enum counter c)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		*v += 1;
}

static __always_inline int pass(enum counter c)
{
	count(c);
	return TC_ACT_OK;
}

static __always_inline int drop(enum counter c)
{
	count(c);
	return TC_ACT_SHOT;
}

static __always_inline __u16 gue_port(void)
{
	__u32 key = 0;
	struct config *cfg = bpf_map_lookup_elem(&settings, &key);

	return cfg ? cfg->gue_port : 0;
}

static __always_inline int gre_enabled(void)
{
	__u32 key = 0;
	struct config *cfg = bpf_map_lookup_elem(&settings, &key);

	return cfg && (cfg->flags & CONFIG_GRE);
}

// csum_ok reports whether the len bytes at off sum to 0xffff in ones'
// complement (RFC 1071): a packet with a correct checksum field. The
// bytes are read in CSUM_CHUNK pieces; the last one is zero-padded, which
// sums an odd tail as RFC 1071 pads it.
static __always_inline int csum_ok(struct __sk_buff *skb, __u32 off, __u32 len)
{
	__u8 buf[CSUM_CHUNK];
	__u64 sum = 0;
	__s64 r;

	for (int i = 0; i < CSUM_CHUNKS; i++) {
		__u32 pos = i * CSUM_CHUNK;
		__u32 n;

		if (pos >= len)
			break;
		n = len - pos;
		if (n >= CSUM_CHUNK) {
			if (bpf_skb_load_bytes(skb, off + pos, buf, CSUM_CHUNK))
				return 0;
			r = bpf_csum_diff(0, 0, (__be32 *)buf, CSUM_CHUNK, (__u32)sum);
		} else {
			__builtin_memset(buf, 0, sizeof(buf));
			// Hide n's range from the compiler, so that the mask
			// the verifier needs stays.
			asm volatile("" : "+r"(n));
			n &= CSUM_CHUNK - 1;
			if (n == 0 || bpf_skb_load_bytes(skb, off + pos, buf, n))
				return 0;
			// The zeros after the tail add nothing to the sum.
			r = bpf_csum_diff(0, 0, (__be32 *)buf, CSUM_CHUNK, (__u32)sum);
		}
		if (r < 0)
			return 0;
		sum = (__u64)r;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

// parse_gre checks the GRE packet of len bytes at off and fills t. It
// returns CONTINUE or the counter to apply.
static __always_inline int parse_gre(struct __sk_buff *skb, __u32 off, __u32 len, struct tunnel *t)
{
	__be16 gre[2];
	__u16 flags, proto;
	__u32 hlen = GRE_HLEN;

	if (!gre_enabled())
		return COUNTER_PASS_NOT_TUNNEL;
	if (len < GRE_HLEN || bpf_skb_load_bytes(skb, off, gre, sizeof(gre)))
		return COUNTER_DROP_MALFORMED;
	flags = bpf_ntohs(gre[0]);
	proto = bpf_ntohs(gre[1]);
	if (flags & GRE_VERSION)
		return COUNTER_PASS_NOT_TUNNEL; // PPTP's enhanced GRE and others
	if (proto != ETH_P_IP_ && proto != ETH_P_IPV6_)
		return COUNTER_PASS_NOT_TUNNEL; // Ethernet over GRE, ERSPAN, ...
	if (flags & (GRE_ROUTING | GRE_RESERVED))
		return COUNTER_DROP_MALFORMED;
	if (flags & (GRE_KEY | GRE_SEQ))
		return COUNTER_PASS_GRE_OPTIONS;
	if (flags & GRE_CSUM) {
		hlen = GRE_CSUM_HLEN;
		if (len < GRE_CSUM_HLEN)
			return COUNTER_DROP_MALFORMED;
		if (!csum_ok(skb, off, len))
			return COUNTER_DROP_BAD_CHECKSUM;
	}
	t->kind = COUNTER_DECAP_GRE;
	t->inner_proto = proto == ETH_P_IP_ ? IPPROTO_IPIP : IPPROTO_IPV6;
	t->inner_off = off + hlen;
	return CONTINUE;
}

// parse_gue checks the UDP payload at off (a GUE header or, for version 1,
// the inner IP header) and fills t. It returns CONTINUE or the counter to apply.
static __always_inline int parse_gue(struct __sk_buff *skb, __u32 off, struct tunnel *t)
{
	__u8 gue[GUE_HLEN];

	if (bpf_skb_load_bytes(skb, off, gue, sizeof(gue)))
		return COUNTER_DROP_MALFORMED;
	t->kind = COUNTER_DECAP_GUE;
	switch (gue[0] >> 6) {
	case 0:
		// C bit (control message) or options (hlen): IPVS sends neither
		// unless --tun-remcsum, whose remote checksum offload would have
		// to be completed here.
		if (gue[0] & 0x3f)
			return COUNTER_DROP_MALFORMED;
		if (gue[1] != IPPROTO_IPIP && gue[1] != IPPROTO_IPV6)
			return COUNTER_DROP_MALFORMED;
		t->inner_proto = gue[1];
		t->inner_off = off + GUE_HLEN;
		return CONTINUE;
	case 1:
		switch (gue[0] >> 4) {
		case 4:
			t->inner_proto = IPPROTO_IPIP;
			break;
		case 6:
			t->inner_proto = IPPROTO_IPV6;
			break;
		default:
			return COUNTER_DROP_MALFORMED;
		}
		t->inner_off = off;
		return CONTINUE;
	default:
		return COUNTER_DROP_MALFORMED;
	}
}

// parse_udp fills t when the UDP datagram at off goes to the GUE port.
// fragment says that the datagram is the first fragment of several: its
// UDP header is readable but the payload is incomplete.
static __always_inline int parse_udp(struct __sk_buff *skb, __u32 off, int fragment,
				     struct tunnel *t)
{
	struct udphdr udp;
	__u16 port = gue_port();

	if (!port || bpf_skb_load_bytes(skb, off, &udp, sizeof(udp)))
		return COUNTER_PASS_NOT_TUNNEL;
	if (bpf_ntohs(udp.dest) != port)
		return COUNTER_PASS_NOT_TUNNEL;
	if (fragment)
		return COUNTER_PASS_FRAGMENT;
	return parse_gue(skb, off + sizeof(udp), t);
}

// parse_ipv4 reads the outer IPv4 header and fills t for a tunnel packet.
// It returns CONTINUE or the counter to apply.
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct tunnel *t)
{
	struct iphdr ip;
	__u32 off = ETH_HLEN;
	__u16 frag, total;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return COUNTER_PASS_NOT_TUNNEL;
	if (ip.version != 4 || ip.ihl < 5)
		return COUNTER_PASS_NOT_TUNNEL; // the kernel drops it
	frag = bpf_ntohs(ip.frag_off);
	total = bpf_ntohs(ip.tot_len);
	off += ip.ihl * 4;
	switch (ip.protocol) {
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		if (frag & (IP4_MF | IP4_OFFSET))
			return COUNTER_PASS_FRAGMENT;
		t->inner_proto = ip.protocol;
		t->inner_off = off;
		return CONTINUE;
	case IPPROTO_UDP:
		if (frag & IP4_OFFSET)
			return COUNTER_PASS_NOT_TUNNEL; // no UDP header to look at
		return parse_udp(skb, off, frag & IP4_MF, t);
	case IPPROTO_GRE:
		if (frag & (IP4_MF | IP4_OFFSET))
			return gre_enabled() ? COUNTER_PASS_FRAGMENT : COUNTER_PASS_NOT_TUNNEL;
		if (total < ip.ihl * 4)
			return COUNTER_DROP_MALFORMED;
		return parse_gre(skb, off, total - ip.ihl * 4, t);
	default:
		return COUNTER_PASS_NOT_TUNNEL;
	}
}

// parse_ipv6 reads the outer IPv6 header and fills t for a tunnel packet.
// Extension headers other than a fragment header are not walked: IPVS puts
// none between the outer header and the tunnel payload.
static __always_inline int parse_ipv6(struct __sk_buff *skb, struct tunnel *t)
{
	struct ipv6hdr ip6;
	__u32 off = ETH_HLEN + sizeof(ip6);
	__u8 frag[8];

	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)))
		return COUNTER_PASS_NOT_TUNNEL;
	if (ip6.version != 6)
		return COUNTER_PASS_NOT_TUNNEL;
	t->outer_v6 = 1;
	switch (ip6.nexthdr) {
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		t->inner_proto = ip6.nexthdr;
		t->inner_off = off;
		return CONTINUE;
	case IPPROTO_UDP:
		return parse_udp(skb, off, 0, t);
	case IPPROTO_GRE:
		return parse_gre(skb, off, bpf_ntohs(ip6.payload_len), t);
	case NEXTHDR_FRAGMENT:
		if (bpf_skb_load_bytes(skb, off, frag, sizeof(frag)))
			return COUNTER_PASS_NOT_TUNNEL;
		if (frag[0] == IPPROTO_IPIP || frag[0] == IPPROTO_IPV6 ||
		    (frag[0] == IPPROTO_GRE && gre_enabled()))
			return COUNTER_PASS_FRAGMENT;
		// A first UDP fragment to the GUE port (offset 0, the 13 high
		// bits of bytes 2-3) counts as a fragment; later ones are opaque.
		if (frag[0] == IPPROTO_UDP && !(((frag[2] << 8) | frag[3]) & 0xfff8))
			return parse_udp(skb, off + sizeof(frag), 1, t);
		return COUNTER_PASS_NOT_TUNNEL;
	default:
		return COUNTER_PASS_NOT_TUNNEL;
	}
}

// inner_vip reads the inner IP header of t and reports whether it is
// well-formed (CONTINUE) and addressed to a VIP (*hit), or returns the counter.
static __always_inline int inner_vip(struct __sk_buff *skb, struct tunnel *t, int *hit)
{
	struct vip_key key = {};

	if (t->inner_proto == IPPROTO_IPIP) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, t->inner_off, &ip, sizeof(ip)))
			return COUNTER_DROP_MALFORMED;
		if (ip.version != 4 || ip.ihl < 5)
			return COUNTER_DROP_MALFORMED;
		key.addr[10] = 0xff;
		key.addr[11] = 0xff;
		__builtin_memcpy(&key.addr[12], &ip.daddr, 4);
	} else {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, t->inner_off, &ip6, sizeof(ip6)))
			return COUNTER_DROP_MALFORMED;
		if (ip6.version != 6)
			return COUNTER_DROP_MALFORMED;
		__builtin_memcpy(key.addr, &ip6.daddr, 16);
	}
	*hit = bpf_map_lookup_elem(&vips, &key) != NULL;
	return CONTINUE;
}

SEC("tc")
int xlvs_decap(struct __sk_buff *skb)
{
	struct tunnel t = { .kind = COUNTER_DECAP_IPIP };
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	__be16 eth_proto;
	int c, hit = 0;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		c = parse_ipv4(skb, &t);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		c = parse_ipv6(skb, &t);
	else
		c = COUNTER_PASS_NOT_TUNNEL;
	if (c != CONTINUE)
		return c == COUNTER_DROP_MALFORMED || c == COUNTER_DROP_BAD_CHECKSUM ? drop(c) : pass(c);

	c = inner_vip(skb, &t, &hit);
	if (c != CONTINUE)
		return drop(c);
	if (!hit)
		return pass(COUNTER_PASS_NOT_VIP);

	if (t.inner_proto == IPPROTO_IPIP) {
		flags |= BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
		eth_proto = bpf_htons(ETH_P_IP);
	} else {
		flags |= BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
		eth_proto = bpf_htons(ETH_P_IPV6);
	}
	if (bpf_skb_adjust_room(skb, -(__s32)(t.inner_off - ETH_HLEN), BPF_ADJ_ROOM_MAC, flags))
		return drop(COUNTER_DROP_ADJUST_FAILED);
	// Keep the Ethernet type in step with skb->protocol (IPv4 in IPv6 and
	// IPv6 in IPv4), for whoever looks at the frame after us.
	if ((t.inner_proto == IPPROTO_IPIP) == t.outer_v6 &&
	    bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &eth_proto, sizeof(eth_proto), 0))
		return drop(COUNTER_DROP_ADJUST_FAILED);
	return pass(t.kind);
}

char __license[] SEC("license") = "Dual MIT/GPL";
