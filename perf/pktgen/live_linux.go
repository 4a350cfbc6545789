package pktgen

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

// bpfFTestXDPLiveFrames is BPF_F_TEST_XDP_LIVE_FRAMES (Linux >= 5.18).
const bpfFTestXDPLiveFrames = 1 << 1

// liveBatch is the BatchSize of a live-frames run: frames the kernel
// prepares and flushes at a time. 64 keeps a veth peer's 256-entry ring
// from overflowing between two of its NAPI polls.
const liveBatch = 64

// Live sends a [Template]'s flows with BPF_PROG_RUN in live-frames mode:
// the kernel runs the generator XDP program once per frame, which writes
// the flow's fields into a page-pool copy of the template and redirects it
// out of the egress interface. The fastest way to make packets on Linux
// without a NIC's help (DESIGN.md: 12-15 Mpps per core here).
//
// The ifindex is resolved in the network namespace of the thread calling
// [Live.Send]. Not safe for concurrent use.
type Live struct {
	objs  livegenObjects
	frame []byte
	limit uint64
}

// NewLive loads the generator for t, sending out of ifindex. limit, when
// not 0, is the most frames it sends over its life, whatever Send is asked
// (so that a kernel rerun of an interrupted BPF_PROG_RUN cannot send more).
func NewLive(t *Template, ifindex int, limit uint64) (*Live, error) {
	if ifindex <= 0 {
		return nil, fmt.Errorf("%w: interface index %d", ErrBadSpec, ifindex)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("pktgen: raise RLIMIT_MEMLOCK: %w", err)
	}
	l := &Live{frame: t.Frame(), limit: limit}
	if err := loadLivegenObjects(&l.objs, nil); err != nil {
		return nil, fmt.Errorf("pktgen: load the generator XDP program: %w", err)
	}
	if err := l.objs.Config.Put(uint32(0), t.liveConfig(ifindex, limit)); err != nil {
		l.Close()
		return nil, fmt.Errorf("pktgen: configure the generator: %w", err)
	}
	return l, nil
}

// liveConfig returns the generator program's configuration for t.
func (t *Template) liveConfig(ifindex int, limit uint64) *livegenGenConfig {
	s := &t.spec
	c := &livegenGenConfig{
		Limit:     limit,
		Ifindex:   uint32(ifindex),
		Nflows:    s.Flows,
		Nports:    s.SrcPorts.Count,
		Naddrs:    s.SrcAddrs.Count,
		Nvips:     uint32(len(s.VIPs)),
		SrcBase:   low32(s.SrcAddrs.First),
		IpSum:     t.ipSum,
		L4Sum:     t.l4Sum,
		SportBase: s.SrcPorts.First,
		L4CsumOff: uint8(t.csum - t.l4),
	}
	if t.v6 {
		c.Ipv6 = 1
	}
	if s.Kind == UDP {
		c.Udp = 1
	}
	copy(c.Hdr[:], t.frame)
	for i, v := range s.VIPs {
		b := v.Unmap().AsSlice()
		copy(c.Vips[i][:], b)
		c.VipSum[i] = t.vipSums[i]
	}
	return c
}

// Send runs the program n times, in BPF_PROG_RUN calls of at most 2^32-1
// repetitions. Frames past the limit are not sent. The calling thread's
// network namespace resolves the interface.
func (l *Live) Send(n uint64) error {
	for n > 0 {
		k := uint32(min(n, 1<<32-1))
		_, err := l.objs.Livegen.Run(&ebpf.RunOptions{
			Data:      l.frame,
			Repeat:    k,
			Flags:     bpfFTestXDPLiveFrames,
			BatchSize: liveBatch,
		})
		if err != nil {
			return fmt.Errorf("pktgen: BPF_PROG_RUN with live frames (Linux >= 5.18): %w", err)
		}
		n -= uint64(k)
	}
	return nil
}

// Sent returns the frames sent so far: the program's runs, capped at the
// limit.
func (l *Live) Sent() (uint64, error) {
	var st livegenGenState
	if err := l.objs.State.Lookup(uint32(0), &st); err != nil {
		return 0, fmt.Errorf("pktgen: read the generator's counter: %w", err)
	}
	if l.limit != 0 {
		return min(st.Sent, l.limit), nil
	}
	return st.Sent, nil
}

// Close releases the program and its maps.
func (l *Live) Close() error {
	return errors.Join(l.objs.Close())
}
