package bpfcounter

import (
	"fmt"
	"strings"

	"github.com/cilium/ebpf"
)

// Enum is a bpf2go enum type whose String (stringer, with the enum's
// prefix trimmed) gives the C identifier: REASON_PASS_NOT_IP → "PASS_NOT_IP".
type Enum interface {
	~uint32
	fmt.Stringer
}

// Names returns the names of the values 0..n-1 of an enum: the identifier
// lowercase, '_' → '-' ("PASS_NOT_IP" → "pass-not-ip"), indexed by value.
func Names[E Enum](n E) []string {
	names := make([]string, n)
	for v := range n {
		names[v] = strings.ToLower(strings.ReplaceAll(v.String(), "_", "-"))
	}
	return names
}

// Read returns, for every index i of names, the sum over CPUs of entry i of
// the per-CPU array m, keyed by names[i]. Every name is present, zero or
// not.
func Read(m *ebpf.Map, names []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(names))
	var perCPU []uint64
	for i, name := range names {
		if err := m.Lookup(uint32(i), &perCPU); err != nil {
			return nil, fmt.Errorf("read counter %s: %w", name, err)
		}
		var sum uint64
		for _, v := range perCPU {
			sum += v
		}
		out[name] = sum
	}
	return out, nil
}
