package keepalived

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Pos is a place in a configuration file.
type Pos struct {
	File string
	Line int
}

// String formats the position as file:line.
func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Error is a configuration error at a position.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats the error as "file:line: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Warning is something keepalived would log and go on: an unsupported or
// unknown keyword, a default applied.
type Warning struct {
	Pos Pos
	Msg string
}

// String formats the warning as "file:line: message".
func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }

// ErrIncludeDepth is an include chain deeper than maxIncludeDepth (an
// include loop, most likely).
var ErrIncludeDepth = errors.New("includes nested too deep (an include loop?)")

const maxIncludeDepth = 16

// line is one line's tokens; braces are tokens of their own.
type line struct {
	pos   Pos
	words []string
}

// lexer reads files into lines, following includes.
type lexer struct {
	lines    []line
	warnings []Warning
}

func (lx *lexer) warn(p Pos, format string, args ...any) {
	lx.warnings = append(lx.warnings, Warning{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// file reads path and appends its lines.
func (lx *lexer) file(path string, depth int, from Pos) error {
	if depth > maxIncludeDepth {
		return &Error{Pos: from, Msg: ErrIncludeDepth.Error()}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if depth == 0 {
			return err
		}
		return &Error{Pos: from, Msg: fmt.Sprintf("include: %v", err)}
	}
	for i, text := range strings.Split(string(data), "\n") {
		p := Pos{File: path, Line: i + 1}
		words, err := splitLine(text)
		if err != nil {
			return &Error{Pos: p, Msg: err.Error()}
		}
		if len(words) == 0 {
			continue
		}
		switch {
		case words[0] == "include":
			if err := lx.include(path, words, depth, p); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(words[0], "$"), strings.HasPrefix(words[0], "@"), strings.HasPrefix(words[0], "~SEQ"):
			lx.warn(p, "%q: parameter substitution, conditional lines and sequences are not supported by xlvs, line ignored", words[0])
			continue
		}
		lx.lines = append(lx.lines, line{pos: p, words: words})
	}
	return nil
}

// include expands `include <glob>`, relative to the including file's
// directory, in sorted order as glob(3) returns them.
func (lx *lexer) include(from string, words []string, depth int, p Pos) error {
	if len(words) != 2 {
		return &Error{Pos: p, Msg: "include needs exactly one file name or pattern"}
	}
	pat := words[1]
	if !filepath.IsAbs(pat) {
		pat = filepath.Join(filepath.Dir(from), pat)
	}
	matches, err := filepath.Glob(pat)
	if err != nil {
		return &Error{Pos: p, Msg: fmt.Sprintf("include %s: %v", words[1], err)}
	}
	if len(matches) == 0 {
		if !strings.ContainsAny(words[1], "*?[") {
			return &Error{Pos: p, Msg: fmt.Sprintf("include %s: no such file", words[1])}
		}
		lx.warn(p, "include %s: no file matches", words[1])
	}
	for _, m := range matches {
		if err := lx.file(m, depth+1, p); err != nil {
			return err
		}
	}
	return nil
}

// splitLine splits one line into words: whitespace separates, '#' and '!'
// outside quotes start a comment, "..." and '...' quote (C escapes inside),
// '{' and '}' are words of their own.
func splitLine(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false // cur holds a word
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '#' || ch == '!':
			flush()
			return words, nil
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v':
			flush()
		case ch == '{' || ch == '}':
			flush()
			words = append(words, string(ch))
		case ch == '"' || ch == '\'':
			end := i + 1
			for end < len(s) && s[end] != ch {
				if s[end] == '\\' && ch == '"' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, fmt.Errorf("unterminated %c quote", ch)
			}
			body := s[i+1 : end]
			if ch == '"' {
				u, err := unescape(body)
				if err != nil {
					return nil, err
				}
				body = u
			}
			cur.WriteString(body)
			in = true
			i = end
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	flush()
	return words, nil
}

// unescape resolves C escapes (\n, \t, \xXX, \nnn, \\, \") in a quoted
// string.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `'`, `\'`) + `"`)
	if err != nil {
		// strconv rejects \' inside "..."; keep it simple and literal.
		u, err = strconv.Unquote(`"` + s + `"`)
	}
	if err != nil {
		return "", fmt.Errorf("bad escape in %q", s)
	}
	return u, nil
}

// node is a statement: its words and, for a block, its children.
type node struct {
	pos      Pos
	words    []string
	block    bool
	children []*node
}

func (n *node) keyword() string { return n.words[0] }
func (n *node) args() []string  { return n.words[1:] }

// buildTree groups lines into statements and blocks. A '{' alone on a
// line opens the block of the statement before it.
func buildTree(lines []line) ([]*node, error) {
	root := &node{block: true}
	stack := []*node{root}
	var last *node // the last statement of the current block
	for _, ln := range lines {
		var words []string
		emit := func() {
			if len(words) > 0 {
				n := &node{pos: ln.pos, words: words}
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
				last = n
				words = nil
			}
		}
		for _, w := range ln.words {
			switch w {
			case "{":
				if len(words) > 0 {
					emit()
				} else if last == nil || last.block {
					return nil, &Error{Pos: ln.pos, Msg: "'{' without a keyword before it"}
				}
				last.block = true
				stack = append(stack, last)
				last = nil
			case "}":
				emit()
				if len(stack) == 1 {
					return nil, &Error{Pos: ln.pos, Msg: "'}' without a matching '{'"}
				}
				last = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			default:
				words = append(words, w)
			}
		}
		emit()
	}
	if len(stack) > 1 {
		open := stack[len(stack)-1]
		return nil, &Error{Pos: open.pos, Msg: fmt.Sprintf("block %s is not closed (missing '}')", open.keyword())}
	}
	return root.children, nil
}
