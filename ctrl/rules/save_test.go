package rules

import (
	"bytes"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/model"
)

// adm runs one xlvsadm command line against h, as xlvsadm would over the
// control socket, and fails the test unless it succeeds.
func adm(t *testing.T, h Handler, line string) {
	t.Helper()
	var stderr bytes.Buffer
	code := ipvsadm.Main("xlvsadm", strings.Fields(line), nil, nil, &stderr, func() (ipvsadm.Client, error) {
		return clientFunc(func(r *api.Request) (*api.Response, error) { return h.Do(r), nil }), nil
	})
	if code != 0 {
		t.Fatalf("xlvsadm %s: exit %d: %s", line, code, stderr.String())
	}
}

type clientFunc func(*api.Request) (*api.Response, error)

func (f clientFunc) Do(r *api.Request) (*api.Response, error) { return f(r) }

// saveOutput is what xlvsadm -S -n prints for h.
func saveOutput(t *testing.T, h Handler) string {
	t.Helper()
	var out bytes.Buffer
	code := ipvsadm.Main("xlvsadm", []string{"-S", "-n"}, nil, &out, nil, func() (ipvsadm.Client, error) {
		return clientFunc(func(r *api.Request) (*api.Response, error) { return h.Do(r), nil }), nil
	})
	if code != 0 {
		t.Fatalf("xlvsadm -S -n: exit %d", code)
	}
	return out.String()
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSavingWritesEveryChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules")
	m := model.New(model.Config{})
	s := NewSaver(path, m)
	h := Saving(m, s, nil)
	steps := []string{
		"-A -t 198.18.0.100:80 -s rr",
		"-a -t 198.18.0.100:80 -r 198.18.0.11 -g -w 2",
		"-a -t 198.18.0.100:80 -r 198.18.0.12 -g",
		"-A -t [fd00:18::100]:80 -s wlc",
		"-a -t [fd00:18::100]:80 -r [fd00:18::11]:80 -g",
		"-e -t 198.18.0.100:80 -r 198.18.0.12 -g -w 5",
		"-E -t 198.18.0.100:80 -s wrr",
		"-d -t 198.18.0.100:80 -r 198.18.0.11",
		"-D -t [fd00:18::100]:80",
		"-C",
		"-A -u 198.18.0.100:53 -s sh",
	}
	for i, line := range steps {
		adm(t, h, line)
		if got, want := readFile(t, path), saveOutput(t, m); got != want {
			t.Fatalf("after %q the file holds:\n%s\nxlvsadm -S -n shows:\n%s", line, got, want)
		}
		if saves, _ := s.Stats(); saves != uint64(i+1) {
			t.Errorf("after %d changes, %d files written", i+1, saves)
		}
	}
	if got := readFile(t, path); got != "-A -u 198.18.0.100:53 -s sh\n" {
		t.Errorf("final file %q", got)
	}
}

func TestSavingSkipsQueriesRefusalsAndNoops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules")
	m := model.New(model.Config{})
	s := NewSaver(path, m)
	h := Saving(m, s, nil)
	adm(t, h, "-A -t 198.18.0.100:80 -s rr")
	want := readFile(t, path)
	key := &api.Service{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("198.18.0.100"), Port: 80}}
	for _, req := range []*api.Request{
		{Op: api.OpListService}, {Op: api.OpGetInfo}, {Op: api.OpGetService, Service: key},
		{Op: api.OpAddService, Service: &api.Service{Key: key.Key, Scheduler: "rr"}}, // exists: refused
		{Op: api.OpDelService, Service: &api.Service{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("198.18.0.100"), Port: 81}}},
		nil,
	} {
		h.Do(req)
	}
	// An edit that changes nothing -S shows (same scheduler) writes nothing.
	adm(t, h, "-E -t 198.18.0.100:80 -s rr")
	if saves, fails := s.Stats(); saves != 1 || fails != 0 {
		t.Errorf("%d files written, %d failures; want 1 and 0", saves, fails)
	}
	if got := readFile(t, path); got != want {
		t.Errorf("file changed to %q", got)
	}
}

func TestSyncAfterLoadWritesOnlyChanges(t *testing.T) {
	path := writeTemp(t, "rules", good)
	m := model.New(model.Config{})
	if _, err := Load(path, m, nil); err != nil {
		t.Fatal(err)
	}
	s := NewSaver(path, m)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if saves, _ := s.Stats(); saves != 0 {
		t.Errorf("Save after Load and Sync wrote the unchanged table")
	}
	// Round trip: the file loads into a fresh model that saves the same.
	h := Saving(m, s, nil)
	adm(t, h, "-a -t 198.18.0.100:443 -r 198.18.0.14 -g -w 7")
	m2 := model.New(model.Config{})
	if _, err := Load(path, m2, nil); err != nil {
		t.Fatal(err)
	}
	if a, b := saveOutput(t, m), saveOutput(t, m2); a != b || !strings.Contains(a, "-r 198.18.0.14:443 -g -w 7") {
		t.Errorf("reloaded table differs:\n%s\nfrom:\n%s", b, a)
	}
}

// TestWriteFileNeverPartial checks the atomic replacement: while the new
// text is being written and synced, the target still holds the complete
// old text (a crash there leaves it), a failure leaves the old text and no
// temporary file, and the file keeps its permissions.
func TestWriteFileNeverPartial(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules")
	old := strings.Repeat("-A -t 198.18.0.100:80 -s rr\n", 1000)
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	next := strings.Repeat("-A -t 198.18.0.101:80 -s wlc\n", 2000)
	defer func(f func(*os.File) error) { syncFile = f }(syncFile)
	var during string
	errDisk := errors.New("disk on fire")
	syncFile = func(f *os.File) error {
		during = readFile(t, path)
		if filepath.Dir(f.Name()) != dir {
			t.Errorf("temporary file %s is not in %s", f.Name(), dir)
		}
		if got := readFile(t, f.Name()); got != next {
			t.Errorf("temporary file holds %d bytes, want %d", len(got), len(next))
		}
		return errDisk
	}
	if err := WriteFile(path, []byte(next)); !errors.Is(err, errDisk) {
		t.Fatalf("WriteFile with a failing sync: %v", err)
	}
	if during != old {
		t.Errorf("the target changed before the rename (%d bytes)", len(during))
	}
	if got := readFile(t, path); got != old {
		t.Errorf("a failed write changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left in the directory: %v", ents)
	}
	syncFile = (*os.File).Sync
	if err := WriteFile(path, []byte(next)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != next {
		t.Errorf("after WriteFile the file holds %d bytes, want %d", len(got), len(next))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old file's 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left in the directory: %v", ents)
	}
}

func TestSavingLogsFailures(t *testing.T) {
	// The rules file's directory does not exist: the change is applied,
	// the save fails, is counted and logged.
	path := filepath.Join(t.TempDir(), "missing", "rules")
	m := model.New(model.Config{})
	s := NewSaver(path, m)
	var logBuf bytes.Buffer
	h := Saving(m, s, slog.New(slog.NewTextHandler(&logBuf, nil)))
	resp := h.Do(&api.Request{Op: api.OpAddService, Service: &api.Service{
		Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("198.18.0.100"), Port: 80}, Scheduler: "rr"}})
	if resp.Err != nil {
		t.Fatalf("the change was refused: %v", resp.Err)
	}
	if _, fails := s.Stats(); fails != 1 {
		t.Errorf("%d failed saves counted, want 1", fails)
	}
	if !strings.Contains(logBuf.String(), "rules not saved") || !strings.Contains(logBuf.String(), path) {
		t.Errorf("log: %q", logBuf.String())
	}
}
