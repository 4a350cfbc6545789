package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
)

// Text returns the table of h as ipvsadm -S -n writes it.
func Text(h Handler) ([]byte, error) {
	resp := h.Do(&api.Request{Op: api.OpListService})
	if resp == nil {
		return nil, errors.New("list services: no response")
	}
	if resp.Err != nil {
		return nil, fmt.Errorf("list services: %w", resp.Err)
	}
	var b bytes.Buffer
	if err := ipvsadm.Save(&b, resp.Services, true, nil); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Saver writes the table of a handler to a rules file.
type Saver struct {
	path string
	h    Handler

	mu    sync.Mutex
	last  []byte // what the file holds, as far as this Saver knows
	known bool   // last is valid
	saves uint64 // files written
	fails uint64 // saves that failed
}

// NewSaver returns a Saver that writes h's table to path.
func NewSaver(path string, h Handler) *Saver { return &Saver{path: path, h: h} }

// Path returns the rules file's path.
func (s *Saver) Path() string { return s.path }

// Save writes the current table to the file unless the file already holds
// exactly that text (as written or read by this Saver).
func (s *Saver) Save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, err := Text(s.h)
	if err == nil && s.known && bytes.Equal(text, s.last) {
		return nil
	}
	if err == nil {
		err = WriteFile(s.path, text)
	}
	if err != nil {
		s.fails++
		return fmt.Errorf("save rules to %s: %w", s.path, err)
	}
	s.last, s.known = text, true
	s.saves++
	return nil
}

// Stats returns how many files were written and how many saves failed.
func (s *Saver) Stats() (saves, failures uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves, s.fails
}

// Sync tells the Saver that the file holds the current table (after a
// Load), so that the next Save writes only if something changed.
func (s *Saver) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, err := Text(s.h)
	if err != nil {
		return err
	}
	s.last, s.known = text, true
	return nil
}

// syncFile is (*os.File).Sync; tests replace it to fail a write midway.
var syncFile = (*os.File).Sync

// WriteFile replaces path with data atomically: it writes a temporary file
// in the same directory, syncs it, renames it over path and syncs the
// directory. An existing file keeps its permissions; a new one gets 0644.
// On error the temporary file is removed and path is untouched.
func WriteFile(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = syncFile(f); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// mutating reports whether op changes what ipvsadm -S shows.
func mutating(op api.Op) bool {
	switch op {
	case api.OpAddService, api.OpEditService, api.OpDelService, api.OpFlush,
		api.OpAddDest, api.OpEditDest, api.OpDelDest:
		return true
	}
	return false
}

// saving is the Handler returned by Saving.
type saving struct {
	h   Handler
	s   *Saver
	log *slog.Logger
}

// Saving returns a Handler that forwards every request to h and, after a
// successful request that changes the table, saves it with s before
// returning the response. A failed save is logged (log may be nil) and
// does not change the response: the change is in effect.
func Saving(h Handler, s *Saver, log *slog.Logger) Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &saving{h: h, s: s, log: log}
}

// Do implements Handler.
func (w *saving) Do(req *api.Request) *api.Response {
	resp := w.h.Do(req)
	if req == nil || resp == nil || resp.Err != nil || !mutating(req.Op) {
		return resp
	}
	if err := w.s.Save(); err != nil {
		w.log.Error("rules not saved", "err", err)
	}
	return resp
}
