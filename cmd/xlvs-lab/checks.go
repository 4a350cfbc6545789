package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// check is one expectation of a scenario and whether it held.
type check struct {
	ok   bool
	text string
}

// check records an expectation.
func (e *env) check(ok bool, format string, args ...any) {
	e.checks = append(e.checks, check{ok: ok, text: fmt.Sprintf(format, args...)})
}

// splitOK reports whether got (connections per real server) is the split
// a weighted round robin (rr: all weights 1) gives when each of workers
// workers schedules its own share of the flows with its own position, as
// xlvsd's workers do. A worker's count for server i is its exact share
// but for its last, partial cycle, which is off by less than w_i; the
// total is therefore off by less than workers×w_i. With one worker rr is
// exact and wrr within one cycle.
func splitOK(got, weights []int, workers int) bool {
	if len(got) != len(weights) {
		return false
	}
	want := shares(sum(got), weights)
	for i, w := range weights {
		if math.Abs(float64(got[i])-want[i]) >= float64(workers*w) {
			return false
		}
	}
	return true
}

// shares returns n split in proportion to weights.
func shares(n int, weights []int) []float64 {
	total := sum(weights)
	s := make([]float64, len(weights))
	for i, w := range weights {
		if total > 0 {
			s[i] = float64(n) * float64(w) / float64(total)
		}
	}
	return s
}

// formatShares prints shares as "10/10", "6.7/13.3".
func formatShares(s []float64) string {
	p := make([]string, len(s))
	for i, v := range s {
		if v == math.Trunc(v) {
			p[i] = fmt.Sprintf("%d", int(v))
		} else {
			p[i] = fmt.Sprintf("%.1f", v)
		}
	}
	return strings.Join(p, "/")
}

// formatCounts prints counts by name: "rs1=10 rs2=10".
func formatCounts(names []string, n []int) string {
	p := make([]string, len(n))
	for i := range n {
		p[i] = fmt.Sprintf("%s=%d", names[i], n[i])
	}
	return strings.Join(p, " ")
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

// checkRoundTrips records that every round-trip of rep was answered with
// an exact echo.
func (e *env) checkRoundTrips(rep labtraffic.Report) {
	ok, failed := 0, 0
	for _, t := range rep.Targets {
		ok += t.OK
		failed += t.Failed
	}
	e.check(rep.OK(), "%d of %d round-trips answered by a real server with an exact echo (TCP both ways, UDP)", ok, ok+failed)
}

// schedulerOf returns the -s option of a service ("wlc" when absent).
func schedulerOf(v virtual) string {
	for i, o := range v.opts {
		if o == "-s" && i+1 < len(v.opts) {
			return v.opts[i+1]
		}
	}
	return "wlc"
}

// checkSplit records, for every service, that the connections xlvsadm
// counted per real server (-L -n --stats, Conns: the scheduler's
// decisions) are split as its weighted round robin implies.
func (e *env) checkSplit(vs []virtual, stats []listRow) {
	for _, v := range vs {
		got, ok := e.destConns(v, stats)
		if !ok {
			e.check(false, "%s: no Conns of its real servers in xlvsadm -L -n --stats", v.key())
			continue
		}
		var names []string
		for _, d := range v.dests {
			names = append(names, d.name)
		}
		e.check(sum(got) > 0 && splitOK(got, v.weights(), e.o.queues), "%s: %s sent %s of %s (xlvsadm Conns); weights %s give %s",
			v.key(), schedulerOf(v), formatCounts(names, got), pluralConns(sum(got)), joinInts(v.weights(), ":"),
			formatShares(shares(sum(got), v.weights())))
	}
}

// destConns returns the Conns column of each real server of v.
func (e *env) destConns(v virtual, stats []listRow) ([]int, bool) {
	got := make([]int, len(v.dests))
	for i, d := range v.dests {
		n, ok := column(stats, v.key(), v.listed(d), statsConns)
		if !ok {
			return nil, false
		}
		got[i] = int(n)
	}
	return got, true
}

func pluralConns(n int) string {
	if n == 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

func joinInts(v []int, sep string) string {
	p := make([]string, len(v))
	for i, x := range v {
		p[i] = fmt.Sprint(x)
	}
	return strings.Join(p, sep)
}

// checkTallies records, for every real server, that what it received is
// what the director scheduled to it and what the client got back from
// it: as many TCP connections accepted as xlvsadm counted for it over
// the TCP services and as the client saw answered by it, every byte of
// every connection (bytes in = connections × --bytes), and at least as
// many UDP datagrams as UDP flows scheduled to it (a lost answer makes
// the client send again).
func (e *env) checkTallies(vs []virtual, stats []listRow, rep labtraffic.Report) {
	for _, s := range e.servers {
		st := s.Stats()
		var tcp, udp int64
		for _, v := range vs {
			for _, d := range v.dests {
				if d.name != st.Name {
					continue
				}
				n, _ := column(stats, v.key(), v.listed(d), statsConns)
				if v.protocol() == "tcp" {
					tcp += n
				} else {
					udp += n
				}
			}
		}
		answered := 0
		for _, t := range rep.Targets {
			if t.Proto == "tcp" {
				answered += t.PerServer[st.Name]
			}
		}
		e.check(st.TCPConns == tcp && int64(answered) == tcp && st.TCPBytesIn == tcp*int64(e.o.bytes) && st.UDPDatagrams >= udp,
			"%s: director scheduled %d TCP + %d UDP, it accepted %d TCP (%d bytes in = %d x %d) and got %d datagrams, the client saw %d TCP answered by it",
			st.Name, tcp, udp, st.TCPConns, st.TCPBytesIn, st.TCPConns, e.o.bytes, st.UDPDatagrams, answered)
	}
}

// merge returns one report with the targets of all.
func merge(reps ...labtraffic.Report) labtraffic.Report {
	var m labtraffic.Report
	for _, r := range reps {
		m.Targets = append(m.Targets, r.Targets...)
	}
	return m
}
