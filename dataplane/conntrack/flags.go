package conntrack

// Connection flags stored in [Entry.Flags]. The table itself never reads
// them; they are shared here so that the engine, which sets them, and the
// connection listing, which shows them, agree.
const (
	// FlagTemplate marks a persistence template: an entry that pins a
	// client (or its netmask) to a real server for the persistence
	// timeout, as IPVS's IP_VS_CONN_F_TEMPLATE connections do. Its key has
	// client port 0 and, for port-0 and firewall-mark services, virtual
	// port 0.
	FlagTemplate uint8 = 1 << 0
	// FlagOnePacket marks a one-packet FULLNAT connection (-o) whose
	// datagram has left: detached from the index ([Table.Detach]), it
	// waits only for its reply, as IPVS's IP_VS_CONN_F_ONE_PACKET
	// connections are never hashed.
	FlagOnePacket uint8 = 1 << 1
	// FlagLinked marks a connection controlled by a persistence template:
	// the engine keeps its link to the template in an array beside the
	// table (engine/persist.go) and reads that array only for entries
	// flagged FlagLinked or FlagTemplate, so that other connections never
	// touch its memory.
	FlagLinked uint8 = 1 << 2
	// FlagPEData marks a template keyed by a persistence engine (--pe
	// sip): its key's virtual address is a hash of the engine's data, and
	// the engine keeps the data and the real virtual address beside the
	// table (engine/pesip.go). The top bit, so that flags added from the
	// bottom never collide with it.
	FlagPEData uint8 = 1 << 7
)
