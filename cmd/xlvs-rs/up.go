package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"

	"github.com/spf13/pflag"
	"github.com/vishvananda/netlink"
)

// upOptions are the settings of `xlvs-rs up`.
type upOptions struct {
	vips      []netip.Addr
	mode      string // "dr", "tun"
	dev       string // "": from the state, else the default route's
	tunType   string // "ipip", "gue", "gre" (tun)
	tunPort   uint16
	decap     string // "auto", "bpf", "kernel" (tun)
	statePath string
}

func parseUp(args []string, stderr io.Writer) (*upOptions, error) {
	o := &upOptions{}
	var vips []string
	var port int
	fs := pflag.NewFlagSet("xlvs-rs up", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringSliceVar(&vips, "vip", nil, "virtual IP address (repeatable, or comma-separated)")
	fs.StringVar(&o.mode, "mode", "", "forwarding method of the director: dr or tun")
	fs.StringVar(&o.dev, "dev", "", "interface facing the director (default: the default route's)")
	fs.StringVar(&o.tunType, "tun-type", "", "tunnel type (tun): ipip (default), gue or gre")
	fs.IntVar(&port, "tun-port", 0, "UDP port of GUE (tun-type gue)")
	fs.StringVar(&o.decap, "decap", "", "decapsulation (tun): auto (default), bpf or kernel")
	fs.StringVar(&o.statePath, "state", defaultStatePath, "state file")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if len(vips) == 0 {
		return nil, fmt.Errorf("%w: at least one --vip is required", errUsage)
	}
	for _, v := range vips {
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() {
			return nil, fmt.Errorf("%w: invalid --vip %q: must be a unicast IPv4 or IPv6 address", errUsage, v)
		}
		if a = a.Unmap(); !slices.Contains(o.vips, a) {
			o.vips = append(o.vips, a)
		}
	}
	tunnelFlags := fs.Changed("tun-type") || fs.Changed("tun-port") || fs.Changed("decap")
	switch o.mode {
	case "dr":
		if tunnelFlags {
			return nil, fmt.Errorf("%w: Tunnel options conflict with forward method", errUsage)
		}
		return o, nil
	case "tun":
	case "":
		return nil, fmt.Errorf("%w: --mode is required: dr or tun", errUsage)
	default:
		return nil, fmt.Errorf("%w: invalid --mode %q: must be dr or tun", errUsage, o.mode)
	}
	if o.tunType == "" {
		o.tunType = "ipip"
	}
	if o.decap == "" {
		o.decap = "auto"
	}
	switch o.tunType {
	case "ipip":
		if fs.Changed("tun-port") {
			return nil, fmt.Errorf("%w: Illegal 'tun-port' option with the 'ipip' tunnel type", errUsage)
		}
	case "gue":
		if !fs.Changed("tun-port") {
			return nil, fmt.Errorf("%w: You need to supply the 'tun-port' option for the 'gue' tunnel type", errUsage)
		}
		if port < 1 || port > 65535 {
			return nil, fmt.Errorf("%w: illegal tunnel port specified", errUsage)
		}
		o.tunPort = uint16(port)
	case "gre":
		if fs.Changed("tun-port") {
			return nil, fmt.Errorf("%w: Illegal 'tun-port' option with the 'gre' tunnel type", errUsage)
		}
	default:
		return nil, fmt.Errorf("%w: illegal tunnel type specified", errUsage)
	}
	if o.decap != "auto" && o.decap != "bpf" && o.decap != "kernel" {
		return nil, fmt.Errorf("%w: invalid --decap %q: must be auto, bpf or kernel", errUsage, o.decap)
	}
	return o, nil
}

func up(args []string, stdout, stderr io.Writer) error {
	o, err := parseUp(args, stderr)
	if err != nil {
		return err
	}
	old, err := loadState(o.statePath)
	if err != nil {
		return err
	}
	s, err := upState(o, old)
	if err != nil {
		return err
	}
	if _, err := netlink.LinkByName(s.Dev); err != nil {
		return fmt.Errorf("interface %s: %w", s.Dev, err)
	}
	j := &journal{out: stdout}
	err = apply(o, s, j)
	if err == nil {
		err = s.save(o.statePath)
	}
	if err != nil {
		if uerr := j.undo(); uerr != nil {
			return fmt.Errorf("%w; undoing this run's changes failed too: %w", err, uerr)
		}
		return fmt.Errorf("%w (this run's changes are undone)", err)
	}
	if len(j.undos) == 0 {
		fmt.Fprintln(stdout, "already up: nothing changed")
	}
	return nil
}

// upState returns the state up works on: a copy of old, checked against
// o, or a new one.
func upState(o *upOptions, old *state) (*state, error) {
	if old == nil {
		ns, err := currentNetNS()
		if err != nil {
			return nil, err
		}
		dev := o.dev
		if dev == "" {
			if dev, err = defaultRouteDev(); err != nil {
				return nil, err
			}
		}
		s := &state{NetNS: ns, Mode: o.mode, Dev: dev}
		if o.mode == "tun" {
			s.TunType, s.TunPort = o.tunType, o.tunPort
			if s.Decap, err = chooseDecap(o.decap, o.tunType); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	if err := old.checkNetNS(o.statePath); err != nil {
		return nil, err
	}
	if o.dev == "" {
		o.dev = old.Dev
	}
	decapMode := old.Decap
	if o.mode == "tun" && o.decap != "auto" {
		decapMode = o.decap
	}
	if o.mode != old.Mode || o.dev != old.Dev || o.tunType != old.TunType || o.tunPort != old.TunPort || decapMode != old.Decap {
		return nil, fmt.Errorf("%w: already up as %s; run xlvs-rs down first to change the mode, device or tunnel", errConflict, describe(old))
	}
	s := *old
	s.Addresses = slices.Clone(old.Addresses)
	s.Sysctls = slices.Clone(old.Sysctls)
	return &s, nil
}

// describe summarises a state's mode, device and tunnel.
func describe(s *state) string {
	d := fmt.Sprintf("--mode %s --dev %s", s.Mode, s.Dev)
	if s.Mode == "tun" {
		d += " --tun-type " + s.TunType
		if s.TunType == "gue" {
			d += fmt.Sprintf(" --tun-port %d", s.TunPort)
		}
		d += " --decap " + s.Decap
	}
	return d
}

// apply makes the system match o, recording in s what it changed and in j
// how to undo this run's changes.
func apply(o *upOptions, s *state, j *journal) error {
	if err := applySysctls(s, j); err != nil {
		return err
	}
	if err := applyAddresses(o.vips, s, j); err != nil {
		return err
	}
	s.VIPs = s.VIPs[:0]
	for _, v := range o.vips {
		s.VIPs = append(s.VIPs, v.String())
	}
	switch s.Decap {
	case "bpf":
		return applyBPFDecap(o.vips, s, j)
	case "kernel":
		return applyKernelDecap(s, j)
	}
	return nil
}

// applySysctls sets arp_ignore and arp_announce on all and the device, and
// in TUN mode makes a strict rp_filter loose.
func applySysctls(s *state, j *journal) error {
	for _, p := range []string{"all", s.Dev} {
		if err := setSysctlIf(s, j, confPath(p, "arp_ignore"), "1", ""); err != nil {
			return err
		}
		if err := setSysctlIf(s, j, confPath(p, "arp_announce"), "2", ""); err != nil {
			return err
		}
	}
	if s.Mode != "tun" {
		return nil
	}
	for _, p := range []string{"all", s.Dev} {
		if err := setSysctlIf(s, j, confPath(p, "rp_filter"), "2", "1"); err != nil {
			return err
		}
	}
	return nil
}

// setSysctlIf sets path to value — only when it is onlyIf, unless onlyIf is
// "" — and records the previous value in s. A sysctl recorded by an earlier
// up keeps its first previous value, and is set again if it was changed
// since.
func setSysctlIf(s *state, j *journal, path, value, onlyIf string) error {
	cur, err := readSysctl(path)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(s.Sysctls, func(c sysctlChange) bool { return c.Path == path })
	switch {
	case i >= 0 && cur == s.Sysctls[i].Value:
		return nil // set by an earlier up
	case i >= 0:
		value = s.Sysctls[i].Value // changed behind our back
	case cur == value || (onlyIf != "" && cur != onlyIf):
		return nil
	default:
		s.Sysctls = append(s.Sysctls, sysctlChange{Path: path, Previous: cur, Value: value})
	}
	if err := writeSysctl(path, value); err != nil {
		return err
	}
	j.did(fmt.Sprintf("%s = %s (was %s)", sysctlName(path), value, cur), func() error { return writeSysctl(path, cur) })
	return nil
}

// applyAddresses puts every VIP on lo and removes the addresses an earlier
// up added for VIPs that are no longer listed.
func applyAddresses(vips []netip.Addr, s *state, j *journal) error {
	var keep []addrChange
	listed := map[string]bool{}
	for _, v := range vips {
		listed[hostPrefix(v).String()] = true
	}
	for _, a := range s.Addresses {
		if listed[a.CIDR] {
			keep = append(keep, a)
			continue
		}
		p, err := netip.ParsePrefix(a.CIDR)
		if err != nil {
			return fmt.Errorf("state: address %q: %w", a.CIDR, err)
		}
		if err := delAddr(a.Dev, p); err != nil {
			return err
		}
		j.did(fmt.Sprintf("removed %s from %s (no longer a VIP)", p, a.Dev), func() error { return addAddr(a.Dev, p) })
	}
	s.Addresses = keep
	for _, v := range vips {
		p := hostPrefix(v)
		has, err := hasAddr(vipDev, p)
		if err != nil {
			return err
		}
		if has {
			continue // ours from an earlier up, or the administrator's: left as it is
		}
		if err := addAddr(vipDev, p); err != nil {
			return err
		}
		j.did(fmt.Sprintf("added %s to %s", p, vipDev), func() error { return delAddr(vipDev, p) })
		if !slices.ContainsFunc(s.Addresses, func(a addrChange) bool { return a.CIDR == p.String() }) {
			s.Addresses = append(s.Addresses, addrChange{Dev: vipDev, CIDR: p.String()})
		}
	}
	// up returns when the VIPs can be bound and receive (addr.go).
	for _, v := range vips {
		if err := waitUsable(vipDev, hostPrefix(v)); err != nil {
			return err
		}
	}
	return nil
}

// journal prints the changes of one run and keeps how to undo them.
type journal struct {
	out   io.Writer
	undos []func() error
}

// did reports a change and remembers its undo.
func (j *journal) did(what string, undo func() error) {
	fmt.Fprintln(j.out, what)
	j.undos = append(j.undos, undo)
}

// undo reverts the run's changes, last first.
func (j *journal) undo() error {
	var errs []error
	for i := len(j.undos) - 1; i >= 0; i-- {
		if err := j.undos[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
