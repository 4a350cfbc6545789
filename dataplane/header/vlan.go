package header

import "encoding/binary"

// An IEEE 802.1Q (or 802.1ad) tag sits where the EtherType was: the TPID
// (0x8100 or 0x88a8) takes the EtherType's place, and the tag control
// information and the encapsulated EtherType follow. A VLAN view starts
// after the TPID, so that tags chain: the view at frame[14:] describes the
// first tag, the one at frame[18:] the second.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| PCP |D|        VLAN ID        |     Encapsulated EtherType    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	vlanTCI  = 0
	vlanType = 2
)

// VLAN sizes and limits.
const (
	// VLANTagSize is the number of bytes a tag adds to a frame.
	VLANTagSize = 4
	// VLANIDMask selects the VLAN ID in the tag control information.
	VLANIDMask = 0x0fff
)

// IsVLAN reports whether an EtherType is a VLAN tag protocol identifier
// (802.1Q or 802.1ad).
func IsVLAN(etherType uint16) bool { return etherType == EtherTypeVLAN || etherType == EtherTypeQinQ }

// VLAN is a view of a VLAN tag after its TPID. Accessors panic if the view
// is shorter than VLANTagSize.
type VLAN []byte

// TCI returns the tag control information (priority, DEI and VLAN ID).
func (b VLAN) TCI() uint16 { return binary.BigEndian.Uint16(b[vlanTCI:]) }

// ID returns the 12-bit VLAN identifier.
func (b VLAN) ID() uint16 { return b.TCI() & VLANIDMask }

// Priority returns the 3-bit priority code point.
func (b VLAN) Priority() uint8 { return b[vlanTCI] >> 5 }

// Type returns the encapsulated EtherType.
func (b VLAN) Type() uint16 { return binary.BigEndian.Uint16(b[vlanType:]) }

// SetTCI sets the tag control information.
func (b VLAN) SetTCI(tci uint16) { binary.BigEndian.PutUint16(b[vlanTCI:], tci) }

// SetType sets the encapsulated EtherType.
func (b VLAN) SetType(t uint16) { binary.BigEndian.PutUint16(b[vlanType:], t) }

// VLANFields describes a VLAN tag to [VLAN.Encode].
type VLANFields struct {
	ID       uint16 // 12 bits
	Priority uint8  // 3 bits
	Type     uint16 // encapsulated EtherType
}

// Encode writes f into the first VLANTagSize bytes of b.
func (b VLAN) Encode(f *VLANFields) {
	b.SetTCI(uint16(f.Priority&7)<<13 | f.ID&VLANIDMask)
	b.SetType(f.Type)
}
