package bpfcounter

import (
	"os"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

type testEnum uint32

func (e testEnum) String() string {
	return [...]string{"PASS_NOT_IP", "STEER_SERVICE_IPV4", "MAX"}[e]
}

func TestNames(t *testing.T) {
	got := Names(testEnum(2))
	if want := []string{"pass-not-ip", "steer-service-ipv4"}; !slices.Equal(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
}

// TestRead sums a real per-CPU array: a different value on every CPU.
func TestRead(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a BPF map needs root")
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Fatal(err)
	}
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	perCPU := make([]uint64, n)
	var want uint64
	for i := range perCPU {
		perCPU[i] = uint64(i + 1)
		want += uint64(i + 1)
	}
	if err := m.Update(uint32(1), perCPU, ebpf.UpdateAny); err != nil {
		t.Fatal(err)
	}
	got, err := Read(m, []string{"zero", "one"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["zero"] != 0 || got["one"] != want {
		t.Errorf("Read = %v, want zero 0, one %d", got, want)
	}
	if _, err := Read(m, []string{"zero", "one", "past the end"}); err == nil {
		t.Error("Read of an index past the map: no error")
	}
}
