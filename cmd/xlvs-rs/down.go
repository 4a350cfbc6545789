package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"

	"github.com/xlvs/xlvs/dataplane/decap"
)

func down(args []string, stdout, stderr io.Writer) error {
	s, path, err := readState("down", args, stderr)
	if err != nil {
		return err
	}
	if s == nil {
		fmt.Fprintf(stdout, "nothing to undo: no state file %s\n", path)
		return nil
	}
	if err := undoAll(s, stdout); err != nil {
		// Keep the state file: what failed can be retried.
		return err
	}
	return removeState(path)
}

// undoAll reverts what s records, in the reverse order of up: tunnels,
// addresses, sysctls. It goes on after a failure and reports them all.
func undoAll(s *state, out io.Writer) error {
	var errs []error
	if s.Decapsulator != nil {
		err := decap.Detach(*s.Decapsulator)
		switch {
		case errors.Is(err, decap.ErrNotAttached):
			fmt.Fprintf(out, "decapsulator on %s: gone already\n", s.Dev)
		case err != nil:
			errs = append(errs, err)
		default:
			fmt.Fprintf(out, "detached the tc-BPF decapsulator from %s\n", s.Dev)
		}
	}
	if s.Kernel != nil {
		if err := undoKernel(s.Kernel); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintln(out, "undid the kernel tunnel settings")
		}
	}
	for _, a := range slices.Backward(s.Addresses) {
		p, err := netip.ParsePrefix(a.CIDR)
		if err == nil {
			err = delAddr(a.Dev, p)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(out, "removed %s from %s\n", a.CIDR, a.Dev)
	}
	for _, c := range slices.Backward(s.Sysctls) {
		cur, err := readSysctl(c.Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if cur != c.Value {
			fmt.Fprintf(out, "%s: left at %s (changed since up set it to %s)\n", sysctlName(c.Path), cur, c.Value)
			continue
		}
		if err := writeSysctl(c.Path, c.Previous); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(out, "%s = %s (restored)\n", sysctlName(c.Path), c.Previous)
	}
	return errors.Join(errs...)
}
