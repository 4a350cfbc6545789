#!/bin/sh
# provision.sh ROLE GO_VERSION: installs Go GO_VERSION (the version in
# go.mod), builds xlvs from the synced checkout (/xlvs) into /opt/xlvs/bin
# and prepares the VM for its role. Idempotent: `vagrant provision` reruns it.
set -eu
role=$1 go_version=$2

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q ca-certificates curl ethtool iproute2 nftables ipvsadm jq

if ! /usr/local/go/bin/go version 2>/dev/null | grep -q "go$go_version "; then
	arch=$(dpkg --print-architecture)
	curl -fsSL "https://go.dev/dl/go$go_version.linux-$arch.tar.gz" -o /tmp/go.tgz
	rm -rf /usr/local/go
	tar -C /usr/local -xzf /tmp/go.tgz
	rm /tmp/go.tgz
fi
echo 'export PATH=$PATH:/usr/local/go/bin:/opt/xlvs/bin' > /etc/profile.d/xlvs.sh

mkdir -p /opt/xlvs/bin
cd /xlvs
GOFLAGS=-buildvcs=false /usr/local/go/bin/go build -o /opt/xlvs/bin/ ./cmd/xlvsd ./cmd/xlvsadm ./cmd/xlvs-pktgen
ln -sf xlvsadm /opt/xlvs/bin/xlvs-ipvsadm

# The interface on a given network, by address.
dev_of() { ip -o -4 addr show | awk -v a="$1" '$4 ~ "^"a"/" {print $2; exit}'; }

case $role in
director)
	front=$(dev_of 198.18.1.254)
	ip addr replace 198.18.1.100/32 dev "$front"
	# Kernel IPVS (the comparison) needs the module; xlvsd does not.
	modprobe ip_vs || true
	;;
rs1 | rs2)
	# DR real server: the VIP on lo, never answered or announced on the wire.
	ip addr replace 198.18.1.100/32 dev lo
	sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	back=$(dev_of 198.18.2.1"$(echo "$role" | tr -d rs)")
	sysctl -qw "net.ipv4.conf.$back.arp_ignore=1" "net.ipv4.conf.$back.arp_announce=2"
	;;
client)
	ip route replace 198.18.2.0/24 via 198.18.1.254
	;;
esac
# Local sockets over virtio keep complete checksums for a userspace director.
for dev in $(ls /sys/class/net | grep -v lo); do ethtool -K "$dev" tx off >/dev/null 2>&1 || true; done
echo "xlvs: $role provisioned with go$go_version; binaries in /opt/xlvs/bin"
