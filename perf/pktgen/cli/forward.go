package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/perf/fwd"
)

// forwardReport is the --json output of forward.
type forwardReport struct {
	Forwarded uint64        `json:"forwarded"`
	Dropped   uint64        `json:"dropped"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	ZeroCopy  bool          `json:"zero_copy"`
}

type fwdFlags struct {
	in, out, dstMAC string
	cpu, frames     int
	busyPollUs      int
	duration        time.Duration
	json            bool
}

func (f *fwdFlags) parse(e *env, name string, args []string, withCPU bool) error {
	fs := flagSet(e, name)
	fs.StringVar(&f.in, "in", "", "ingress interface (required)")
	fs.StringVar(&f.out, "out", "", "egress interface (required)")
	fs.StringVar(&f.dstMAC, "dst-mac", "", "MAC address of the next hop out of --out (required)")
	fs.DurationVar(&f.duration, "duration", 0, "run this long (0: until Ctrl-C or SIGTERM)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON")
	if withCPU {
		fs.IntVar(&f.cpu, "cpu", -1, "pin the forwarding thread to this CPU")
		fs.IntVar(&f.frames, "frames", 0, "UMEM frames (0: as many as xlvsd's worker has with two interfaces)")
		fs.IntVar(&f.busyPollUs, "busy-poll-us", int(port.DefaultBusyPoll/time.Microsecond),
			"microseconds the forwarder keeps polling after its last frame before it sleeps (0: sleep after a few hundred empty polls), as xlvsd's --busy-poll-us")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.busyPollUs < 0 {
		return usageErr("--busy-poll-us must not be negative")
	}
	return nil
}

// links resolves --in and --out and parses --dst-mac, which is required.
func (f *fwdFlags) links() (in, out netlink.Link, dst net.HardwareAddr, err error) {
	dst, err = parseMAC("dst-mac", f.dstMAC)
	if err != nil || dst == nil {
		return nil, nil, nil, usageErr("--dst-mac is required: the MAC of the next hop out of --out")
	}
	if in, err = link(f.in); err != nil {
		return nil, nil, nil, err
	}
	if out, err = link(f.out); err != nil {
		return nil, nil, nil, err
	}
	return in, out, dst, nil
}

// wait returns when the duration is over or the process is told to stop.
func (f *fwdFlags) wait(e *env) {
	if f.duration > 0 {
		select {
		case <-e.stop:
		case <-time.After(f.duration):
		}
		return
	}
	<-e.stop
}

// busyPoll is --busy-poll-us as the forwarder's Run takes it.
func (f *fwdFlags) busyPoll() time.Duration {
	if f.busyPollUs == 0 {
		return -1
	}
	return time.Duration(f.busyPollUs) * time.Microsecond
}

func runForward(e *env, args []string) error {
	var f fwdFlags
	if err := f.parse(e, "forward", args, true); err != nil {
		return err
	}
	in, out, dst, err := f.links()
	if err != nil {
		return err
	}
	x, err := fwd.NewXSKForwarder(in.Attrs().Index, out.Attrs().Index, out.Attrs().HardwareAddr, dst, f.frames)
	if err != nil {
		return err
	}
	defer x.Close()
	stop := make(chan struct{})
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		if err := pin(f.cpu); err != nil {
			done <- err
			return
		}
		done <- x.Run(stop, f.busyPoll())
	}()
	select {
	case err := <-done:
		return err
	default:
	}
	go func() { f.wait(e); close(stop) }()
	if err := <-done; err != nil {
		return err
	}
	fw, dr := x.Counters()
	r := forwardReport{Forwarded: fw, Dropped: dr, Elapsed: time.Since(start), ZeroCopy: x.ZeroCopy()}
	if f.json {
		return json.NewEncoder(e.stdout).Encode(r)
	}
	fmt.Fprintf(e.stdout, "forwarded %d frames, dropped %d (TX ring full) in %s\n", fw, dr, seconds(r.Elapsed))
	return nil
}

func runReflect(e *env, args []string) error {
	var f fwdFlags
	if err := f.parse(e, "reflect", args, false); err != nil {
		return err
	}
	in, out, dst, err := f.links()
	if err != nil {
		return err
	}
	r, err := fwd.NewReflector(in.Attrs().Index, out.Attrs().Index, out.Attrs().HardwareAddr, dst)
	if err != nil {
		return err
	}
	defer r.Close()
	if !f.json {
		fmt.Fprintf(e.stdout, "reflecting %s -> %s until stopped\n", f.in, f.out)
	}
	f.wait(e)
	return nil
}
