package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// Handler executes requests; *model.Model implements it.
type Handler interface {
	Do(req *api.Request) *api.Response
}

// MaxRequestSize bounds one request line.
const MaxRequestSize = 1 << 20

// Errors from Listen.
var (
	// ErrInUse: another daemon answers on the socket.
	ErrInUse = errors.New("control socket in use by a running daemon")
	// ErrNotSocket: something other than a socket is at the path; Listen
	// never removes it.
	ErrNotSocket = errors.New("exists and is not a socket")
)

// Server is a running control socket.
type Server struct {
	ln   net.Listener
	path string
	h    Handler
	log  *slog.Logger
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn map[net.Conn]struct{} // nil once Close ran
}

// Listen creates the socket at path (log may be nil), replacing a stale socket file left by
// a daemon that died. It refuses with [ErrInUse] if a live daemon answers
// there and with [ErrNotSocket] if the path holds anything but a socket.
func Listen(path string, h Handler, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("%s: %w", path, ErrNotSocket)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", path, ErrInUse)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("probe %s: %w", path, err)
		}
		log.Warn("removing stale control socket", "path", path)
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	// The socket is born 0600: no window with umask permissions.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	s := &Server{ln: ln, path: path, h: h, log: log, conn: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.conn == nil {
			// Accepted just before Close closed the listener: Close has
			// already closed the connections it knew of.
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conn[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conn, c)
		s.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	enc := json.NewEncoder(c)
	for {
		line, err := readLine(r)
		if err != nil {
			if !errors.Is(err, errEOF) {
				enc.Encode(&api.Response{Err: api.NewError(api.CodeInvalid, "bad request: "+err.Error())})
			}
			return
		}
		var req api.Request
		if err := json.Unmarshal(line, &req); err != nil {
			enc.Encode(&api.Response{Err: api.NewError(api.CodeInvalid, "bad request: "+err.Error())})
			return
		}
		resp := s.safeDo(&req)
		if err := enc.Encode(resp); err != nil {
			return
		}
	}
}

// safeDo runs the handler; a panic in it is a bug, reported as an error to
// the client and logged, never a dead daemon.
func (s *Server) safeDo(req *api.Request) (resp *api.Response) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("request handler panicked", "op", req.Op, "panic", p)
			resp = &api.Response{Err: api.NewError(api.CodeInvalid, fmt.Sprintf("internal error handling %s", req.Op))}
		}
	}()
	return s.h.Do(req)
}

var errEOF = errors.New("eof")

func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			if len(line) == 0 {
				return nil, errEOF
			}
			return line, nil
		}
		line = append(line, chunk...)
		if len(line) > MaxRequestSize {
			return nil, fmt.Errorf("request larger than %d bytes", MaxRequestSize)
		}
		if !isPrefix {
			return line, nil
		}
	}
}

// Close stops accepting, closes open connections and removes the socket.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conn {
		c.Close()
	}
	s.conn = nil
	s.mu.Unlock()
	s.wg.Wait()
	os.Remove(s.path)
	return err
}
