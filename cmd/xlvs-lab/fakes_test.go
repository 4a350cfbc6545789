package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// fakeEnv makes the test binary, when run under the name xlvsd, xlvsadm
// or xlvs-rs (symlinks), behave as a fake of that program; its value
// selects the behaviour ("ok", "die", "refuse"). The fake xlvsd records
// that it got SIGTERM in the file named by markEnv; the fake xlvs-rs
// appends its command line to the file named by rsLogEnv.
const (
	fakeEnv  = "XLVS_LAB_FAKE"
	markEnv  = "XLVS_LAB_FAKE_MARK"
	rsLogEnv = "XLVS_LAB_FAKE_RSLOG"
	fakeList = "fake listing of services"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		switch filepath.Base(os.Args[0]) {
		case "xlvsd":
			os.Exit(fakeXlvsd(mode, os.Args[1:]))
		case "xlvsadm":
			os.Exit(fakeXlvsadm(mode, os.Args[1:]))
		case "xlvs-rs":
			os.Exit(fakeXlvsRS(os.Args[1:]))
		}
	}
	code := m.Run()
	removeBinaries()
	os.Exit(code)
}

func fakeXlvsd(mode string, args []string) int {
	if os.Getenv("XLVS_SOCKET") == "" || !slices.Contains(args, "--interface") {
		fmt.Fprintln(os.Stderr, "fake xlvsd: missing XLVS_SOCKET or --interface")
		return 2
	}
	ln, err := net.Listen("unix", os.Getenv("XLVS_SOCKET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	fmt.Fprintln(os.Stderr, "fake director up")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	var timeout <-chan time.Time
	if mode == "die" {
		timeout = time.After(300 * time.Millisecond)
	}
	select {
	case <-sig:
		os.WriteFile(os.Getenv(markEnv), []byte("SIGTERM"), 0o644)
		return 0
	case <-timeout:
		fmt.Fprintln(os.Stderr, "fake director crashing")
		return 3
	}
}

func fakeXlvsadm(mode string, args []string) int {
	if os.Getenv("XLVS_SOCKET") == "" {
		fmt.Fprintln(os.Stderr, "fake xlvsadm: XLVS_SOCKET not set")
		return 2
	}
	c, err := net.Dial("unix", os.Getenv("XLVS_SOCKET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c.Close()
	if len(args) > 0 && args[0] == "-L" {
		fmt.Println(fakeList)
		return 0
	}
	if mode == "refuse" && args[0] == "-a" {
		fmt.Fprintln(os.Stderr, "Memory allocation problem")
		return 255
	}
	if mode == "die" { // slow enough for the fake xlvsd to crash meanwhile
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}

// fakeXlvsRS logs its command line and, for up, puts the VIPs on lo (it
// runs in the real server's namespace), so that the servers can listen.
func fakeXlvsRS(args []string) int {
	f, err := os.OpenFile(os.Getenv(rsLogEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	fmt.Fprintln(f, strings.Join(args, " "))
	if len(args) == 0 || args[0] != "up" {
		return 0
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i, a := range args {
		if a != "--vip" || i+1 >= len(args) {
			continue
		}
		vip := netip.MustParseAddr(args[i+1])
		addr, err := netlink.ParseAddr(netip.PrefixFrom(vip, vip.BitLen()).String())
		if err == nil {
			err = netlink.AddrAdd(lo, addr)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// fakes returns options whose binaries are the fake xlvsd, xlvsadm and
// xlvs-rs, running the scenarios named, and the files where the fakes
// record SIGTERM and xlvs-rs's command lines.
func fakes(t *testing.T, mode string, scenarios ...string) (o *options, mark, rsLog string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []string{"xlvsd", "xlvsadm", "xlvs-rs"} {
		if err := os.Symlink(exe, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	mark, rsLog = filepath.Join(dir, "mark"), filepath.Join(dir, "rs.log")
	t.Setenv(fakeEnv, mode)
	t.Setenv(markEnv, mark)
	t.Setenv(rsLogEnv, rsLog)
	args := []string{"--xlvsd", filepath.Join(dir, "xlvsd"), "--xlvsadm", filepath.Join(dir, "xlvsadm"), "--xlvs-rs", filepath.Join(dir, "xlvs-rs"),
		"--conns", "2", "--datagrams", "2", "--bytes", "1000", "--timeout", "1m"}
	for _, s := range scenarios {
		args = append(args, "--scenario", s)
	}
	if o, err = parseFlags(args, os.Stderr); err != nil {
		t.Fatal(err)
	}
	return o, mark, rsLog
}
