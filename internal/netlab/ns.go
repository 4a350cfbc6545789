package netlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// RunDir is where named namespaces are mounted, as by `ip netns add`.
const RunDir = "/run/netns"

// NS is a named network namespace owned by a [Lab].
//
// A nil *NS stands for the process's own namespace in the link, address,
// route, sysctl, ethtool and socket methods and in [NS.Do] (fn then runs
// directly), which is handy for links with one end outside the lab; the
// process methods ([NS.Command], [NS.Start], [NS.Pids]) need a lab
// namespace.
type NS struct {
	// Name is the full namespace name: the name given to [Lab.AddNS],
	// "-" and the lab's ID. `ip netns exec <Name> ...` enters it.
	Name string
	// Path is the namespace's bind mount, RunDir/Name.
	Path string
	// Handle is an open file descriptor of the namespace, valid until the
	// lab is closed. Use it with netns.Set or as netlink.NsFd(ns.Handle).
	Handle netns.NsHandle
	// Netlink is a netlink handle whose sockets live in the namespace.
	Netlink *netlink.Handle
	// Lab is the lab that owns the namespace.
	Lab *Lab

	ino uint64 // namespace inode, to find processes inside it
}

// AddNS creates the network namespace name+"-"+lab.ID, mounts it under
// [RunDir] and brings its loopback up. IPv6 duplicate address detection is
// off for interfaces created in it (net.ipv6.conf.default.accept_dad=0),
// so addresses are usable as soon as they are added. The calling thread's
// namespace is not touched.
func (l *Lab) AddNS(name string) (*NS, error) {
	if err := checkName(name, 64); err != nil {
		return nil, err
	}
	if l.isClosed() {
		return nil, ErrClosed
	}
	full := name + "-" + l.ID
	ns := &NS{Name: full, Path: filepath.Join(RunDir, full), Handle: -1, Lab: l}
	if err := ns.create(); err != nil {
		return nil, err
	}
	if err := l.register(ns); err != nil {
		_ = ns.remove()
		return nil, err
	}
	if err := ns.SetUp("lo"); err != nil {
		return nil, err // the lab removes ns on Close
	}
	// Interfaces created from now on skip IPv6 duplicate address detection,
	// so their link-local addresses are usable at once: a router sources
	// the neighbour solicitations for forwarded packets from it, and a
	// tentative one stalls the first forwarded packets for a second or two.
	if err := ns.SetSysctl("net/ipv6/conf/default/accept_dad", "0"); err != nil {
		return nil, err
	}
	return ns, nil
}

// create makes the namespace on a dedicated thread that is thrown away
// afterwards, mounts it and opens the handles.
func (ns *NS) create() error {
	if err := os.MkdirAll(RunDir, 0o755); err != nil {
		return fmt.Errorf("netlab: create %s: %w", RunDir, err)
	}
	f, err := os.OpenFile(ns.Path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("netlab: create namespace %s: %w", ns.Name, err)
	}
	f.Close()

	errc := make(chan error, 1)
	go func() {
		// Unshare on a locked thread and switch it back afterwards. Never
		// let it exit locked while inside the new namespace: if the
		// goroutine happens to run on the main thread, the runtime cannot
		// destroy that thread and would keep it (and /proc/self/ns/net)
		// in the lab's namespace.
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: current namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: unshare network namespace: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		err = unix.Mount(src, ns.Path, "none", unix.MS_BIND, "")
		if err != nil {
			err = fmt.Errorf("netlab: bind mount %s: %w", ns.Path, err)
		}
		if serr := netns.Set(orig); serr != nil {
			// Stay locked: the runtime destroys the thread on return.
			errc <- errors.Join(err, fmt.Errorf("netlab: return from new namespace: %w", serr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		os.Remove(ns.Path)
		return err
	}
	if err := ns.open(); err != nil {
		_ = ns.remove()
		return err
	}
	return nil
}

func (ns *NS) open() error {
	h, err := netns.GetFromPath(ns.Path)
	if err != nil {
		return fmt.Errorf("netlab: open namespace %s: %w", ns.Name, err)
	}
	ns.Handle = h
	var st unix.Stat_t
	if err := unix.Fstat(int(h), &st); err != nil {
		return fmt.Errorf("netlab: stat namespace %s: %w", ns.Name, err)
	}
	ns.ino = st.Ino
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return fmt.Errorf("netlab: netlink handle in %s: %w", ns.Name, err)
	}
	ns.Netlink = nl
	return nil
}

// remove closes the handles, unmounts and deletes the namespace file. Once
// no process and no descriptor refers to it, the kernel destroys the
// namespace and every interface inside it (veth peers elsewhere included).
func (ns *NS) remove() error {
	if ns.Netlink != nil {
		ns.Netlink.Close()
		ns.Netlink = nil
	}
	if ns.Handle >= 0 {
		ns.Handle.Close()
		ns.Handle = -1
	}
	var errs []error
	if err := unix.Unmount(ns.Path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		errs = append(errs, fmt.Errorf("netlab: unmount %s: %w", ns.Path, err))
	}
	if err := os.Remove(ns.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("netlab: remove %s: %w", ns.Path, err))
	}
	return errors.Join(errs...)
}

// Do runs fn on an OS thread that has joined the namespace and returns fn's
// error. The thread goes back to its original namespace afterwards (or is
// destroyed if it cannot). A panic in fn is re-raised in the caller. fn must
// not call t.FailNow or runtime.Goexit: it runs on another goroutine.
// Sockets created in fn stay in the namespace and may be used anywhere.
// Inside fn, read per-namespace /proc files through /proc/thread-self/net:
// /proc/net is /proc/self/net, the namespace of the process's main thread.
func (ns *NS) Do(fn func() error) error {
	if ns == nil {
		return fn()
	}
	if ns.Handle < 0 {
		return fmt.Errorf("netlab: namespace %s: %w", ns.Name, ErrClosed)
	}
	type result struct {
		err   error
		panic any
		ok    bool
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netlab: current namespace: %w", err)}
			return
		}
		defer orig.Close()
		if err := netns.Set(ns.Handle); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netlab: enter namespace %s: %w", ns.Name, err)}
			return
		}
		var r result
		func() {
			defer func() {
				if !r.ok {
					r.panic = recover()
				}
			}()
			r.err = fn()
			r.ok = true
		}()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: the runtime kills it on return.
			done <- result{err: errors.Join(r.err, fmt.Errorf("netlab: leave namespace %s: %w", ns.Name, err)), panic: r.panic, ok: r.ok}
			return
		}
		runtime.UnlockOSThread()
		done <- r
	}()
	r := <-done
	if !r.ok && r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

// String returns the namespace name.
func (ns *NS) String() string { return ns.Name }
