package keepalived

import (
	"path/filepath"

	"github.com/xlvs/xlvs/ctrl/api"
)

// Load reads the keepalived configuration in path (and the files it
// includes). On error nothing of it is returned: the error carries
// file:line (an *Error) or is the failure to read path itself.
func Load(path string) (*Config, error) {
	path = filepath.Clean(path)
	lx := &lexer{}
	if err := lx.file(path, 0, Pos{File: path}); err != nil {
		return nil, err
	}
	tree, err := buildTree(lx.lines)
	if err != nil {
		return nil, err
	}
	ps := &parser{warnings: lx.warnings, groups: map[string]*group{}}
	cfg := &Config{}
	// Groups first: a virtual_server may name a group defined after it.
	for _, n := range tree {
		if n.keyword() == "virtual_server_group" {
			if err := ps.group(n); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range tree {
		if err := ps.top(cfg, n); err != nil {
			return nil, err
		}
	}
	if err := checkUnique(cfg); err != nil {
		return nil, err
	}
	cfg.Warnings = ps.warnings
	return cfg, nil
}

// unsupportedTop are keepalived's top-level blocks xlvs does not run.
var unsupportedTop = map[string]bool{
	"vrrp_instance": true, "vrrp_sync_group": true, "vrrp_script": true, "static_ipaddress": true,
	"static_routes": true, "static_rules": true, "SSL": true, "bfd_instance": true, "track_file": true,
	"vrrp_track_file": true, "vrrp_track_process": true, "linkbeat_interfaces": true, "garp_group": true,
	"net_namespace": true, "instance": true, "use_pid_dir": true,
}

func (ps *parser) top(cfg *Config, n *node) error {
	switch k := n.keyword(); {
	case k == "global_defs":
		return ps.globalDefs(cfg, n)
	case k == "virtual_server_group":
		return nil // read first
	case k == "virtual_server":
		vss, err := ps.virtualServer(n)
		if err != nil {
			return err
		}
		cfg.Services = append(cfg.Services, vss...)
	case unsupportedTop[k]:
		ps.warn(n, "%s is not supported by xlvs, skipped", k)
	default:
		ps.warn(n, "unknown keyword '%s', skipped", k)
	}
	return nil
}

// globalDefs reads lvs_timeouts and lvs_flush; the rest of global_defs
// (router_id, notification_email, vrrp_*, ...) does not concern xlvs.
func (ps *parser) globalDefs(cfg *Config, n *node) error {
	for _, c := range n.children {
		switch c.keyword() {
		case "lvs_timeouts":
			t, err := lvsTimeouts(c)
			if err != nil {
				return err
			}
			cfg.Timeouts = t
		case "lvs_flush":
			if err := nargs(c, 0, 0); err != nil {
				return err
			}
			cfg.Flush = true
		case "lvs_sync_daemon":
			ps.warn(c, "lvs_sync_daemon follows a VRRP instance's state, and xlvs runs no VRRP: start the sync daemon with xlvsadm --start-daemon master|backup; ignored")
		default:
			ps.warn(c, "global_defs: %s does not concern xlvs, ignored", c.keyword())
		}
	}
	return nil
}

// lvsTimeouts reads `lvs_timeouts [tcp T] [tcpfin T] [udp T]`.
func lvsTimeouts(n *node) (*api.Timeouts, error) {
	a := n.args()
	if len(a) == 0 || len(a)%2 != 0 {
		return nil, errorf(n, "lvs_timeouts needs pairs of tcp|tcpfin|udp and seconds")
	}
	t := &api.Timeouts{}
	for i := 0; i < len(a); i += 2 {
		v, err := uintArg(&node{pos: n.pos, words: []string{"lvs_timeouts " + a[i], a[i+1]}}, 0, 1, 86400*31)
		if err != nil {
			return nil, err
		}
		switch a[i] {
		case "tcp":
			t.TCP = uint32(v)
		case "tcpfin":
			t.TCPFin = uint32(v)
		case "udp":
			t.UDP = uint32(v)
		default:
			return nil, errorf(n, "lvs_timeouts: unknown timeout %q (tcp, tcpfin, udp)", a[i])
		}
	}
	return t, nil
}

// checkUnique refuses two virtual servers with the same key.
func checkUnique(cfg *Config) error {
	seen := map[api.ServiceKey]Pos{}
	for _, vs := range cfg.Services {
		k := vs.Service.Service.Key
		if p, dup := seen[k]; dup {
			return &Error{Pos: vs.Pos, Msg: "virtual server " + keyName(k) + " is already defined at " + p.String()}
		}
		seen[k] = vs.Pos
	}
	return nil
}
