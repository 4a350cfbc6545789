package xsk

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestUMEMFrame(t *testing.T) {
	for _, fs := range []int{2048, 4096} {
		u, err := NewUMEM(UMEMOptions{FrameSize: fs, FrameCount: 8})
		if err != nil {
			t.Fatal(err)
		}
		if u.FrameSize() != fs || u.FrameCount() != 8 || len(u.Buffer()) != 8*fs || u.HugePages() {
			t.Errorf("UMEM(%d x 8): FrameSize %d FrameCount %d Buffer %d HugePages %v", fs, u.FrameSize(), u.FrameCount(), len(u.Buffer()), u.HugePages())
		}
		addr := uint64(3*fs + PacketHeadroom)
		b := u.Frame(addr, 60)
		if len(b) != 60 {
			t.Errorf("Frame(%d, 60): len %d", addr, len(b))
		}
		b[0], b[59] = 0xaa, 0xbb
		if buf := u.Buffer(); buf[addr] != 0xaa || buf[addr+59] != 0xbb {
			t.Error("Frame does not alias the UMEM memory")
		}
		if last := u.Frame(uint64(7*fs), fs); len(last) != fs {
			t.Errorf("Frame of the whole last frame: len %d", len(last))
		}
		if all := u.Frame(0, 8*fs); len(all) != 8*fs {
			t.Errorf("Frame of the whole UMEM: len %d", len(all))
		}
		mustPanic(t, "Frame past the UMEM", func() { u.Frame(uint64(8*fs-10), 11) })
		mustPanic(t, "Frame at the UMEM end", func() { u.Frame(uint64(8*fs), 1) })
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
		if err := u.Close(); err != nil {
			t.Errorf("second Close = %v, want nil", err)
		}
	}
}

func TestUMEMFrameDoesNotAllocate(t *testing.T) {
	u, err := NewUMEM(DefaultUMEMOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	var sink byte
	allocs := testing.AllocsPerRun(100, func() {
		b := u.Frame(4096+PacketHeadroom, 64)
		b[12] = 8
		sink += b[0]
	})
	if allocs != 0 {
		t.Errorf("Frame allocates %v times per call", allocs)
	}
	_ = sink
}

// TestUMEMHugePages checks both outcomes of HugePages: with enough free
// huge pages the UMEM is mapped, otherwise the error says so. The test
// does not reserve huge pages itself (a machine-wide setting).
func TestUMEMHugePages(t *testing.T) {
	o := UMEMOptions{FrameSize: 2048, FrameCount: 1024, HugePages: true} // 2 MiB
	free, size := hugePagesFree(t)
	u, err := NewUMEM(o)
	if free*size >= 2<<20 {
		if err != nil {
			t.Fatalf("NewUMEM with %d free huge pages of %d bytes: %v", free, size, err)
		}
		defer u.Close()
		if !u.HugePages() || len(u.Buffer()) != 2<<20 {
			t.Errorf("HugePages() %v, Buffer %d", u.HugePages(), len(u.Buffer()))
		}
		u.Frame(0, 2048)[0] = 1
		return
	}
	if !errors.Is(err, ErrHugePages) {
		t.Fatalf("NewUMEM(HugePages) with %d free huge pages = %v, want ErrHugePages", free, err)
	}
	if !strings.Contains(err.Error(), "huge pages unavailable") || !strings.Contains(err.Error(), "nr_hugepages") {
		t.Errorf("error %q does not explain the cause and remedy", err)
	}
	if u != nil {
		t.Error("NewUMEM returned a UMEM with an error")
	}
}

// hugePagesFree returns HugePages_Free and Hugepagesize from /proc/meminfo.
func hugePagesFree(t *testing.T) (free, size int) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Skipf("no /proc/meminfo: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "HugePages_Free:":
			free = n
		case "Hugepagesize:":
			size = n << 10
		}
	}
	return free, size
}

func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

func BenchmarkUMEMFrame(b *testing.B) {
	u, err := NewUMEM(DefaultUMEMOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	b.ReportAllocs()
	var sink byte
	addr := uint64(0)
	for b.Loop() {
		sink += u.Frame(addr+PacketHeadroom, 64)[13]
		addr = (addr + 2048) & (2048*4096 - 1)
	}
	_ = sink
}
