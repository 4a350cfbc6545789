package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// The Set* methods make a hash (or LPM trie) map hold exactly a desired
// set: they build the set as a Go map, then delete what the BPF map holds
// beyond it and put every desired entry. Each chooses the order of the two
// steps (and across maps) so that the program never misses an entry that
// is in both the old and the new set.

// deleteStale deletes the keys of m that are not in want.
func deleteStale[K comparable, V any](m *ebpf.Map, want map[K]V) error {
	var (
		key   K
		value V
		stale []K
	)
	iter := m.Iterate()
	for iter.Next(&key, &value) {
		if _, ok := want[key]; !ok {
			stale = append(stale, key)
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("iterate: %w", err)
	}
	for _, k := range stale {
		if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("delete: %w", err)
		}
	}
	return nil
}

// putAll creates or updates every entry of want in m.
func putAll[K comparable, V any](m *ebpf.Map, want map[K]V) error {
	for k, v := range want {
		if err := m.Update(k, v, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("update: %w", err)
		}
	}
	return nil
}

// replaceAll makes m hold exactly want: stale keys are deleted first, so
// the map never needs more room than the larger of the two sets.
func replaceAll[K comparable, V any](m *ebpf.Map, want map[K]V) error {
	if err := deleteStale(m, want); err != nil {
		return err
	}
	return putAll(m, want)
}
