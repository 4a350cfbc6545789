package fwd

import (
	"fmt"
	"net"

	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
)

// Reflector is the kernel XDP forwarder: attached to the ingress
// interface, it rewrites the Ethernet addresses of every IP frame and
// redirects it out of the egress interface. The egress veth's peer needs an
// XDP program to accept redirected frames.
type Reflector struct {
	objs reflectObjects
	link link.Link
}

// NewReflector attaches the reflector to in, sending out of out to dstMAC
// from srcMAC. Indexes are resolved in the calling thread's namespace.
func NewReflector(in, out int, srcMAC, dstMAC net.HardwareAddr) (*Reflector, error) {
	if len(srcMAC) != 6 || len(dstMAC) != 6 {
		return nil, fmt.Errorf("%w: source and destination MAC addresses are needed", ErrBadConfig)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("fwd: raise RLIMIT_MEMLOCK: %w", err)
	}
	r := &Reflector{}
	if err := loadReflectObjects(&r.objs, nil); err != nil {
		return nil, fmt.Errorf("fwd: load the reflector: %w", err)
	}
	c := reflectReflectConfig{Ifindex: uint32(out)}
	copy(c.DstMac[:], dstMAC)
	copy(c.SrcMac[:], srcMAC)
	if err := r.objs.Config.Put(uint32(0), &c); err != nil {
		r.Close()
		return nil, fmt.Errorf("fwd: configure the reflector: %w", err)
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: r.objs.Reflect, Interface: in, Flags: link.XDPDriverMode})
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("fwd: attach the reflector to interface %d: %w", in, err)
	}
	r.link = l
	return r, nil
}

// Close detaches the program.
func (r *Reflector) Close() error {
	var err error
	if r.link != nil {
		err = r.link.Close()
	}
	if cerr := r.objs.Close(); err == nil {
		err = cerr
	}
	return err
}
