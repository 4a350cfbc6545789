package conntrack

import "github.com/xlvs/xlvs/internal/bigmem"

// hugePages says whether the table's mapped arrays are advised for
// transparent huge pages (MADV_HUGEPAGE). A variable so that
// BenchmarkHugePages can compare both.
var hugePages = true

// mappings are the regions of one table's arrays outside the Go heap.
// It is its own object, not part of the Table, so that the table's
// cleanup can free it after the table became unreachable.
type mappings struct {
	regions []bigmem.Region
}

// mapSlice returns n zeroed values of T, mapped outside the Go heap when
// they are large (bigmem.Slice; from make otherwise or when mapping
// fails), and records the region in m. T holds no pointers.
func mapSlice[T any](m *mappings, n int) []T {
	s, r := bigmem.Slice[T](n, hugePages)
	if r.Bytes() != nil {
		m.regions = append(m.regions, r)
	}
	return s
}

// free unmaps every region. It runs once: from Table.Close, or as the
// table's cleanup.
func (m *mappings) free() {
	for i := range m.regions {
		_ = m.regions[i].Free() // fails only for a range that is not a mapping
	}
	m.regions = nil
}

// residentBytes returns how many bytes of the table's mapped arrays are
// resident (backed by a page), for the memory tests.
func (t *Table) residentBytes() (int, error) {
	n := 0
	for i := range t.mem.regions {
		b, err := bigmem.Resident(t.mem.regions[i].Bytes())
		if err != nil {
			return 0, err
		}
		n += b
	}
	return n, nil
}
