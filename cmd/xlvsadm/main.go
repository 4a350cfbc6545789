package main

import (
	"os"
	"path/filepath"

	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
)

func main() {
	prog := filepath.Base(os.Args[0])
	dial := func() (ipvsadm.Client, error) { return client.Dial(client.SocketPath()) }
	os.Exit(ipvsadm.Main(prog, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, dial))
}
