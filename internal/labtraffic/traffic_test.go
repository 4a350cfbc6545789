package labtraffic

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRoundTripsOnLoopbackCountPerServer(t *testing.T) {
	s, err := Serve(nil, "alpha", []string{"127.0.0.1:0"}, []string{"127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := Plan{TCP: s.TCPAddrs(), UDP: s.UDPAddrs(), Conns: 7, Bytes: 100_000, Datagrams: 9, DatagramSize: 1000}
	rep := Run(context.Background(), nil, plan)
	if !rep.OK() {
		t.Fatalf("report not OK:\n%s", rep)
	}
	tcp, udp := rep.Targets[0], rep.Targets[1]
	if tcp.OK != 7 || tcp.PerServer["alpha"] != 7 || tcp.Bytes != 700_000 {
		t.Errorf("tcp target = %+v, want 7 rounds by alpha, 700000 bytes", tcp)
	}
	if udp.OK != 9 || udp.PerServer["alpha"] != 9 || udp.Bytes != 9000 {
		t.Errorf("udp target = %+v, want 9 rounds by alpha, 9000 bytes", udp)
	}
	st := s.Stats()
	want := Stats{Name: "alpha", TCPConns: 7, TCPBytesIn: 700_000, TCPBytesOut: 7 * (700_000/7 + 6), UDPDatagrams: 9, UDPBytesIn: 9000}
	if st != want {
		t.Errorf("server stats = %+v, want %+v", st, want)
	}
	if !strings.Contains(rep.String(), "answered by alpha=7") {
		t.Errorf("report text lacks per-server tally:\n%s", rep)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// corruptingServer names itself then echoes with one byte flipped.
func corruptingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.WriteString(c, "evil\n")
				b, _ := io.ReadAll(c)
				if len(b) > 0 {
					b[len(b)/2] ^= 1
				}
				c.Write(b)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestRoundTripDetectsCorruptionAndSilence(t *testing.T) {
	addr := corruptingServer(t)
	_, _, err := TCPRound(context.Background(), nil, addr, payload(1, 5000), 5*time.Second)
	if !errors.Is(err, ErrEchoMismatch) {
		t.Errorf("TCPRound against a corrupting server: %v, want ErrEchoMismatch", err)
	}
	rep := Run(context.Background(), nil, Plan{TCP: []string{addr}, Conns: 2})
	if rep.OK() || rep.Targets[0].Failed != 2 || len(rep.Targets[0].Errors) != 2 {
		t.Errorf("report against a corrupting server = %+v, want 2 failures", rep.Targets[0])
	}

	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_, _, err = UDPRound(context.Background(), nil, silent.LocalAddr().String(), []byte("x"), 300*time.Millisecond, 2)
	if err == nil || !strings.Contains(err.Error(), "no answer after 3 sends") {
		t.Errorf("UDPRound against a silent socket: %v", err)
	}
	buf := make([]byte, 10)
	got := 0
	_ = silent.SetReadDeadline(time.Now().Add(time.Second))
	for {
		n, err := silent.Read(buf)
		if err != nil {
			break
		}
		if bytes.Equal(buf[:n], []byte("x")) {
			got++
		}
	}
	if got != 3 {
		t.Errorf("silent socket received %d datagrams, want 3 (1 + 2 retries)", got)
	}
}

func TestEmptyReportIsNotOK(t *testing.T) {
	if (Report{}).OK() {
		t.Error("a report with no targets is OK")
	}
	if (Report{Targets: []Target{{Proto: "tcp", OK: 0}}}).OK() {
		t.Error("a target with no successful round is OK")
	}
}

func TestServeRejectsBadNames(t *testing.T) {
	for _, n := range []string{"", "a\nb", strings.Repeat("x", 65)} {
		if s, err := Serve(nil, n, nil, nil); err == nil {
			s.Close()
			t.Errorf("Serve(%q) succeeded", n)
		}
	}
}

func TestPayloadDiffersBetweenRounds(t *testing.T) {
	a, b := payload(1, 64), payload(2, 64)
	if bytes.Equal(a, b) || !bytes.Equal(a, payload(1, 64)) {
		t.Error("payload must be deterministic per round and differ between rounds")
	}
}
