package netlab

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtoolValueReq is struct ethtool_value (linux/ethtool.h).
type ethtoolValueReq struct {
	cmd  uint32
	data uint32
}

// ifreqData is struct ifreq with the ifr_data member of its union (the
// union is 24 bytes on 64-bit: struct ifmap).
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// ioctlEthtoolValue runs SIOCETHTOOL with an ethtool_value for dev; *v is
// sent and receives the reply.
func ioctlEthtoolValue(fd int, dev string, cmd uint32, v *uint32) error {
	req := ethtoolValueReq{cmd: cmd, data: *v}
	var ifr ifreqData
	copy(ifr.name[:], dev)
	ifr.data = unsafe.Pointer(&req)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	if errno != 0 {
		return errno
	}
	*v = req.data
	return nil
}
