package sync

import (
	"encoding/binary"
	"net/netip"
)

// Decode parses one received datagram into m (its Conns are appended to
// m.Conns[:0]) as ip_vs_process_message does: a message shorter than 4
// bytes or whose size field differs from its length is dropped; with a
// non-zero syncID, a message of another sync id is ignored (ErrSyncID);
// version 1 is recognised by version 1 with both reserved fields zero,
// anything else is version 0. An error means the rest of the message is
// dropped; the entries decoded before it are in m.Conns, as the kernel
// has applied them by then. Decode never panics, whatever b holds.
func Decode(b []byte, syncID uint8, m *Message) error {
	m.Conns, m.Skipped, m.Version, m.SyncID = m.Conns[:0], 0, 0, 0
	if len(b) < HeaderLenV0 {
		return ErrShort
	}
	if int(binary.BigEndian.Uint16(b[2:4])) != len(b) {
		return ErrSize
	}
	m.SyncID = b[1]
	if syncID != 0 && m.SyncID != syncID {
		return ErrSyncID
	}
	if len(b) >= HeaderLen && b[5] == Version && b[0] == 0 && b[6] == 0 && b[7] == 0 {
		m.Version = 1
		return decodeV1(b, m)
	}
	return decodeV0(b, m)
}

func decodeV1(b []byte, m *Message) error {
	be := binary.BigEndian
	end := HeaderLen
	for i := 0; i < int(b[4]); i++ {
		p := end
		if p+ConnLen4 > len(b) {
			return ErrTruncated
		}
		vs := be.Uint16(b[p+2 : p+4])
		size := int(vs & sverMask)
		if p+size > len(b) {
			return ErrTruncated
		}
		if vs>>sverShift != 0 {
			return ErrEntryVer
		}
		if size < ConnLen4 {
			if b[p] != 0 && b[p]&typeInet6 == 0 {
				return ErrEntryType
			}
			return ErrTruncated
		}
		skip, err := decodeEntry(b[p:p+size], m)
		if err != nil {
			return err
		}
		if skip {
			m.Skipped++
		}
		end = p + (size+3)&^3
	}
	return nil
}

// decodeEntry is ip_vs_proc_sync_conn's parsing of one entry e (exactly
// its size bytes). skip reports an entry dropped on its own.
func decodeEntry(e []byte, m *Message) (skip bool, err error) {
	be := binary.BigEndian
	var c Conn
	n := ConnLen4
	switch {
	case e[0]&typeInet6 != 0:
		n = ConnLen6
	case e[0] != 0:
		return false, ErrEntryType
	}
	if n > len(e) {
		return false, ErrTruncated
	}
	c.Protocol = e[1]
	c.Flags = be.Uint32(e[4:8])
	c.State = be.Uint16(e[8:10])
	c.CPort, c.VPort, c.DPort = be.Uint16(e[10:12]), be.Uint16(e[12:14]), be.Uint16(e[14:16])
	c.FWMark, c.Timeout = be.Uint32(e[16:20]), be.Uint32(e[20:24])
	if n == ConnLen6 {
		c.Client = netip.AddrFrom16([16]byte(e[24:40]))
		c.Virtual = netip.AddrFrom16([16]byte(e[40:56]))
		c.Dest = netip.AddrFrom16([16]byte(e[56:72]))
	} else {
		c.Client = netip.AddrFrom4([4]byte(e[24:28]))
		c.Virtual = netip.AddrFrom4([4]byte(e[28:32]))
		c.Dest = netip.AddrFrom4([4]byte(e[32:36]))
	}
	var havePEData, havePEName bool
	for p := n; p < len(e); {
		if p+2 > len(e) {
			return false, ErrOption
		}
		typ, plen := e[p], int(e[p+1])
		p += 2
		if plen == 0 || p+plen > len(e) {
			return false, ErrOption
		}
		data := e[p : p+plen]
		switch typ &^ optFParam {
		case optSeqData:
			if plen != SeqOptLen || c.HasSeq {
				return false, ErrOption
			}
			c.HasSeq = true
			c.InSeq = Seq{be.Uint32(data[0:4]), be.Uint32(data[4:8]), be.Uint32(data[8:12])}
			c.OutSeq = Seq{be.Uint32(data[12:16]), be.Uint32(data[16:20]), be.Uint32(data[20:24])}
		case optPEData:
			if plen > PEDataMax || havePEData {
				return false, ErrOption
			}
			havePEData = true
			c.PEData = append([]byte(nil), data...)
		case optPEName:
			if plen > PENameMax || havePEName {
				return false, ErrOption
			}
			havePEName = true
			c.PEName = string(data)
		default:
			if typ&optFParam == 0 {
				skip = true // an unknown mandatory parameter
			}
		}
		p += plen
	}
	if !skip {
		m.Conns = append(m.Conns, c)
	}
	return skip, nil
}

// decodeV0 is ip_vs_process_message_v0: 4-byte header, 24-byte IPv4
// entries followed by their sequence options when the flags say so. The
// entries carry no timeout and no firewall mark.
func decodeV0(b []byte, m *Message) error {
	be := binary.BigEndian
	p := HeaderLenV0
	for i := 0; i < int(b[0]); i++ {
		if p+ConnLenV0 > len(b) {
			return ErrTruncated
		}
		e := b[p:]
		c := Conn{Protocol: e[1],
			CPort: be.Uint16(e[2:4]), VPort: be.Uint16(e[4:6]), DPort: be.Uint16(e[6:8]),
			Client:  netip.AddrFrom4([4]byte(e[8:12])),
			Virtual: netip.AddrFrom4([4]byte(e[12:16])),
			Dest:    netip.AddrFrom4([4]byte(e[16:20])),
			Flags:   uint32(be.Uint16(e[20:22])) &^ FlagHashed,
			State:   be.Uint16(e[22:24]),
		}
		p += ConnLenV0
		if c.Flags&FlagSeqMask != 0 {
			if p+SeqOptLen > len(b) {
				return ErrTruncated
			}
			o := b[p : p+SeqOptLen]
			c.HasSeq = true
			c.InSeq = Seq{be.Uint32(o[0:4]), be.Uint32(o[4:8]), be.Uint32(o[8:12])}
			c.OutSeq = Seq{be.Uint32(o[12:16]), be.Uint32(o[16:20]), be.Uint32(o[20:24])}
			p += SeqOptLen
		}
		m.Conns = append(m.Conns, c)
	}
	return nil
}
