#!/bin/sh
# bench.sh [SECONDS] [FLOWS...]: the perf/bench measurements across the VMs
# of this lab. For each path the director runs, the client floods the VIP
# with 64-byte UDP frames from FLOWS flows (default 1 10000 1000000) and
# rs1 counts what arrives with the XDP sink. Paths:
#   xlvs-dr      xlvsd, DR to rs1 (the sink)
#   ipvs-dr      kernel IPVS, the same rules with ipvsadm
#   xsk-forward  the bare AF_XDP forwarder (the userspace ceiling)
#   xdp-reflect  the kernel XDP redirect reflector (the kernel's upper bound)
# Prints one line per measurement: path flows rx-Mpps offered-Mpps.
set -eu
cd "$(dirname "$0")"
secs=${1:-5}
shift || true
flows=${*:-1 10000 1000000}
vip=198.18.1.100 port=9

on() { h=$1; shift; vagrant ssh "$h" -c "sudo PATH=\$PATH:/opt/xlvs/bin:/usr/local/go/bin sh -c '$*'" 2>/dev/null; }
dev_on() { on "$1" "ip -o -4 addr show | awk -v a=$2 '\$4 ~ \"^\"a\"/\" {print \$2; exit}'" | tr -d '\r'; }
mac_on() { on "$1" "cat /sys/class/net/$2/address" | tr -d '\r'; }

cfront=$(dev_on client 198.18.1.2)
dfront=$(dev_on director 198.18.1.254)
dback=$(dev_on director 198.18.2.254)
rsdev=$(dev_on rs1 198.18.2.11)
dmac=$(mac_on director "$dfront")
rsmac=$(mac_on rs1 "$rsdev")

start_path() {
	case $1 in
	xlvs-dr) on director "nohup xlvsd -i $dfront -i $dback --socket /run/xlvs.sock >/tmp/xlvsd.log 2>&1 & sleep 2;
		XLVS_SOCKET=/run/xlvs.sock xlvsadm -A -u $vip:$port -s rr &&
		XLVS_SOCKET=/run/xlvs.sock xlvsadm -a -u $vip:$port -r 198.18.2.11:$port -g" ;;
	ipvs-dr) on director "ipvsadm -C; ipvsadm -A -u $vip:$port -s rr && ipvsadm -a -u $vip:$port -r 198.18.2.11:$port -g" ;;
	xsk-forward) on director "nohup xlvs-pktgen forward --in $dfront --out $dback --dst-mac $rsmac >/tmp/fwd.log 2>&1 & sleep 1" ;;
	xdp-reflect) on director "nohup xlvs-pktgen reflect --in $dfront --out $dback --dst-mac $rsmac >/tmp/fwd.log 2>&1 & sleep 1" ;;
	esac
}

stop_path() {
	case $1 in
	xlvs-dr) on director "pkill -TERM -x xlvsd; sleep 1" ;;
	ipvs-dr) on director "ipvsadm -C" ;;
	*) on director "pkill -TERM -x xlvs-pktgen; sleep 1" ;;
	esac
}

for path in xlvs-dr ipvs-dr xsk-forward xdp-reflect; do
	start_path "$path"
	for n in $flows; do
		on rs1 "xlvs-pktgen sink --dev $rsdev --duration $((secs + 2))s --json > /tmp/sink.json" &
		sink=$!
		sleep 1
		offered=$(on client "xlvs-pktgen send --dev $cfront --dst $vip --dport $port --src 198.18.1.16/28 \
			--flows $n --size 64 --dst-mac $dmac --duration ${secs}s --json" | jq -r .mpps)
		wait $sink
		rx=$(on rs1 "cat /tmp/sink.json" | jq -r ".packets / ($secs * 1000000)")
		printf '%-12s %8s flows  %.3f Mpps received  (offered %.3f)\n' "$path" "$n" "$rx" "$offered"
	done
	stop_path "$path"
done
