package rules

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
)

// Handler executes control requests; *model.Model implements it.
type Handler interface {
	Do(req *api.Request) *api.Response
}

// Rule is one rule of a rules file: the request it stands for and where
// it was read.
type Rule struct {
	File string
	Line int // 1-based
	Req  *api.Request
}

// LineError is a rule that could not be parsed or was refused: Msg is
// what ipvsadm prints for it, Err the underlying error.
type LineError struct {
	File string
	Line int
	Msg  string
	Err  error
}

// Error returns "FILE:LINE: message".
func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Unwrap returns the parse error or the refusal.
func (e *LineError) Unwrap() error { return e.Err }

// maxLineLen bounds one line of a rules file.
const maxLineLen = 64 << 10

// ErrLineTooLong is returned for a line longer than 64 KiB.
var ErrLineTooLong = errors.New("line too long")

// Parse reads rules from r (named file in errors) with ipvsadm -R's
// grammar; names resolves host and service names (nil: the system's).
// Blank lines and lines starting with '#' are skipped. The first line that
// does not parse stops it with a *LineError.
func Parse(r io.Reader, file string, names ipvsadm.Names) ([]Rule, error) {
	var out []Rule
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF && line == "" {
			return out, nil
		}
		if err != nil && err != io.EOF {
			return nil, &LineError{File: file, Line: n, Msg: err.Error(), Err: err}
		}
		if !strings.HasPrefix(line, "#") {
			req, perr := ipvsadm.RuleRequest("ipvsadm", line, names)
			if perr != nil {
				return nil, &LineError{File: file, Line: n, Msg: perr.Error(), Err: perr}
			}
			if req != nil {
				out = append(out, Rule{File: file, Line: n, Req: req})
			}
		}
		if err == io.EOF {
			return out, nil
		}
	}
}

// readLine returns one line without its newline; io.EOF comes with the
// last line when it has no newline.
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := br.ReadLine()
		b.Write(chunk)
		if b.Len() > maxLineLen {
			return "", ErrLineTooLong
		}
		if err != nil {
			return b.String(), err
		}
		if !isPrefix {
			return b.String(), nil
		}
	}
}

// Apply executes rules in order on h and returns how many it applied. The
// first refused rule stops it with a *LineError carrying ipvsadm's text
// for the refusal; the rules before it stay applied.
func Apply(rules []Rule, h Handler) (int, error) {
	for i, r := range rules {
		resp := h.Do(r.Req)
		var err error
		switch {
		case resp == nil:
			err = errors.New("no response")
		case resp.Err != nil:
			err = resp.Err
		}
		if err != nil {
			return i, &LineError{File: r.File, Line: r.Line, Msg: ipvsadm.RequestErrorText(r.Req, err), Err: err}
		}
	}
	return len(rules), nil
}

// Load parses the rules file at path and, when all of it parses, applies
// it to h. It returns the number of rules applied (on a refusal, those
// before it). A missing file is an error that matches os.ErrNotExist.
func Load(path string, h Handler, names ipvsadm.Names) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("rules file: %w", err)
	}
	defer f.Close()
	rules, err := Parse(f, path, names)
	if err != nil {
		return 0, err
	}
	return Apply(rules, h)
}
