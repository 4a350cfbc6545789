// Package netlab builds throw-away network topologies out of Linux network
// namespaces, veth pairs and bridges, for tests, the xlvs-lab program and
// benchmarks. Everything is done through netlink and raw system calls
// (github.com/vishvananda/netlink, golang.org/x/sys/unix): nothing shells out
// to iproute2 or ethtool, so a test needs nothing beyond Go and root.
//
// A [Lab] owns every namespace, link and process it creates. Namespace names
// carry a random per-lab suffix ([Lab.ID]) so parallel tests and parallel
// packages never collide, and they are mounted under /run/netns exactly like
// `ip netns add` does, so `ip netns exec <name> ...` works for debugging.
// [Lab.Close] removes everything and is idempotent; tests must register it:
//
//	lab := netlab.NewT(t, "dr")            // RequireRoot + New + t.Cleanup(lab.Close)
//	client, _ := lab.AddNS("client")
//	server, _ := lab.AddNS("server")
//	_ = lab.Veth(client, "eth0", server, "eth0", netlab.LinkOptions{TxChecksumOff: true})
//	_ = client.AddAddr("eth0", "198.18.0.1/24")
//	_ = server.AddAddr("eth0", "198.18.0.2/24")
//	ln, _ := server.ListenTCP("198.18.0.2:80") // socket lives in server's namespace
//
// Programs (not tests) should also remove the lab on SIGINT/SIGTERM; see
// [Lab.CloseOnSignal].
//
// # Namespaces and threads
//
// A network namespace is a property of an OS thread. Code that must run
// inside a namespace goes through [NS.Do], which runs it on a fresh goroutine
// locked to its OS thread, switches that thread into the namespace and back
// afterwards. If switching back fails the goroutine exits still locked, so
// the Go runtime destroys the thread instead of reusing it in the wrong
// namespace. New namespaces are created the same way. The calling goroutine's
// thread never changes namespace.
//
// Sockets keep the namespace they were created in: a listener or connection
// returned by [NS.ListenTCP], [NS.DialTCP] and friends may be used from any
// goroutine afterwards. Netlink requests go through a per-namespace
// *netlink.Handle ([NS.Netlink]) whose socket was opened inside the namespace.
//
// # Processes
//
// [NS.Command] returns an *exec.Cmd that re-executes the current binary
// (/proc/self/exe) with a marker argv[0]; this package's init function
// recognises the marker, joins the namespace with setns(2) on the main thread
// and execve(2)s the real program, so the ordinary Start/Run/Output methods
// work unchanged. [NS.Start] starts an arbitrary *exec.Cmd inside the
// namespace by forking from a thread that has joined it. [Lab.Close] kills
// every process still running in the lab's namespaces (found by namespace
// inode under /proc), whichever way it was started.
//
// # Concurrency
//
// A Lab and its NS values may be used from several goroutines: methods that
// change the lab's bookkeeping take the lab's mutex, and netlink handles are
// safe for concurrent use. Close must not race with methods that create
// things (it is meant to run last).
package netlab
