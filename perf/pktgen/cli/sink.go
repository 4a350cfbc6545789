package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/xlvs/xlvs/perf/pktgen"
)

// sinkReport is the --json output of sink.
type sinkReport struct {
	Interface string        `json:"interface"`
	Packets   uint64        `json:"packets"`
	Bytes     uint64        `json:"bytes"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	PPS       float64       `json:"pps"`
	// PeakPPS is the best one-second rate.
	PeakPPS float64 `json:"peak_pps"`
}

func runSink(e *env, args []string) error {
	var (
		dev           string
		duration      time.Duration
		pass, generic bool
		asJSON        bool
	)
	fs := flagSet(e, "sink")
	fs.StringVar(&dev, "dev", "", "interface to count on (required)")
	fs.DurationVar(&duration, "duration", 0, "count this long (0: until Ctrl-C)")
	fs.BoolVar(&pass, "pass", false, "pass counted frames to the kernel instead of dropping them")
	fs.BoolVar(&generic, "generic", false, "attach in generic (skb) mode")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	l, err := link(dev)
	if err != nil {
		return err
	}
	s, err := pktgen.NewSink(l.Attrs().Index, pktgen.SinkOptions{Pass: pass, Generic: generic})
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var end <-chan time.Time
	if duration > 0 {
		end = time.After(duration)
	}
	var last pktgen.Tally
	lastAt := start
	peak := 0.0
loop:
	for {
		select {
		case <-e.stop:
			break loop
		case <-end:
			break loop
		case now := <-tick.C:
			t, err := s.Read()
			if err != nil {
				return err
			}
			d := t.Sub(last)
			pps := float64(d.Packets) / now.Sub(lastAt).Seconds()
			peak = max(peak, pps)
			if e.tty && !asJSON {
				fmt.Fprintf(e.stdout, "%6s  received %12d  %s  %.2f Gb/s\n", seconds(now.Sub(start)), t.Packets, mpps(pps),
					float64(d.Bytes+4*d.Packets)*8/now.Sub(lastAt).Seconds()/1e9)
			}
			last, lastAt = t, now
		}
	}
	t, err := s.Read()
	if err != nil {
		return err
	}
	r := sinkReport{Interface: dev, Packets: t.Packets, Bytes: t.Bytes, Elapsed: time.Since(start), PeakPPS: peak}
	r.PPS = float64(t.Packets) / r.Elapsed.Seconds()
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(e.stdout, "received %d frames, %d bytes in %s: %s (peak %s)\n", r.Packets, r.Bytes, seconds(r.Elapsed), mpps(r.PPS), mpps(r.PeakPPS))
	return nil
}
