package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/xlvs/xlvs/dataplane/decap"
)

// defaultStatePath is where up records its changes unless --state says
// otherwise.
const defaultStatePath = "/run/xlvs-rs/state.json"

// stateVersion is the layout version of the state file.
const stateVersion = 1

// state is what up set up and changed: the input of down and status.
type state struct {
	Version int `json:"version"`
	// NetNS identifies the network namespace ("net:[inode]").
	NetNS string `json:"netns"`
	// Mode is "dr" or "tun"; Dev the interface facing the director.
	Mode string `json:"mode"`
	Dev  string `json:"dev"`
	// TunType ("ipip", "gue", "gre"), TunPort and Decap ("bpf", "kernel") in
	// TUN mode.
	TunType string `json:"tunType,omitempty"`
	TunPort uint16 `json:"tunPort,omitempty"`
	Decap   string `json:"decap,omitempty"`
	// VIPs as given to the last up.
	VIPs []string `json:"vips"`
	// Addresses that up added (addresses already present are not here).
	Addresses []addrChange `json:"addresses"`
	// Sysctls that up changed, in the order it changed them.
	Sysctls []sysctlChange `json:"sysctls"`
	// Decapsulator is the tc filter up attached (decap bpf).
	Decapsulator *decap.Attachment `json:"decapsulator,omitempty"`
	// Kernel lists what up changed for the kernel's tunnels (decap kernel).
	Kernel *kernelChange `json:"kernel,omitempty"`
}

// addrChange is an address up added.
type addrChange struct {
	Dev  string `json:"dev"`
	CIDR string `json:"cidr"`
}

// sysctlChange is a sysctl up changed: Path is relative to /proc/sys.
type sysctlChange struct {
	Path     string `json:"path"`
	Previous string `json:"previous"`
	Value    string `json:"value"`
}

// readState parses the arguments of a command that takes only --state
// (cmd is "down" or "status") and reads the state file they name: a nil
// state when there is none, an error when the file belongs to another
// network namespace.
func readState(cmd string, args []string, stderr io.Writer) (s *state, path string, err error) {
	flags := pflag.NewFlagSet("xlvs-rs "+cmd, pflag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&path, "state", defaultStatePath, "state file")
	if err := flags.Parse(args); err != nil {
		return nil, "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if flags.NArg() > 0 {
		return nil, "", fmt.Errorf("%w: unexpected argument %q", errUsage, flags.Arg(0))
	}
	s, err = loadState(path)
	if err != nil || s == nil {
		return nil, path, err
	}
	if err := s.checkNetNS(path); err != nil {
		return nil, path, err
	}
	return s, path, nil
}

// loadState reads the state file; a missing file gives (nil, nil).
func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("state file %s: version %d, this xlvs-rs reads version %d", path, s.Version, stateVersion)
	}
	return &s, nil
}

// save writes the state file atomically (a temporary file renamed over it).
func (s *state) save(path string) error {
	s.Version = stateVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// removeState deletes the state file.
func removeState(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	return nil
}

// currentNetNS identifies the network namespace of the calling thread.
func currentNetNS() (string, error) {
	ns, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		return "", fmt.Errorf("identify the network namespace: %w", err)
	}
	return ns, nil
}

// checkNetNS refuses a state file written in another network namespace.
func (s *state) checkNetNS(path string) error {
	ns, err := currentNetNS()
	if err != nil {
		return err
	}
	if s.NetNS != ns {
		return fmt.Errorf("%w: state file %s belongs to network namespace %s, this is %s (use --state)", errConflict, path, s.NetNS, ns)
	}
	return nil
}
