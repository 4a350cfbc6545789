package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sysctlRoot is where sysctls live; the network ones are those of the
// calling thread's namespace.
const sysctlRoot = "/proc/sys"

// readSysctl returns the value of path (relative to /proc/sys) without the
// trailing newline.
func readSysctl(path string) (string, error) {
	b, err := os.ReadFile(filepath.Join(sysctlRoot, path))
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", sysctlName(path), err)
	}
	return strings.TrimRight(string(b), "\n"), nil
}

// writeSysctl sets path (relative to /proc/sys) to value.
func writeSysctl(path, value string) error {
	f, err := os.OpenFile(filepath.Join(sysctlRoot, path), os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("set sysctl %s=%s: %w", sysctlName(path), value, err)
	}
	return nil
}

// confPath is the path of net.ipv4.conf.<dev>.<key>.
func confPath(dev, key string) string {
	return "net/ipv4/conf/" + dev + "/" + key
}

// sysctlName shows a /proc/sys path as sysctl(8) does: dots between the
// components, dots inside a component (an interface eth0.100) as '/'.
func sysctlName(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ".", "/")
	}
	return strings.Join(parts, ".")
}
