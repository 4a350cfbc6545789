package ipvsadm

import (
	"testing"
)

// TestGrammarServiceOptions: -t -u --sctp-service -f -6 -s -p -M --pe -b -o
// and the service address forms of parse_service().
func TestGrammarServiceOptions(t *testing.T) {
	badSvc := stderr("illegal virtual server address[:port] specified", 2)
	runCases(t, []cliCase{
		// Addresses: inet_aton forms, host names, service names, IPv6.
		{args: "-A -t localhost:https", want: ok(), save: "-A -t 127.0.0.1:443 -s wlc\n"},
		{args: "-A -t 10.1:80", want: ok(), save: svc80},
		{args: "-A -t 10.0.0.1:+80", want: ok(), save: svc80},
		{args: "-A -t [2001:db8::1]:80", want: ok(), save: "-A -t [2001:db8::1]:80 -s wlc\n"},
		{args: "-A -t 2001:db8::1 -p", want: ok(), save: "-A -t [2001:db8::1]:0 -s wlc -p 360\n"},
		{args: "-A -t [10.0.0.1]:80 -p", want: ok(), save: "-A -t 10.0.0.1:0 -s wlc -p 360\n"}, // the port is inside the brackets
		{args: "-A -t 10.0.0.1", want: stderr("Zero port specified for non-persistent service", 2)},
		{args: "-A -t 10.0.0.1:-0", want: stderr("Zero port specified for non-persistent service", 2)},
		{args: "-A -t 10.0.0.1:", want: badSvc},
		{args: "-A -t 10.0.0.1:65536", want: badSvc},
		{args: "-A -t 10.0.0.1:0x50", want: badSvc},
		{args: "-A -t 8080", want: badSvc},
		{args: "-A -t 256.0.0.1:80", want: badSvc},
		{args: "-A -t [2001:db8::1]80", want: badSvc},
		{args: "-A --tcp-service 10.0.0.1:domain-s", want: ok(), save: "-A -t 10.0.0.1:853 -s wlc\n"},
		{args: "--add-service --udp-service 10.0.0.1:domain", want: ok(), save: "-A -u 10.0.0.1:53 -s wlc\n"},
		{args: "-A -u 10.0.0.1:http-alt", want: badSvc}, // 8080 has no udp name
		{args: "-A --sctp-service 10.0.0.3:3868", want: ok(), save: "-A --sctp-service 10.0.0.3:3868 -s wlc\n"},
		{args: "-A -t 10.0.0.1:80 -u 10.0.0.1:53", want: stderr("multiple 'service-address' options specified", 2)},
		// Firewall marks: strtol, 1..UINT_MAX; -6 only after -f.
		{args: "-A -f 1", want: ok(), save: "-A -f 1 -s wlc\n"},
		// -S prints the mark with %d, as ipvsadm does.
		{args: "-A --fwmark-service 4294967295", want: ok(), save: "-A -f -1 -s wlc\n"},
		{args: "-A -f ⎵7", want: ok(), save: "-A -f 7 -s wlc\n"},
		{args: "-A -f 7 -6", want: ok(), save: "-A -f 7 -6 -s wlc\n"},
		{args: "-A -f 7 --ipv6", want: ok(), save: "-A -f 7 -6 -s wlc\n"},
		{args: "-A -f 0", want: stderr("invalid fwmark value `0' specified", 2)},
		{args: "-A -f -1", want: stderr("invalid fwmark value `-1' specified", 2)},
		{args: "-A -f 0x10", want: stderr("invalid fwmark value `0x10' specified", 2)},
		{args: "-A -f 4294967296", want: stderr("invalid fwmark value `4294967296' specified", 2)},
		{args: "-A -6 -f 7", want: result{"", "-6 used before -f\n\n", 2}},
		{args: "-A -t 10.0.0.1:80 -6", want: result{"", "-6 used before -f\n\n", 2}},
		// Schedulers are the kernel's business; names are cut to 15 bytes.
		{args: "-A -t 10.0.0.1:80 --scheduler sed", want: ok(), save: "-A -t 10.0.0.1:80 -s sed\n"},
		{args: "-A -t 10.0.0.1:80 -s rrXXXXXXXXXXXXXXX", want: stderr("Scheduler or persistence engine not found", 255), save: emptyTable},
		{args: "-A -t 10.0.0.1:80 -s rr -s rr", want: stderr("multiple 'scheduler' options specified", 2)},
		// Persistence: 1..2678400 seconds, 360 when -p has no value.
		{args: "-A -t 10.0.0.1:80 -p 1", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 1\n"},
		{args: "-A -t 10.0.0.1:80 --persistent 2678400", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 2678400\n"},
		{args: "-A -t 10.0.0.1:80 -p 2678401", want: stderr("invalid timeout value `2678401' specified", 2)},
		{args: "-A -t 10.0.0.1:80 -p 0", want: stderr("invalid timeout value `0' specified", 2)},
		{args: "-A -t 10.0.0.1:80 -p rr", want: stderr("invalid timeout value `rr' specified", 2)},
		// -M: a dotted mask (inet_aton or a host name) for IPv4, atoi 1..128 for IPv6.
		{args: "-A -t 10.0.0.1:80 -p -M 255.255.255.0", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 360 -M 255.255.255.0\n"},
		{args: "-A -t 10.0.0.1:80 -p --netmask 255.255.0", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 360 -M 255.255.0.0\n"},
		{args: "-A -t 10.0.0.1:80 -p -M localhost", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 360 -M 127.0.0.1\n"},
		{args: "-A -t 10.0.0.1:80 -p -M 255.255.255.256", want: stderr("illegal virtual server persistent mask specified", 2)},
		{args: "-A -t [2001:db8::1]:80 -p -M 64", want: ok(), save: "-A -t [2001:db8::1]:80 -s wlc -p 360 -M 64\n"},
		{args: "-A -t [2001:db8::1]:80 -p -M 64abc", want: ok(), save: "-A -t [2001:db8::1]:80 -s wlc -p 360 -M 64\n"}, // atoi
		{args: "-A -t [2001:db8::1]:80 -p -M 129", want: stderr("illegal ipv6 netmask specified", 2)},
		{args: "-A -t [2001:db8::1]:80 -p -M abc", want: stderr("illegal ipv6 netmask specified", 2)},
		{args: "-A -M 64 -t [2001:db8::1]:80 -p", want: ok(), save: "-A -t [2001:db8::1]:80 -s wlc -p 360\n"}, // the address resets it
		// Persistence engines are the kernel's business too.
		{args: "-A -t 10.0.0.1:80 -p --pe sip", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 360 --pe sip\n"},
		{args: "-A -t 10.0.0.1:80 -p --pe ftp", want: stderr("Scheduler or persistence engine not found", 255)},
		// Scheduler flags, checked against -s (wlc by default) after every option.
		{args: "-A -t 10.0.0.1:80 -b flag-2", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -b flag-2\n"},
		{args: "-A -t 10.0.0.1:80 -b sh-port -s sh", want: ok(), save: "-A -t 10.0.0.1:80 -s sh -b sh-port\n"},
		{args: "-A -t 10.0.0.1:80 -s mh --sched-flags mh-fallback,mh-port", want: ok(), save: "-A -t 10.0.0.1:80 -s mh -b mh-fallback,mh-port\n"},
		{args: "-A -t 10.0.0.1:80 -b flag-1,,flag-3", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -b flag-1,flag-3\n"},
		{args: "-A -t 10.0.0.1:80 -b ''", want: ok(), save: svc80}, // an empty -b is not parsed
		{args: "-A -t 10.0.0.1:80 -b mh-port", want: stderr("incompatible scheduler flag `mh-port'", 2)},
		{args: "-A -t 10.0.0.1:80 -b flag-4", want: stderr("invalid scheduler flag `flag-4'", 2)},
		// One-packet scheduling: UDP and firewall-mark services only.
		{args: "-A -u 10.0.0.1:53 -o", want: ok(), save: "-A -u 10.0.0.1:53 -s wlc -o\n"},
		{args: "-A -f 3 --ops", want: ok(), save: "-A -f 3 -s wlc -o\n"},
		{args: "-A -t 10.0.0.1:80 -o", want: stderr("One-Packet Scheduling is only for UDP virtual services", 2)},
		{args: "-A --sctp-service 10.0.0.1:80 -o", want: stderr("One-Packet Scheduling is only for UDP virtual services", 2)},
	})
}

// TestGrammarServerOptions: -r -g -i -m -w -x -y and the tunnel options.
func TestGrammarServerOptions(t *testing.T) {
	add := "-A -t 10.0.0.1:80 -s rr"
	dest := func(rest string) string { return "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 " + rest + "\n" }
	th := func(line string) result {
		return result{"Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n" +
			"  -> RemoteAddress:Port\nTCP  10.0.0.1:80 rr\n" + line, "", 0}
	}
	runCases(t, []cliCase{
		// The port: copied from the service when absent, forced to it for DR and TUN.
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:8080 -m -w 1")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 --masquerading", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -m -w 1")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1:8080 --gatewaying", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -g -w 1")},
		{args: "-a -t 10.0.0.1:80 --real-server 192.168.1.1:8080 --ipip", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -i -w 1 --tun-type ipip")},
		{args: "-a -t 10.0.0.1:80 -r localhost:http-alt -m", setup: []string{add}, want: ok(), save: dest("-r 127.0.0.1:8080 -m -w 1")},
		{args: "-a -t 10.0.0.1:80 -r [2001:db8::5]:80 -i", setup: []string{add}, want: ok(), save: dest("-r [2001:db8::5]:80 -i -w 1 --tun-type ipip")},
		{args: "-a -t 10.0.0.1:80 -r [2001:db8::5]:80", setup: []string{add}, want: stderr("Different address family is allowed only for tunneling servers", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1:99999", setup: []string{add}, want: stderr("illegal real server address[:port] specified", 2)},
		{args: "-a -r 192.168.1.1:http -t 10.0.0.1:80", setup: []string{add}, want: stderr("illegal real server address[:port] specified", 2)}, // no protocol yet
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -m -g", setup: []string{add}, want: stderr("multiple 'forwarding-method' options specified", 2)},
		// Weights: 0..INT_MAX (Debian), strtol's leading blanks and sign.
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -w 0", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -g -w 0")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 --weight 65536", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -g -w 65536")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -w 2147483647", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -g -w 2147483647")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -w ⎵+5", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -g -w 5")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -w 2147483648", setup: []string{add}, want: stderr("illegal weight specified", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -w 5⎵", setup: []string{add}, want: stderr("illegal weight specified", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -w 0x5", setup: []string{add}, want: stderr("illegal weight specified", 2)},
		// Thresholds: 0..INT_MAX each, l <= u checked by the kernel; -S does not save them.
		{args: "-L -n --thresholds -t 10.0.0.1:80", setup: []string{add, "-a -t 10.0.0.1:80 -r 192.168.1.1 --u-threshold 2147483647 --l-threshold 7"},
			want: th("  -> 192.168.1.1:80               2147483647 7          0          0         \n")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -x 2147483648", setup: []string{add}, want: stderr("illegal u_threshold specified", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -y -1", setup: []string{add}, want: stderr("illegal l_threshold specified", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -y 5", setup: []string{add}, want: stderr("Numerical result out of range", 255)},
		// Tunnels: type and options, checked against the type (ipip by default).
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type gue --tun-port 6080", setup: []string{add}, want: ok(),
			save: dest("-r 192.168.1.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type gue --tun-port 6080 --tun-remcsum", setup: []string{add}, want: ok(),
			save: dest("-r 192.168.1.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type gre --tun-csum", setup: []string{add}, want: ok(),
			save: dest("-r 192.168.1.1:80 -i -w 1 --tun-type gre --tun-csum")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type gre --tun-nocsum", setup: []string{add}, want: ok(),
			save: dest("-r 192.168.1.1:80 -i -w 1 --tun-type gre --tun-nocsum")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type ipip", setup: []string{add}, want: ok(), save: dest("-r 192.168.1.1:80 -i -w 1 --tun-type ipip")},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type GUE", setup: []string{add}, want: stderr("illegal tunnel type specified", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type gue --tun-port 65536", setup: []string{add}, want: stderr("illegal tunnel port specified", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -m --tun-csum", setup: []string{add}, want: stderr("Tunnel options conflict with forward method", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 --tun-type ipip", setup: []string{add}, want: stderr("Tunnel options conflict with forward method", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-nocsum", setup: []string{add}, want: stderr("Illegal 'tun-nocsum' option with the 'ipip' tunnel type", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type gue", setup: []string{add}, want: stderr("You need to supply the 'tun-port' option for the 'gue' tunnel type", 2)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -i --tun-type gre --tun-nocsum --tun-csum", setup: []string{add},
			want: stderr("The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gre' tunnel type", 2)},
		{args: "-d -t 10.0.0.1:80 -r 192.168.1.1 -i", setup: []string{add}, want: stderr("Illegal 'forwarding-method' option with the 'delete-server' command", 2)},
	})
}

// TestGrammarDefaults pins ipvsadm's defaults, including those its man
// page gets wrong (SPEC.md §1.6): -p is 360 s (not 300), weights and
// thresholds go to INT_MAX (not 65535), the sync id is 0 (the usage text
// says 255), and -E/-e replace every attribute they do not name.
func TestGrammarDefaults(t *testing.T) {
	runCases(t, []cliCase{
		{args: "-A -t 10.0.0.1:80 -p", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 360\n"},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1", setup: []string{"-A -t 10.0.0.1:80"}, want: ok(),
			save: svc80 + "-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g -w 1\n"},
		{args: "-E -u 10.0.0.1:53", setup: []string{"-A -u 10.0.0.1:53 -s sh -b sh-port -o -p 60 -M 255.255.255.0 --pe sip"}, want: ok(),
			save: "-A -u 10.0.0.1:53 -s wlc\n"},
		{args: "-e -t 10.0.0.1:80 -r 192.168.1.1", setup: []string{"-A -t 10.0.0.1:80", "-a -t 10.0.0.1:80 -r 192.168.1.1 -m -w 5 -x 10 -y 2"}, want: ok(),
			save: svc80 + "-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g -w 1\n"},
		{args: "-L -n --thresholds", setup: []string{"-A -t 10.0.0.1:80", "-a -t 10.0.0.1:80 -r 192.168.1.1 -m -w 5 -x 10 -y 2", "-e -t 10.0.0.1:80 -r 192.168.1.1 -m"},
			want: result{"IP Virtual Server version 1.2.1 (size=4096)\n" +
				"Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n" +
				"  -> RemoteAddress:Port\nTCP  10.0.0.1:80 wlc\n" +
				"  -> 192.168.1.1:80               0          0          0          0         \n", "", 0}},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1 -w 2147483647 -x 2147483647 -y 2147483647", setup: []string{"-A -t 10.0.0.1:80"}, want: ok(),
			save: svc80 + "-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g -w 2147483647\n"},
	})
	c := mustParse(t, "--start-daemon", "master")
	if c.Daemon.SyncID != 0 || c.Daemon.McastIfn != "eth0" || c.Daemon.McastPort != 0 || c.Daemon.McastTTL != 0 || c.Daemon.SyncMaxLen != 0 {
		t.Errorf("--start-daemon defaults: %+v", c.Daemon)
	}
	if c = mustParse(t, "--start-daemon", "backup", "--syncid", "255", "--mcast-interface", "0123456789abcdefXYZ"); c.Daemon.SyncID != 255 || c.Daemon.McastIfn != "0123456789abcde" {
		t.Errorf("--syncid 255, long interface: %+v", c.Daemon)
	}
}
