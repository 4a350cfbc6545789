//go:build ignore

// sink.c is the receiving end of xlvs-pktgen: attached to an interface, it
// counts every IPv4 and IPv6 TCP or UDP frame, and every IP-in-IP tunnel
// frame (protocol 4 or 41: what a TUN director sends a real server), per
// CPU (frames and bytes), and drops it, or passes it to the kernel when
// config.pass is set.
// Everything else (ARP, neighbour discovery, ICMP) goes to the kernel
// uncounted, so the sink's namespace keeps answering ARP for the addresses
// traffic is sent to.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// struct sink_config is the one entry of `config`.
struct sink_config {
	__u32 pass; // 1: XDP_PASS counted frames, 0: XDP_DROP them
};

// struct sink_tally is the per-CPU value of `tally`.
struct sink_tally {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sink_config);
	__uint(max_entries, 1);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sink_tally);
	__uint(max_entries, 1);
} tally SEC(".maps");

SEC("xdp")
int sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		proto = ip->protocol;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		proto = ip6->nexthdr;
	} else {
		return XDP_PASS;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_IPIP && proto != IPPROTO_IPV6)
		return XDP_PASS;
	struct sink_tally *t = bpf_map_lookup_elem(&tally, &zero);
	if (t) {
		t->packets++;
		t->bytes += data_end - data;
	}
	struct sink_config *c = bpf_map_lookup_elem(&config, &zero);
	if (c && c->pass)
		return XDP_PASS;
	return XDP_DROP;
}

char __license[] SEC("license") = "GPL";
