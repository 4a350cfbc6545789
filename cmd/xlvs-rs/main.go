package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Exit statuses (see the package documentation).
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitNotUp    = 3
	exitConflict = 4
)

// Error kinds that choose the exit status; other errors exit 1.
var (
	errUsage    = errors.New("usage")
	errNotUp    = errors.New("not set up")
	errConflict = errors.New("conflict")
)

const usageText = `usage:
  xlvs-rs up --vip ADDR [--vip ADDR...] --mode dr|tun [--dev IFNAME]
             [--tun-type ipip|gue|gre [--tun-port N]] [--decap auto|bpf|kernel] [--state FILE]
  xlvs-rs down [--state FILE]
  xlvs-rs status [--state FILE]
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "up":
		err = up(args[1:], stdout, stderr)
	case "down":
		err = down(args[1:], stdout, stderr)
	case "status":
		err = status(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "xlvs-rs %s: %v\n", args[0], err)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, usageText)
		return exitUsage
	case errors.Is(err, errNotUp):
		return exitNotUp
	case errors.Is(err, errConflict):
		return exitConflict
	default:
		return exitFailure
	}
}
