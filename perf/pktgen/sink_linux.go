package pktgen

import (
	"fmt"

	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
)

// Tally is what a [Sink] counted.
type Tally struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// Sub returns t - u, counter by counter.
func (t Tally) Sub(u Tally) Tally {
	return Tally{Packets: t.Packets - u.Packets, Bytes: t.Bytes - u.Bytes}
}

// Sink counts, per CPU, the IPv4 and IPv6 TCP, UDP and IP-in-IP (protocol
// 4 and 41) frames arriving on an interface with an XDP program, and drops
// them (or passes them on). ARP, neighbour discovery and ICMP go to the
// kernel uncounted. Safe for concurrent use.
type Sink struct {
	objs sinkObjects
	link link.Link
}

// SinkOptions configure [NewSink].
type SinkOptions struct {
	// Pass hands counted frames to the kernel instead of dropping them.
	Pass bool
	// Generic attaches in generic (skb) mode instead of driver mode.
	Generic bool
}

// NewSink attaches the sink program to the interface ifindex. The index
// is resolved in the calling thread's network namespace.
func NewSink(ifindex int, o SinkOptions) (*Sink, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("pktgen: raise RLIMIT_MEMLOCK: %w", err)
	}
	s := &Sink{}
	if err := loadSinkObjects(&s.objs, nil); err != nil {
		return nil, fmt.Errorf("pktgen: load the sink XDP program: %w", err)
	}
	var c sinkSinkConfig
	if o.Pass {
		c.Pass = 1
	}
	if err := s.objs.Config.Put(uint32(0), &c); err != nil {
		s.Close()
		return nil, fmt.Errorf("pktgen: configure the sink: %w", err)
	}
	flags := link.XDPDriverMode
	if o.Generic {
		flags = link.XDPGenericMode
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: s.objs.Sink, Interface: ifindex, Flags: flags})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("pktgen: attach the sink to interface %d: %w", ifindex, err)
	}
	s.link = l
	return s, nil
}

// Read returns the totals so far, summed over CPUs.
func (s *Sink) Read() (Tally, error) {
	var per []sinkSinkTally
	if err := s.objs.Tally.Lookup(uint32(0), &per); err != nil {
		return Tally{}, fmt.Errorf("pktgen: read the sink's counters: %w", err)
	}
	var t Tally
	for _, c := range per {
		t.Packets += c.Packets
		t.Bytes += c.Bytes
	}
	return t, nil
}

// Close detaches the program.
func (s *Sink) Close() error {
	var err error
	if s.link != nil {
		err = s.link.Close()
	}
	if cerr := s.objs.Close(); err == nil {
		err = cerr
	}
	return err
}
