// Package conntrack implements the per-worker connection table of the
// data plane, with IPVS's connection states, TCP and SCTP state
// transitions ([TCPNext], [SCTPNext]) and timeouts.
//
// # Concurrency
//
// A [Table] belongs to one worker goroutine and is never shared: it has
// no locks and is not safe for concurrent use. Other goroutines (the
// control plane listing connections, metrics) must ask the owner, which
// answers from its own loop (see [Table.Page]). The state functions
// ([TCPNext], [SCTPNext], [SCTPEventOf], [State.Active],
// [DefaultTimeouts]) are pure and safe anywhere.
//
// # Layout
//
// Connections live in a fixed pool of Cap pointer-free 48-byte [Entry]
// values, so the garbage collector never scans them and an entry never
// moves: the index Insert returns stays valid for the connection's whole
// life. A free list threaded through the pool recycles entries, most
// recently freed first; a bitmap marks the entries in use.
//
// An entry stores its key packed: the last four bytes of the client and
// virtual addresses, the ports, the protocol and a family bit (14 bytes
// in two words). An IPv4 key (IPv4-mapped on both sides) is whole there;
// any other key (IPv6, an IPv6 firewall-mark template) also has its four
// address words in a side array indexed by pool index, 32 bytes per
// entry, which IPv4 connections never touch, so it costs them no memory.
// Lookups still take the 40-byte [Key] and hash it as before; a candidate
// is compared by its two inline words first, then, for a wide key, by the
// side array. [Table.KeyOf] rebuilds an entry's key; entries copied out
// of the table ([Table.ExpireInto], [Table.InsertReclaim], [Table.Page])
// come as [Record] values carrying the full key.
//
// Keys reach entries through an open-addressing index of 8-byte slots,
// each holding the top 32 bits of the key's hash (0 means empty) and the
// entry's pool index. The slot count n is not a power of two: the home
// slot of a tag is (tag*n)>>32 (fastrange, which keeps the tags' order)
// and probing wraps from the last slot to the first by comparison.
// Probing is linear and runs are kept in Robin Hood order (sorted by home
// slot), so a miss stops as soon as it passes where its key would be, and
// a probe reads 8 slots per cache line before it touches an entry.
// Deletion shifts the following displaced slots one back (backward
// shift): there are no tombstones, so no rehash is ever needed, and the
// table never grows.
//
// The hash is a seeded, wyhash-style fold of the key's five 64-bit words
// through 64×64→128-bit multiplications; the seed given to [New] keys it,
// so clients cannot aim their tuples at one probe run. Nothing on the
// per-packet path allocates.
//
// # Batched lookups
//
// In a table much larger than the CPU's caches a lookup misses twice, one
// miss after the other: on the key's index slot, then on the entry the
// slot names. A caller holding a batch of keys overlaps those misses
// across the batch in three passes: [Table.Hash] every key and
// [Table.PrefetchSlot] its home slot; [Table.PrefetchEntry] every key (its
// slot has arrived by then, and the entry it names starts loading); then
// [Table.LookupHash] every key, which finds both in the cache. The reply
// index has [Table.ReplyHash], [Table.PrefetchReplySlot] and
// [Table.PrefetchReplyEntry], and a third pass, [Table.PrefetchReplyRecord],
// for the reply record the entry names. Prefetches are hints: they change nothing,
// never fault, and one for an absent key only loads memory for nothing.
// An IPv6 key's side-array words are not prefetched. They are PREFETCHT0
// on amd64 and PRFM PLDL1KEEP on arm64 (assembly: Go has no prefetch
// intrinsic outside its runtime), and do nothing elsewhere.
//
// # Memory
//
// The pool, the side array, both indexes and the reply records are
// mapped outside the Go heap (anonymous private mappings, internal/bigmem)
// when they are 8 MiB or more (a table of about 2^17 connections; smaller
// arrays come from make), advised for transparent huge pages
// (MADV_HUGEPAGE; THP runs in "madvise" mode on the target machines): the
// Go heap stays small, and a lookup in a table of a million connections
// walks 2 MiB pages instead of 4 KiB ones, which costs fewer TLB misses
// (BenchmarkHugePages: lookups of random connections from even to 15 %
// faster on a shared machine, insertion even). Nothing is populated up
// front: the kernel backs a page when it is first written, and the pools
// are filled from their start, so memory the table never used stays
// free. A table that becomes unreachable unmaps its arrays
// (runtime.AddCleanup); [Table.Close] does it at once. If a mapping fails
// the array comes from make.
//
// For 2^20 connections of capacity the table reserves 58.8 bytes per
// connection without reply capacity (48 for the entry, 10.7 for the index
// slots at 3/4 load, 0.1 for the bitmap), 75 with a quarter (the engine's
// default) and 123.5 with one reply record per entry ([New]); 1,000,000
// IPv4 connections in a DR table keep 59.6 bytes each resident, which a
// test asserts (at most 64). go test -bench Memory ./dataplane/conntrack
// reports both figures.
//
// # Reply index
//
// Connections whose replies pass through the director (NAT, FULLNAT) are
// also found by their reply tuple: [Table.SetReply] gives an entry a
// [ReplyKey] (peer address and port, local address and port, protocol)
// and a [Hop] back to the client, and [Table.LookupReply] maps the key of
// a reply packet to the entry. The reply index is a second index of the
// same kind over the same pool, sized by its own capacity
// ([NewWithReplies]: how many entries may hold a reply key at a time);
// the reply records (54 bytes) live in a pool of that capacity with a
// free list, and an entry refers to its record by a 4-byte field of its
// own. Entries without a reply key (DR, TUN) have no slot and no record.
// Removing an entry (Delete, expiry, reclaim) removes its reply key and
// frees its record. A reply key held by another live entry is refused, as
// two connections whose replies cannot be told apart cannot both be
// served; so is a new reply key when every record is taken
// ([Stats].ReplyFull).
//
// # Capacity and a full table
//
// [Table.Cap] is the capacity given to [New]; each index gets
// ceil(Cap*4/3) slots (at least 8), so its load stays at or under 3/4
// when the table is full; at that load a key is on average 1.5 slots from
// its home slot (TestProbeLengths), in the cache line of its home slot
// most of the time. A power-of-two slot count would cost up to twice the
// slots; 7/8 would save 1.5 bytes per connection but makes insertion and
// deletion move four times longer runs (index.go).
//
// Cap is a hard limit on entries, counting expired entries not yet
// reclaimed. When the table is full, [Table.Insert] refuses the new
// connection, counts it in [Stats].Full and leaves the table unchanged;
// the caller drops the packet (verdict.ConnTableFull). [Table.InsertReclaim]
// first advances the expiry sweep a little to find an expired entry,
// removes it, hands it to the caller and inserts. Nothing panics on a full
// table. IPVS itself has no hard limit; a fixed table keeps memory bounded
// and the hot path allocation-free.
//
// # Time and expiry
//
// The table keeps no clock: callers pass now, a monotonic time in
// nanoseconds, and an entry's Expires is a deadline on that clock; it is
// live while now < Expires. [Table.Touch] re-arms an entry to now +
// timeout seconds. An entry whose deadline has passed is absent for
// [Table.Lookup] but stays in the pool, unchanged, until
// [Table.ExpireInto] reclaims it: Insert never reuses or overwrites it,
// so the caller always receives every expired entry's contents exactly
// once (from ExpireInto, or from InsertReclaim) and can release what the
// connection held. A key may therefore be present twice for a while, once
// expired and once live; Lookup returns the live one.
//
// Expiry is incremental: ExpireInto inspects a budget of pool entries per
// call, in pool order, and resumes where it stopped, so a worker spends a
// bounded time per batch on it and every entry is inspected once per
// sweep.
//
// # Timeouts
//
// [Timeouts] holds a timeout per [State], IPVS's defaults in
// [DefaultTimeouts]; ipvsadm --set changes ESTABLISHED, FIN_WAIT and UDP
// ([Timeouts.Set]). The table stores deadlines, not timeouts: the caller
// passes the current value for the connection's state to Touch on every
// packet, as IPVS sets cp->timeout from its timeout table on every packet
// and re-arms the timer with it. So a changed timeout applies to new
// connections and to existing ones from their next packet; an idle
// connection keeps the deadline it had, exactly as in IPVS.
package conntrack
