package netlab

import (
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// AttachXDPPass attaches a native-mode XDP program that passes every packet
// to interface dev. A veth end only accepts frames redirected or XDP_TX'ed
// into it by its peer (ndo_xdp_xmit) when it has an XDP program of its own;
// this is the do-nothing program for that. The program is attached through
// a bpf_link that [Lab.Close] releases (the namespace's removal would too).
func (ns *NS) AttachXDPPass(dev string) error {
	idx, err := ns.LinkIndex(dev)
	if err != nil {
		return err
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:    "netlab_pass",
		Type:    ebpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, 2), // XDP_PASS
			asm.Return(),
		},
	})
	if err != nil {
		return fmt.Errorf("netlab: load XDP pass program: %w", err)
	}
	defer prog.Close() // the link holds its own reference
	var l link.Link
	// BPF_LINK_CREATE resolves the ifindex in the caller's namespace.
	err = ns.do(func() error {
		var err error
		l, err = link.AttachXDP(link.XDPOptions{Program: prog, Interface: idx, Flags: link.XDPDriverMode})
		return err
	})
	if err != nil {
		return fmt.Errorf("netlab: attach XDP pass to %s in %s: %w", dev, nsName(ns), err)
	}
	ns.Lab.registerCloser(l)
	return nil
}

// registerCloser records something Close must release first.
func (l *Lab) registerCloser(c io.Closer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closers = append(l.closers, c)
}
