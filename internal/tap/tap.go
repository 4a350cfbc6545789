package tap

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/xlvs/xlvs/dataplane/port"
)

// Device is a multi-queue TAP device.
type Device struct {
	name   string
	index  int
	mac    [6]byte
	queues []*Queue
}

// Queue is one queue of a Device: a [port.Local]. Not safe for concurrent
// use: owned by one worker.
type Queue struct {
	fd  int
	mac [6]byte
}

// ErrQueues is returned by Create for a queue count out of 1..256.
var ErrQueues = errors.New("tap: queues must be 1..256")

// Create makes TAP device name with the given number of queues, sets it up
// and without ARP, and returns it. It fails if an interface of that name
// exists. On error nothing is left behind.
func Create(name string, queues int) (d *Device, err error) {
	if queues < 1 || queues > 256 {
		return nil, ErrQueues
	}
	d = &Device{name: name}
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()
	for i := 0; i < queues; i++ {
		flags := uint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_MULTI_QUEUE)
		if i == 0 {
			flags |= unix.IFF_TUN_EXCL // a new device, not someone else's
		}
		fd, err := open(name, flags)
		if err != nil {
			return d, fmt.Errorf("tap %s queue %d: %w", name, i, err)
		}
		d.queues = append(d.queues, &Queue{fd: fd})
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return d, fmt.Errorf("tap %s: %w", name, err)
	}
	if err := netlink.LinkSetARPOff(l); err != nil {
		return d, fmt.Errorf("tap %s: arp off: %w", name, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return d, fmt.Errorf("tap %s: up: %w", name, err)
	}
	d.index = l.Attrs().Index
	copy(d.mac[:], l.Attrs().HardwareAddr)
	for _, q := range d.queues {
		q.mac = d.mac
	}
	return d, nil
}

func open(name string, flags uint16) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, err
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("TUNSETIFF: %w", err)
	}
	return fd, nil
}

// Name returns the device's name.
func (d *Device) Name() string { return d.name }

// Index returns the device's interface index.
func (d *Device) Index() int { return d.index }

// MAC returns the device's hardware address.
func (d *Device) MAC() [6]byte { return d.mac }

// Queues returns the device's queues, one per worker.
func (d *Device) Queues() []*Queue { return d.queues }

// Close closes every queue; the device disappears with the last one.
func (d *Device) Close() error {
	var errs []error
	for _, q := range d.queues {
		if q.fd >= 0 {
			errs = append(errs, unix.Close(q.fd))
			q.fd = -1
		}
	}
	return errors.Join(errs...)
}

// MAC implements port.Local: frames must carry the device's address.
func (q *Queue) MAC() [6]byte { return q.mac }

// Deliver implements port.Local: one write per frame. A write the kernel
// refuses (the device down, or out of memory) loses that frame only.
func (q *Queue) Deliver(buf []byte, descs []port.Desc) int {
	n := 0
	for i := range descs {
		d := &descs[i]
		if _, err := unix.Write(q.fd, buf[d.Addr:d.Addr+uint64(d.Len)]); err == nil {
			n++
		}
	}
	return n
}
