package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/decap"
)

func status(args []string, stdout, stderr io.Writer) error {
	s, path, err := readState("status", args, stderr)
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("%w: no state file %s", errNotUp, path)
	}
	fmt.Fprintf(stdout, "mode: %s\n", describe(s))
	fmt.Fprintf(stdout, "state file: %s\n", path)
	if err := showVIPs(stdout, s); err != nil {
		return err
	}
	showSysctls(stdout, s)
	if s.Kernel != nil {
		fmt.Fprintf(stdout, "kernel tunnels: brought up %v, fou GUE ports %v\n", s.Kernel.LinksUp, s.Kernel.FouPorts)
	}
	if s.Decap == "bpf" {
		return showDecap(stdout, s)
	}
	return nil
}

// showVIPs lists the VIPs and whether each is on lo.
func showVIPs(w io.Writer, s *state) error {
	fmt.Fprintln(w, "VIPs:")
	for _, v := range s.VIPs {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return fmt.Errorf("state: VIP %q: %w", v, err)
		}
		p := hostPrefix(a)
		has, err := hasAddr(vipDev, p)
		if err != nil {
			return err
		}
		note := "was there before up"
		for _, c := range s.Addresses {
			if c.CIDR == p.String() {
				note = "added by xlvs-rs"
			}
		}
		if !has {
			note = "MISSING"
		}
		fmt.Fprintf(w, "  %s on %s (%s)\n", p, vipDev, note)
	}
	return nil
}

// showSysctls lists the sysctls up changed, their values now and before.
func showSysctls(w io.Writer, s *state) {
	fmt.Fprintln(w, "sysctls:")
	if len(s.Sysctls) == 0 {
		fmt.Fprintln(w, "  (none changed: all had the needed values)")
	}
	for _, c := range s.Sysctls {
		cur, err := readSysctl(c.Path)
		switch {
		case err != nil:
			fmt.Fprintf(w, "  %s: %v\n", sysctlName(c.Path), err)
		case cur != c.Value:
			fmt.Fprintf(w, "  %s = %s, CHANGED since up set %s (was %s)\n", sysctlName(c.Path), cur, c.Value, c.Previous)
		default:
			fmt.Fprintf(w, "  %s = %s (was %s)\n", sysctlName(c.Path), cur, c.Previous)
		}
	}
}

// showDecap describes the tc-BPF decapsulator on the device and its
// counters.
func showDecap(w io.Writer, s *state) error {
	link, err := netlink.LinkByName(s.Dev)
	if err != nil {
		return fmt.Errorf("interface %s: %w", s.Dev, err)
	}
	d, a, err := decap.Find(link.Attrs().Index)
	if errors.Is(err, decap.ErrNotAttached) {
		fmt.Fprintf(w, "decapsulator: NOT ATTACHED to %s\n", s.Dev)
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	id, err := d.ProgramID()
	if err != nil {
		return err
	}
	vips, err := d.VIPs()
	if err != nil {
		return err
	}
	port, err := d.GUEPort()
	if err != nil {
		return err
	}
	gre, err := d.GRE()
	if err != nil {
		return err
	}
	c, err := d.Counters()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "decapsulator: attached to %s (tc clsact ingress, filter %s pref %d handle %d, program id %d)\n",
		s.Dev, decap.FilterName, a.Priority, a.Handle, id)
	fmt.Fprintf(w, "  VIPs: %v\n", vips)
	tunnels := "IPIP"
	if port != 0 {
		tunnels += fmt.Sprintf(", GUE on UDP port %d", port)
	}
	if gre {
		tunnels += ", GRE"
	}
	fmt.Fprintf(w, "  tunnels: %s\n", tunnels)
	fmt.Fprintln(w, "counters:")
	for _, group := range []struct{ label, prefix string }{
		{"decapsulated", "decap-"}, {"passed", "pass-"}, {"dropped", "drop-"},
	} {
		var sum uint64
		var parts []string
		for _, name := range decap.CounterNames {
			if strings.HasPrefix(name, group.prefix) {
				sum += c[name]
				parts = append(parts, fmt.Sprintf("%s %d", name, c[name]))
			}
		}
		fmt.Fprintf(w, "  %-12s %d (%s)\n", group.label, sum, strings.Join(parts, ", "))
	}
	return nil
}
