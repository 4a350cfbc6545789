//go:build ignore

// livegen.c is the packet generator of xlvs-pktgen in live-frames mode.
// Userspace runs it with BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on a
// template frame; the kernel runs the program once per repetition on a
// frame of its page pool and sends what the program redirects.
//
// The kernel initialises a pool page with the template only when the page
// is first allocated; a recycled page still holds what an earlier run wrote,
// or what a receiver did to it: a frame passed to the receiver's stack and
// forwarded comes back with the next hop's MACs, a lower TTL and NATed
// addresses. So every run first restores the template's headers, then
// writes each per-flow field and checksum in full, computed from constants
// of struct gen_config, never from what the frame holds.
//
// Per run: n = sent++ (one atomic add on a shared counter); past the limit
// the frame is dropped (returned to the pool, nothing sent). Otherwise flow
// n % nflows gets its source address, source port, destination VIP and
// checksums, and the frame is redirected out of config.ifindex.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VIPS 16

// HDR_COPY is how much of the template's start every run restores: all
// Ethernet, IPv4 and UDP/TCP header bytes of an IPv4 frame, and of an IPv6
// one all but the TCP fields no forwarder rewrites. Every frame has at
// least 60 bytes (a 64-byte frame without FCS).
#define HDR_COPY 60

// struct gen_config describes the flows and the template. Sums are
// ones-complement sums of big-endian 16-bit words, not folded.
struct gen_config {
	__u64 limit;        // frames to send at most; 0: no limit
	__u32 ifindex;      // egress interface
	__u32 nflows;       // flows, 1..; flow i = (port, addr, vip) digits of i
	__u32 nports;       // source ports
	__u32 naddrs;       // source addresses
	__u32 nvips;        // destination addresses, 1..MAX_VIPS
	__u32 src_base;     // low 32 bits of the first source address
	__u32 ip_sum;       // IPv4 header without addresses and checksum
	__u32 l4_sum;       // pseudo-header and L4 without source address low
	                    // 32 bits, destination, source port and checksum
	__u16 sport_base;   // first source port
	__u8 ipv6;          // 1: IPv6, 0: IPv4
	__u8 l4_csum_off;   // offset of the checksum in the L4 header
	__u8 udp;           // 1: UDP (a zero checksum is sent as 0xffff)
	__u8 pad[3];
	__u32 vip_sum[MAX_VIPS];   // sum of each VIP's words
	__u8 vips[MAX_VIPS][16];   // IPv4 VIPs use the first 4 bytes
	__u8 hdr[HDR_COPY];        // the template's first bytes
};

// struct gen_state is the shared send counter: runs so far, the ones past
// the limit included.
struct gen_state {
	__u64 sent;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct gen_config);
	__uint(max_entries, 1);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct gen_state);
	__uint(max_entries, 1);
} state SEC(".maps");

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u32 sum32(__u32 v)
{
	return (v >> 16) + (v & 0xffff);
}

SEC("xdp")
int livegen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct gen_config *c = bpf_map_lookup_elem(&config, &zero);
	struct gen_state *s = bpf_map_lookup_elem(&state, &zero);

	if (!c || !s || c->nflows == 0 || c->nports == 0 || c->naddrs == 0 || c->nvips == 0)
		return XDP_ABORTED;
	__u64 n = __sync_fetch_and_add(&s->sent, 1);
	if (c->limit && n >= c->limit)
		return XDP_DROP;
	__u32 i = n % c->nflows;
	__u32 port = i % c->nports;
	i /= c->nports;
	__u32 addr = i % c->naddrs;
	__u32 v = (i / c->naddrs) % c->nvips;
	if (v >= MAX_VIPS)
		return XDP_ABORTED;
	__u32 src = c->src_base + addr;
	__u16 sport = c->sport_base + port;
	__u64 l4 = (__u64)c->l4_sum + sum32(src) + c->vip_sum[v] + sport;
	__u8 *l4h;

	if (data + HDR_COPY > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, c->hdr, HDR_COPY);
	if (c->ipv6) {
		struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
		l4h = (void *)(ip6 + 1);
		if (l4h + 20 > (__u8 *)data_end)
			return XDP_ABORTED;
		ip6->saddr.in6_u.u6_addr32[3] = bpf_htonl(src);
		__builtin_memcpy(&ip6->daddr, c->vips[v], 16);
	} else {
		struct iphdr *ip = data + sizeof(struct ethhdr);
		l4h = (void *)(ip + 1);
		if (l4h + 20 > (__u8 *)data_end)
			return XDP_ABORTED;
		ip->saddr = bpf_htonl(src);
		__builtin_memcpy(&ip->daddr, c->vips[v], 4);
		__u64 ipsum = (__u64)c->ip_sum + sum32(src) + c->vip_sum[v];
		ip->check = bpf_htons((__u16)~fold(ipsum));
	}
	*(__be16 *)l4h = bpf_htons(sport);
	__u16 csum = (__u16)~fold(l4);
	if (csum == 0 && c->udp)
		csum = 0xffff;
	if (c->l4_csum_off == 6)
		*(__be16 *)(l4h + 6) = bpf_htons(csum);
	else
		*(__be16 *)(l4h + 16) = bpf_htons(csum);
	return bpf_redirect(c->ifindex, 0);
}

char __license[] SEC("license") = "GPL";
