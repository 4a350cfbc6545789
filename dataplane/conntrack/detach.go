package conntrack

// Detach takes live entry idx out of the connection index and leaves it
// everywhere else: [Table.Lookup] no longer finds it and [Table.Insert]
// may add another entry with the same key, while the entry keeps its pool
// slot, its reply key ([Table.LookupReply] still finds it), its deadline
// and its place in Len and in listings. It leaves the table as every
// entry does, by Delete, the expiry sweep or a reclaim. Detaching a free
// or an already detached entry does nothing.
//
// The engine detaches a one-packet FULLNAT connection once its datagram
// has left, so that the next datagram of the same client flow is scheduled
// again while the first one's reply can still come back.
func (t *Table) Detach(idx int32) {
	p := uint32(idx)
	if p >= uint32(len(t.entries)) || t.used[p/64]&(1<<(p%64)) == 0 {
		return
	}
	t.unlink(p)
}
