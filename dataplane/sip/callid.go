package sip

// MaxCallIDLen is the longest Call-ID a persistence engine keeps, IPVS's
// IP_VS_PEDATA_MAXLEN: a longer one is refused ("too large is useless").
const MaxCallIDLen = 255

// CallID returns the value of the first usable Call-ID header (full form
// "Call-ID", compact form "i", names compared case-insensitively) of the
// SIP message msg, a UDP payload, or nil when it has none. It follows the
// kernel's parser, quirks included:
//
//   - A header is only recognised at the start of a line (after CR, LF or
//     CRLF), so the request or status line never matches; lines starting
//     with a space or tab are continuations, not headers.
//   - The compact form must be followed by a non-letter ("i:" but not
//     "in-reply-to:").
//   - Spaces, tabs and continuation lines (a line break followed by a
//     space or tab) may surround the colon. A matched name followed by
//     anything else than the colon ends the search: the message has no
//     Call-ID for IPVS ("Call-IDx: a" hides a later "Call-ID: b").
//   - The value is an RFC 3261 word, optionally followed by "@" and a
//     second word; a header whose value does not start with a word is
//     skipped and the search goes on after it.
//   - The value must be at most [MaxCallIDLen] bytes and be followed by CR
//     or LF: a Call-ID that ends the datagram is refused.
func CallID(msg []byte) []byte {
	off := 0
	for {
		start, n, r := header(msg, off)
		switch r {
		case found:
			if n > MaxCallIDLen || start+n == len(msg) {
				return nil
			}
			if c := msg[start+n]; c != '\r' && c != '\n' {
				return nil
			}
			return msg[start : start+n]
		case empty:
			// get_callid goes on from the value's offset added to where
			// the previous search began, as the kernel does.
			off += start
		default:
			return nil
		}
	}
}

// Results of header.
const (
	notFound = iota
	found
	empty // a Call-ID header whose value is not a word
)

// header is ct_sip_get_header for the Call-ID header: it looks for the
// header in the lines of msg after offset off and returns the value's
// offset and length.
func header(msg []byte, off int) (start, n, result int) {
	limit := len(msg)
	for p := off; p < limit; p++ {
		// Find the beginning of a line.
		if msg[p] != '\r' && msg[p] != '\n' {
			continue
		}
		if p++; p >= limit {
			break
		}
		if msg[p-1] == '\r' && msg[p] == '\n' {
			if p++; p >= limit {
				break
			}
		}
		if msg[p] == ' ' || msg[p] == '\t' {
			continue // a continuation line
		}
		switch {
		case limit-p >= len(fullName) && equalFold(msg[p:p+len(fullName)], fullName):
			p += len(fullName)
		case limit-p >= len(compactName)+1 && equalFold(msg[p:p+len(compactName)], compactName) &&
			!isAlpha(msg[p+len(compactName)]):
			p += len(compactName)
		default:
			continue
		}
		var ok bool
		if p, ok = skipWhitespace(msg, p); !ok || p >= limit || msg[p] != ':' {
			break
		}
		if p++; p >= limit {
			break
		}
		if p, ok = skipWhitespace(msg, p); !ok {
			break
		}
		n := callIDLen(msg[p:])
		if n == 0 {
			return p, 0, empty
		}
		return p, n, found
	}
	return 0, 0, notFound
}

// The header's names as nf_conntrack_sip spells them.
const (
	fullName    = "Call-Id"
	compactName = "i"
)

// skipWhitespace is sip_skip_whitespace: it skips spaces and tabs from p;
// at a line break it follows one continuation line (a break followed by
// blanks) and stops after its blanks. It reports false when a line break
// is not a continuation. The position returned may be len(msg).
func skipWhitespace(msg []byte, p int) (int, bool) {
	for ; p < len(msg); p++ {
		c := msg[p]
		if c == ' ' || c == '\t' {
			continue
		}
		if c != '\r' && c != '\n' {
			return p, true
		}
		return followContinuation(msg, p)
	}
	return p, true
}

// followContinuation is sip_follow_continuation: from the line break at
// p, it returns the position after the blanks that start a continuation
// line, or false when the next line is not one.
func followContinuation(msg []byte, p int) (int, bool) {
	if p++; p >= len(msg) {
		return 0, false
	}
	if msg[p-1] == '\r' && msg[p] == '\n' {
		if p++; p >= len(msg) {
			return 0, false
		}
	}
	if msg[p] != ' ' && msg[p] != '\t' {
		return 0, false
	}
	for ; p < len(msg); p++ {
		if msg[p] != ' ' && msg[p] != '\t' {
			break
		}
	}
	return p, true
}

// callIDLen is nf_conntrack_sip's callid_len: a word, then optionally "@"
// and another word (both required once the "@" is there).
func callIDLen(v []byte) int {
	n := wordLen(v)
	if n == 0 || n == len(v) || v[n] != '@' {
		return n
	}
	d := wordLen(v[n+1:])
	if d == 0 {
		return 0
	}
	return n + 1 + d
}

// wordLen is the length of the RFC 3261 word at the start of v.
func wordLen(v []byte) int {
	n := 0
	for n < len(v) && isWordChar(v[n]) {
		n++
	}
	return n
}

// isWordChar is iswordc: alphanumerics and -.!%*_+`'~()<>:\"/[]?{}.
func isWordChar(c byte) bool {
	switch {
	case isAlpha(c), c >= '0' && c <= '9':
		return true
	case c == '!', c == '"', c == '%', c >= '(' && c <= '+', c == ':', c == '<', c == '>',
		c == '?', c >= '[' && c <= ']', c == '_', c == '`', c == '{', c == '}', c == '~',
		c >= '-' && c <= '/', c == '\'':
		return true
	}
	return false
}

// isAlpha is the kernel's isalpha (lib/ctype.c): ASCII letters and the
// ISO 8859-1 letters 0xc0-0xff but for the signs × (0xd7) and ÷ (0xf7).
func isAlpha(c byte) bool {
	if c >= 0xc0 {
		return c != 0xd7 && c != 0xf7
	}
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// equalFold compares b with the ASCII name ignoring the case of letters
// (strncasecmp).
func equalFold(b []byte, name string) bool {
	for i := 0; i < len(name); i++ {
		if lower(b[i]) != lower(name[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
