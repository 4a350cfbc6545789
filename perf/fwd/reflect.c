//go:build ignore

// reflect.c is the kernel's own upper bound on the generator -> director ->
// sink path: an XDP program on the director's ingress interface that
// rewrites the Ethernet addresses of every IPv4/IPv6 frame and redirects it
// out of the egress interface, as a load balancer in XDP would (without
// its lookups). Everything else goes to the kernel.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// struct reflect_config is the one entry of `config`.
struct reflect_config {
	__u32 ifindex;   // egress interface
	__u8 dst_mac[6]; // next hop
	__u8 src_mac[6]; // the egress interface's address
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct reflect_config);
	__uint(max_entries, 1);
} config SEC(".maps");

SEC("xdp")
int reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) && eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	struct reflect_config *c = bpf_map_lookup_elem(&config, &zero);
	if (!c)
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, c->dst_mac, 6);
	__builtin_memcpy(eth->h_source, c->src_mac, 6);
	return bpf_redirect(c->ifindex, 0);
}

char __license[] SEC("license") = "GPL";
