package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/decap"
)

// kernelChange is what up changed to let the kernel's own tunnel modules
// decapsulate (--decap kernel).
type kernelChange struct {
	// LinksUp are the fallback tunnel devices (tunl0, ip6tnl0, sit0) up
	// brought up.
	LinksUp []string `json:"linksUp,omitempty"`
	// FouPorts are the GUE receive ports up added, per family (4 or 6).
	FouPorts []fouPort `json:"fouPorts,omitempty"`
}

// fouPort is a GUE receive port of the fou module.
type fouPort struct {
	Family int    `json:"family"`
	Port   uint16 `json:"port"`
}

// fallbackTunnels are the devices the kernel's tunnel modules create in
// every namespace: packets they decapsulate arrive on them. GRE adds
// greTunnels.
var (
	fallbackTunnels = []string{"tunl0", "ip6tnl0", "sit0"}
	greTunnels      = []string{"gre0", "ip6gre0"}
)

// chooseDecap resolves --decap: "bpf", or "kernel" when the kernel has the
// modules the tunnel type needs (ipip; and fou for GUE, ip_gre for GRE).
func chooseDecap(want, tunType string) (string, error) {
	if want == "bpf" {
		return "bpf", nil
	}
	missing := kernelMissing(tunType)
	switch {
	case missing == "":
		return "kernel", nil
	case want == "kernel":
		return "", fmt.Errorf("--decap kernel: the kernel has no %s module (use --decap bpf)", missing)
	default:
		return "bpf", nil
	}
}

// kernelMissing names the first tunnel module the kernel lacks for
// tunType, or returns "".
func kernelMissing(tunType string) string {
	if !kernelHasIPIP() {
		return "ipip"
	}
	switch tunType {
	case "gue":
		if _, err := netlink.FouFamilyId(); err != nil {
			return "fou"
		}
	case "gre":
		if !kernelHasGRE() {
			return "ip_gre"
		}
	}
	return ""
}

// kernelHasGRE reports whether the kernel can decapsulate GRE: its
// fallback device gre0 exists, or a GRE link can be created (loading the
// module where modules load on demand). The probe link is deleted at once.
func kernelHasGRE() bool {
	if _, err := netlink.LinkByName("gre0"); err == nil {
		return true
	}
	probe := &netlink.Gretun{LinkAttrs: netlink.LinkAttrs{Name: "xlvsrs-probe"}}
	if err := netlink.LinkAdd(probe); err != nil {
		return false
	}
	_ = netlink.LinkDel(probe) // best effort: it was never up
	return true
}

// kernelHasIPIP reports whether the kernel can decapsulate IPIP: its
// fallback device tunl0 exists, or an ipip link can be created (which
// loads the module where modules load on demand). The probe link is
// deleted at once.
func kernelHasIPIP() bool {
	if _, err := netlink.LinkByName("tunl0"); err == nil {
		return true
	}
	probe := &netlink.Iptun{LinkAttrs: netlink.LinkAttrs{Name: "xlvsrs-probe"}}
	if err := netlink.LinkAdd(probe); err != nil {
		return false
	}
	_ = netlink.LinkDel(probe) // best effort: it was never up
	return true
}

// applyBPFDecap attaches the tc-BPF decapsulator to the device, or
// reconfigures the one attached by an earlier up.
func applyBPFDecap(vips []netip.Addr, s *state, j *journal) error {
	link, err := netlink.LinkByName(s.Dev)
	if err != nil {
		return fmt.Errorf("interface %s: %w", s.Dev, err)
	}
	ifindex := link.Attrs().Index
	d, a, err := decap.Find(ifindex)
	switch {
	case errors.Is(err, decap.ErrNotAttached):
		return attachBPFDecap(vips, s, j, ifindex)
	case err != nil:
		return err
	}
	defer d.Close()
	oldVIPs, err := d.VIPs()
	if err != nil {
		return err
	}
	oldPort, err := d.GUEPort()
	if err != nil {
		return err
	}
	if s.Decapsulator == nil {
		// Attached by an up whose state file is lost: adopt it, so down
		// removes it.
		s.Decapsulator = &a
	}
	oldGRE, err := d.GRE()
	if err != nil {
		return err
	}
	gre := s.TunType == "gre"
	if slices.Equal(oldVIPs, sortedAddrs(vips)) && oldPort == s.TunPort && oldGRE == gre {
		return nil
	}
	if err := d.SetVIPs(vips); err != nil {
		return err
	}
	if err := d.SetGUEPort(s.TunPort); err != nil {
		return err
	}
	if err := d.SetGRE(gre); err != nil {
		return err
	}
	j.did(fmt.Sprintf("decapsulator on %s: VIPs %v, GUE port %d, GRE %v", s.Dev, vips, s.TunPort, gre), func() error {
		d, _, err := decap.Find(ifindex)
		if err != nil {
			return err
		}
		defer d.Close()
		return errors.Join(d.SetVIPs(oldVIPs), d.SetGUEPort(oldPort), d.SetGRE(oldGRE))
	})
	return nil
}

// attachBPFDecap loads and attaches a new decapsulator.
func attachBPFDecap(vips []netip.Addr, s *state, j *journal, ifindex int) error {
	d, err := decap.Load(decap.Options{VIPs: vips, GUEPort: s.TunPort, GRE: s.TunType == "gre"})
	if err != nil {
		return err
	}
	defer d.Close()
	a, err := d.Attach(ifindex)
	if err != nil {
		return err
	}
	s.Decapsulator = &a
	what := "IPIP"
	if s.TunPort != 0 {
		what += fmt.Sprintf(" and GUE on UDP port %d", s.TunPort)
	}
	if s.TunType == "gre" {
		what += " and GRE"
	}
	j.did(fmt.Sprintf("attached the tc-BPF decapsulator (%s) to %s ingress", what, s.Dev), func() error { return decap.Detach(a) })
	return nil
}

func sortedAddrs(a []netip.Addr) []netip.Addr {
	out := slices.Clone(a)
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// applyKernelDecap brings the kernel's fallback tunnel devices up, makes
// their rp_filter loose and, for GUE, opens the fou receive port for both
// families. Untested on machines without the modules (this project's CI).
func applyKernelDecap(s *state, j *journal) error {
	if s.Kernel == nil {
		s.Kernel = &kernelChange{}
	}
	names := fallbackTunnels
	if s.TunType == "gre" {
		names = append(slices.Clone(names), greTunnels...)
	}
	for _, name := range names {
		link, err := netlink.LinkByName(name)
		if err != nil {
			continue // module not loaded: that family of tunnel is not available
		}
		if link.Attrs().Flags&net.FlagUp == 0 {
			if err := netlink.LinkSetUp(link); err != nil {
				return fmt.Errorf("set %s up: %w", name, err)
			}
			if !slices.Contains(s.Kernel.LinksUp, name) {
				s.Kernel.LinksUp = append(s.Kernel.LinksUp, name)
			}
			j.did("set "+name+" up", func() error { return netlink.LinkSetDown(link) })
		}
		if name == "tunl0" || name == "sit0" || name == "gre0" {
			if err := setSysctlIf(s, j, confPath(name, "rp_filter"), "2", "1"); err != nil {
				return err
			}
		}
	}
	if s.TunType != "gue" {
		return nil
	}
	for _, family := range []int{4, 6} {
		f := fou(family, s.TunPort)
		err := netlink.FouAdd(f)
		if errors.Is(err, syscall.EEXIST) {
			continue
		}
		if err != nil {
			return fmt.Errorf("add fou GUE port %d (IPv%d): %w", s.TunPort, family, err)
		}
		fp := fouPort{Family: family, Port: s.TunPort}
		if !slices.Contains(s.Kernel.FouPorts, fp) {
			s.Kernel.FouPorts = append(s.Kernel.FouPorts, fp)
		}
		j.did(fmt.Sprintf("added fou GUE port %d (IPv%d)", s.TunPort, family), func() error { return netlink.FouDel(f) })
	}
	return nil
}

// fou is the GUE receive port of family (4 or 6).
func fou(family int, port uint16) netlink.Fou {
	f := netlink.Fou{Family: netlink.FAMILY_V4, Port: int(port), EncapType: netlink.FOU_ENCAP_GUE}
	if family == 6 {
		f.Family = netlink.FAMILY_V6
	}
	return f
}

// undoKernel reverts a kernelChange.
func undoKernel(k *kernelChange) error {
	var errs []error
	for _, fp := range k.FouPorts {
		if err := netlink.FouDel(fou(fp.Family, fp.Port)); err != nil && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("remove fou GUE port %d (IPv%d): %w", fp.Port, fp.Family, err))
		}
	}
	for _, name := range k.LinksUp {
		link, err := netlink.LinkByName(name)
		if err == nil {
			err = netlink.LinkSetDown(link)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("set %s down: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
