package main

import (
	"os"

	"github.com/xlvs/xlvs/perf/pktgen/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
