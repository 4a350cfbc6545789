package pktgen

import (
	"bytes"
	"os"
	"testing"

	"github.com/cilium/ebpf"
)

// TestLiveProgramMatchesWriteFlow runs the generator XDP program on the
// template (BPF_PROG_RUN without live frames, so the kernel hands the
// rewritten frame back) for a run of flows, each time on a frame still
// holding the previous flow, as the kernel's recycled pages do, and checks
// it writes exactly the frame WriteFlow writes.
func TestLiveProgramMatchesWriteFlow(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading XDP programs needs root (CAP_BPF)")
	}
	for name, s := range specs(t) {
		t.Run(name, func(t *testing.T) {
			tmpl, err := NewTemplate(s)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewLive(tmpl, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			in := tmpl.Frame()
			want := tmpl.Frame()
			out := make([]byte, len(in))
			for i := uint32(0); i < 300; i++ {
				ret, err := l.objs.Livegen.Run(&ebpf.RunOptions{Data: in, DataOut: out})
				if err != nil {
					t.Fatal(err)
				}
				if ret != 4 { // XDP_REDIRECT
					t.Fatalf("flow %d: verdict %d, want XDP_REDIRECT (4)", i, ret)
				}
				tmpl.WriteFlow(want, i%tmpl.Spec().Flows)
				if !bytes.Equal(out, want) {
					t.Fatalf("flow %d:\nprogram  %x\nWriteFlow %x", i, out, want)
				}
				copy(in, out)
				// What a receiver's stack does to a recycled page:
				// next-hop MACs, a lower TTL, a NATed address.
				for k := range 12 {
					in[k] ^= 0x5a
				}
				in[22]--
				in[31] ^= 1
			}
			if sent, err := l.Sent(); err != nil || sent != 300 {
				t.Errorf("Sent() = %d, %v; want 300", sent, err)
			}
		})
	}
}

// TestLiveLimit checks that runs past the limit send nothing.
func TestLiveLimit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading XDP programs needs root (CAP_BPF)")
	}
	tmpl, err := NewTemplate(specs(t)["udp4-64"])
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLive(tmpl, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := make([]byte, tmpl.Len())
	for i := range 8 {
		ret, err := l.objs.Livegen.Run(&ebpf.RunOptions{Data: tmpl.Frame(), DataOut: out})
		if err != nil {
			t.Fatal(err)
		}
		want := uint32(4) // XDP_REDIRECT
		if i >= 5 {
			want = 1 // XDP_DROP
		}
		if ret != want {
			t.Errorf("run %d: verdict %d, want %d", i, ret, want)
		}
	}
	if sent, _ := l.Sent(); sent != 5 {
		t.Errorf("Sent() = %d, want the limit 5", sent)
	}
}
