package ipvsadm

import (
	"fmt"
	"strings"
	"testing"
)

// TestGrammarListOptions: -L with -n -c -t/-u --timeout --daemon --stats
// --rate --exact --thresholds --persistent-conn --tun-info --nosort --sort
// and their conflicts (matrix, then process_options' own check).
func TestGrammarListOptions(t *testing.T) {
	setup := []string{
		"-A -t 10.0.0.1:80 -s rr",
		"-a -t 10.0.0.1:80 -r 192.168.1.1 -w 2",
		"-a -t 10.0.0.1:80 -r 192.168.1.2",
		"-A -u 10.0.0.1:53",
	}
	const version = "IP Virtual Server version 1.2.1 (size=4096)\n"
	const plain = "Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	dst := func(addr string, w int) string {
		return fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", addr, "Route", w, 0, 0)
	}
	list := plain + "TCP  10.0.0.1:80 rr\n" + dst("192.168.1.1:80", 2) + dst("192.168.1.2:80", 1) + "UDP  10.0.0.1:53 wlc\n"
	nosort := plain + "TCP  10.0.0.1:80 rr\n" + dst("192.168.1.2:80", 1) + dst("192.168.1.1:80", 2) + "UDP  10.0.0.1:53 wlc\n"
	names := plain + "TCP  10.0.0.1:http rr\n" + dst("192.168.1.1:http", 2) + dst("192.168.1.2:http", 1) + "UDP  10.0.0.1:domain wlc\n"
	counters := func(title string) string {
		z := strings.Repeat(fmt.Sprintf("%9d", 0), 5) + "\n"
		return fmt.Sprintf("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", strings.Fields(title)[0],
			strings.Fields(title)[1], strings.Fields(title)[2], strings.Fields(title)[3], strings.Fields(title)[4]) +
			fmt.Sprintf("%-33s", "TCP  10.0.0.1:80") + z +
			fmt.Sprintf("  -> %-28s", "192.168.1.1:80") + z + fmt.Sprintf("  -> %-28s", "192.168.1.2:80") + z +
			fmt.Sprintf("%-33s", "UDP  10.0.0.1:53") + z
	}
	stats := counters("Conns InPkts OutPkts InBytes OutBytes")
	rate := counters("CPS InPPS OutPPS InBPS OutBPS")
	thr := fmt.Sprintf("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn") +
		"TCP  10.0.0.1:80 rr\n" + fmt.Sprintf("  -> %-28s %-10d %-10d %-10d %-10d\n", "192.168.1.1:80", 0, 0, 0, 0) +
		fmt.Sprintf("  -> %-28s %-10d %-10d %-10d %-10d\n", "192.168.1.2:80", 0, 0, 0, 0) + "UDP  10.0.0.1:53 wlc\n"
	pc := fmt.Sprintf("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn") +
		"TCP  10.0.0.1:80 rr\n" + fmt.Sprintf("  -> %-28s %-9d %-11d %-10d %-10d\n", "192.168.1.1:80", 2, 0, 0, 0) +
		fmt.Sprintf("  -> %-28s %-9d %-11d %-10d %-10d\n", "192.168.1.2:80", 1, 0, 0, 0) + "UDP  10.0.0.1:53 wlc\n"
	tun := "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n" +
		"TCP  10.0.0.1:80 rr\n" + fmt.Sprintf("  -> %-28s %-7s %-13s %-6d %-10d %-10d\n", "192.168.1.1:80", "Route", "n/a", 2, 0, 0) +
		fmt.Sprintf("  -> %-28s %-7s %-13s %-6d %-10d %-10d\n", "192.168.1.2:80", "Route", "n/a", 1, 0, 0) + "UDP  10.0.0.1:53 wlc\n"
	conns := "IPVS connection entries\npro expire state       source             virtual            destination\n"
	connsPE := "IPVS connection entries\npro expire state       source             virtual            destination        pe name          pe_data\n"
	out := func(s string) result { return result{s, "", 0} }
	conflict := stderr("options conflicts in the list command", 2)
	runCases(t, []cliCase{
		{args: "-L -n", setup: setup, want: out(version + list)},
		{args: "-L", setup: setup, want: out(version + names)},
		{args: "-L -n --sort", setup: setup, want: out(version + list)},
		{args: "-L -n --nosort", setup: setup, want: out(version + nosort)},
		{args: "-L -n --stats", setup: setup, want: out(version + stats)},
		{args: "-L -n --stats --exact", setup: setup, want: out(version + stats)},
		{args: "-L -n -X --rate", setup: setup, want: out(version + rate)},
		{args: "-L -n --stats --rate", setup: setup, want: out(version + stats)}, // stats wins the title
		{args: "-L -n --thresholds", setup: setup, want: out(version + thr)},
		{args: "-L -n --persistent-conn", setup: setup, want: out(version + pc)},
		{args: "-L -n --tun-info", setup: setup, want: out(version + tun)},
		// One service: no version line; a missing one exits 1.
		{args: "-L -n -t 10.0.0.1:80", setup: setup, want: out(plain + "TCP  10.0.0.1:80 rr\n" + dst("192.168.1.1:80", 2) + dst("192.168.1.2:80", 1))},
		{args: "-L -n --udp-service 10.0.0.1:53 --stats", setup: setup, want: out(strings.Split(stats, "TCP")[0] + fmt.Sprintf("%-33s", "UDP  10.0.0.1:53") +
			strings.Repeat(fmt.Sprintf("%9d", 0), 5) + "\n")},
		{args: "-L -n -t 10.0.0.1:53", setup: setup, want: stderr("No such service", 1)},
		// Timeouts, daemons (none runs: nothing), connections.
		{args: "-L --timeout", want: out("Timeout (tcp tcpfin udp): 900 120 300\n")},
		{args: "-l --timeout -n --exact --nosort --tun-info", want: out("Timeout (tcp tcpfin udp): 900 120 300\n")},
		{args: "-L --daemon", setup: setup, want: ok()},
		{args: "-L --daemon -n", setup: setup, want: ok()},
		{args: "-L -c", want: out(conns)},
		{args: "-L --connection --numeric --persistent-conn", want: out(connsPE)},
		{args: "-L -c --tun-info --exact --nosort", want: out(conns)},
		// Conflicts: the matrix's mutually exclusive group first.
		{args: "-L -c --timeout", want: stderr("The option 'timeout' conflicts with the 'connection' option in the 'list' command", 2)},
		{args: "-L --timeout -t 10.0.0.1:80", want: stderr("The option 'timeout' conflicts with the 'service-address' option in the 'list' command", 2)},
		{args: "-L --daemon -c", want: stderr("The option 'daemon' conflicts with the 'connection' option in the 'list' command", 2)},
		{args: "-L -c --stats", want: conflict},
		{args: "-L -c --rate", want: conflict},
		{args: "-L --timeout --thresholds", want: conflict},
		{args: "-L --daemon --stats", want: conflict},
		{args: "-L --daemon --persistent-conn", want: conflict},
		{args: "-L --timeout --persistent-conn", want: conflict},
		// Options of other commands.
		{args: "-L -r 192.168.1.1", want: stderr("Illegal 'real-server' option with the 'list' command", 2)},
		{args: "-L -w 1", want: stderr("Illegal 'weight' option with the 'list' command", 2)},
		{args: "-L -o", want: stderr("Illegal 'ops' option with the 'list' command", 2)},
		{args: "-L --syncid 1", want: out(version + plain)}, // a blank in the matrix: accepted and ignored
		{args: "-L --mcast-interface eth0", want: stderr("Illegal 'mcast-interface' option with the 'list' command", 2)},
		{args: "-S --stats", want: stderr("Illegal 'stats' option with the 'save' command", 2)},
		{args: "-S --tun-info", want: stderr("Illegal 'tun-info' option with the 'save' command", 2)},
		{args: "-Z -n", want: stderr("Illegal 'numeric' option with the 'zero' command", 2)},
		{args: "-C --sort", want: ok()}, // --sort has no column: accepted with any command
		{args: "-L -n --sort --sort", setup: setup, want: out(version + list)},
	})
}

// TestGrammarDaemonOptions: --start-daemon/--stop-daemon and the sync
// daemon options parse and validate as in ipvsadm; a valid request then
// reaches the director (here the fake kernel), which starts the daemon or
// answers as the kernel does.
func TestGrammarDaemonOptions(t *testing.T) {
	notRunning := stderr("No daemon is running", 255)
	runCases(t, []cliCase{
		{args: "--start-daemon master", want: ok()},
		{args: "--start-daemon=backup", want: ok()},
		{args: "--start-daemon master --mcast-interface eth1 --syncid 5 --mcast-group 224.0.0.82 --mcast-port 9000 --mcast-ttl 2 --sync-maxlen 1400", want: ok()},
		{args: "--start-daemon backup --mcast-group ff02::8:81", want: ok()},
		{args: "--stop-daemon master", want: notRunning},
		{args: "--stop-daemon backup --syncid 7", want: notRunning},
		{args: "--start-daemon foo", want: stderr("illegal start-daemon parameter specified", 2)},
		{args: "--stop-daemon Master", want: stderr("illegal start_daemon specified", 2)},
		{args: "--start-daemon", want: stderr(tryHelpMsg, 255)},
		{args: "--start-daemon master --syncid 256", want: stderr("illegal syncid specified", 2)},
		{args: "--start-daemon master --syncid -1", want: stderr("illegal syncid specified", 2)},
		{args: "--start-daemon master --mcast-port 0", want: stderr("illegal mcast-port specified", 2)},
		{args: "--start-daemon master --mcast-port 65536", want: stderr("illegal mcast-port specified", 2)},
		{args: "--start-daemon master --mcast-ttl 0", want: stderr("illegal mcast-ttl specified", 2)},
		{args: "--start-daemon master --mcast-ttl 256", want: stderr("illegal mcast-ttl specified", 2)},
		{args: "--start-daemon master --sync-maxlen 0", want: stderr("illegal sync-maxlen specified", 2)},
		{args: "--start-daemon master --sync-maxlen 65508", want: stderr("illegal sync-maxlen specified", 2)},
		{args: "--start-daemon master --mcast-group 10.0.0.1", want: stderr("invalid IPv4 mcast-group `10.0.0.1'", 2)},
		{args: "--start-daemon master --mcast-group 2001:db8::1", want: stderr("invalid IPv6 mcast-group `2001:db8::1'", 2)},
		{args: "--start-daemon master --mcast-group 224.0.0.81 --mcast-group 224.0.0.82", want: stderr("multiple 'mcast-group' options specified", 2)},
		{args: "--start-daemon master -n", want: stderr("Illegal 'numeric' option with the 'start-daemon' command", 2)},
		{args: "--start-daemon master -t 10.0.0.1:80", want: stderr("Illegal 'service-address' option with the 'start-daemon' command", 2)},
		{args: "--stop-daemon master --mcast-interface eth0", want: stderr("Illegal 'mcast-interface' option with the 'stop-daemon' command", 2)},
		{args: "--stop-daemon master --mcast-port 9000", want: stderr("Illegal 'mcast-port' option with the 'stop-daemon' command", 2)},
		{args: "-A -t 10.0.0.1:80 --syncid 1", want: stderr("Illegal 'syncid' option with the 'add-service' command", 2)},
	})
}
