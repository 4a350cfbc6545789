package snapshot

// Persistence engines of [Service.PE] (ipvsadm --pe). An engine changes
// what a persistent service's templates are keyed by.
const (
	// PENone keys templates by the client address (masked), as IPVS
	// does without an engine.
	PENone uint8 = 0
	// PESIP keys templates by the masked client address and the SIP
	// Call-ID of the datagram (IPVS's ip_vs_pe_sip), so that every
	// datagram of a call goes to one real server.
	PESIP uint8 = 1
)
