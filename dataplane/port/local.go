package port

// Local hands frames to the director's own network stack: the path of
// local-node real servers (IPVS's LOCALNODE forwarding), whose packets a
// worker must give to the kernel that AF_XDP took them from. xlvsd backs it
// with a TAP device (internal/tap); package memport has a fake.
//
// Not safe for concurrent use: each worker owns its own Local. None of the
// methods may allocate.
type Local interface {
	// MAC is the hardware address frames for the local stack must carry
	// as their destination, so that the kernel takes them as its own.
	MAC() [6]byte
	// Deliver hands the Ethernet frames descs name in buf to the local
	// stack, in order, and returns how many it delivered; the others are
	// lost (the caller counts them). It neither keeps buf nor frees the
	// frames: they stay the caller's.
	Deliver(buf []byte, descs []Desc) int
}
