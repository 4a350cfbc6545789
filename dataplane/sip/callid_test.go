package sip

import (
	"bytes"
	"strings"
	"testing"
)

const invite = "INVITE sip:bob@example.com SIP/2.0\r\n"

func TestCallID(t *testing.T) {
	long := strings.Repeat("a", MaxCallIDLen)
	cases := []struct {
		name, msg, want string
	}{
		{"full form", invite + "Via: SIP/2.0/UDP 198.18.0.2\r\nCall-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 1 INVITE\r\n\r\n", "a84b4c76e66710@pc33.example.com"},
		{"compact form", invite + "i: f81d4fae-7dec-11d0\r\n\r\n", "f81d4fae-7dec-11d0"},
		{"compact upper case", invite + "I: abc\r\n", "abc"},
		{"name case-insensitive", invite + "cAlL-iD: xyz\r\n", "xyz"},
		{"no space around colon", invite + "Call-ID:xyz\r\n", "xyz"},
		{"tabs around colon", invite + "Call-ID\t:\t xyz\r\n", "xyz"},
		{"LF line ends (RFC 2543)", "INVITE sip:b SIP/2.0\nCall-ID: lf-only\n\n", "lf-only"},
		{"CR line ends", "INVITE sip:b SIP/2.0\rCall-ID: cr-only\r", "cr-only"},
		{"continuation before the value", invite + "Call-ID:\r\n   folded\r\n", "folded"},
		{"continuation before the colon", invite + "Call-ID\r\n :x1\r\n", "x1"},
		{"word characters", invite + "Call-ID: a-.!%*_+`'~()<>:\\\"/[]?{}z\r\n", "a-.!%*_+`'~()<>:\\\"/[]?{}z"},
		{"value ends at a blank", invite + "Call-ID: abc def\r\n", ""},
		{"at and host", invite + "Call-ID: 1-2@example.com\r\n", "1-2@example.com"},
		{"longest", invite + "Call-ID: " + long + "\r\n", long},
		{"first of two", invite + "Call-ID: one\r\ni: two\r\n", "one"},
		{"a line break after the colon ends the search", invite + "Call-ID: \r\nCall-ID: second\r\n", ""},
		{"a non-word value is skipped", invite + "Call-ID: @@\r\ni: next\r\n", "next"},
		{"ISO 8859-1 letters are word characters", invite + "Call-ID: caf\xe9\r\n", "caf\xe9"},
		// Refusals, as the kernel refuses them.
		{"none", invite + "Via: x\r\n\r\n", ""},
		{"empty message", "", ""},
		{"start line is no header", "Call-ID: x\r\n", ""},
		{"continuation line is no header", invite + "Subject: a\r\n Call-ID: x\r\n", ""},
		{"too long", invite + "Call-ID: " + long + "b\r\n", ""},
		{"ends the datagram", invite + "Call-ID: abc", ""},
		{"followed by a blank", invite + "Call-ID: abc \r\n", ""},
		{"at without host", invite + "Call-ID: abc@\r\n", ""},
		{"at without host, then another", invite + "Call-ID: abc@\r\nCall-ID: def\r\n", "def"},
		{"compact form followed by a letter", invite + "In-Reply-To: x\r\n", ""},
		{"compact form followed by ISO 8859-1 letter", invite + "i\xe9: x\r\n", ""},
		{"name then no colon ends the search", invite + "Call-IDx: a\r\nCall-ID: b\r\n", ""},
		{"compact name then no colon ends the search", invite + "i-x: a\r\nCall-ID: b\r\n", ""},
		{"line break in the name's blanks", invite + "Call-ID \r\nCall-ID: b\r\n", ""},
		{"nothing after the colon", invite + "Call-ID:", ""},
		{"a CR inside the name is not a dash", invite + "Call\rId: x\r\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CallID([]byte(c.msg))
			if string(got) != c.want || (c.want == "" && got != nil) {
				t.Errorf("CallID(%q) = %q, want %q", c.msg, got, c.want)
			}
		})
	}
}

func TestCallIDAllocatesNothing(t *testing.T) {
	msg := []byte(invite + "Via: SIP/2.0/UDP 198.18.0.2\r\ni: abc@host\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() { _ = CallID(msg) }); n != 0 {
		t.Errorf("CallID allocates %.1f times, want 0", n)
	}
}

// FuzzCallID checks that any input is handled within bounds and that what
// comes back is a Call-ID the kernel would keep: a sub-slice of the input,
// at most MaxCallIDLen bytes of word characters (with at most one "@"
// between two words), followed by CR or LF. A message built around a
// generated value returns exactly the value when it is a word.
func FuzzCallID(f *testing.F) {
	f.Add([]byte(invite+"Call-ID: abc@def\r\n\r\n"), []byte("abc"))
	f.Add([]byte(invite+"i:\r\n\tx\r\n"), []byte("x@y"))
	f.Add([]byte("\r\n\r\n\r\ni"), []byte(""))
	f.Fuzz(func(t *testing.T, msg, value []byte) {
		got := CallID(msg)
		if got != nil {
			checkKept(t, msg, got)
		}
		built := append([]byte(invite+"Call-ID: "), value...)
		built = append(built, "\r\n\r\n"...)
		got = CallID(built)
		if len(value) > 0 && len(value) <= MaxCallIDLen && wordLen(value) == len(value) && !bytes.Contains(value, []byte("\r\n")) {
			if !bytes.Equal(got, value) {
				t.Fatalf("CallID of a message with the word %q = %q", value, got)
			}
		}
		if got != nil {
			checkKept(t, built, got)
		}
	})
}

func checkKept(t *testing.T, msg, got []byte) {
	t.Helper()
	off := -1
	for i := 0; i+len(got) <= len(msg); i++ {
		if &msg[i] == &got[0] {
			off = i
			break
		}
	}
	if off < 0 || len(got) == 0 || len(got) > MaxCallIDLen {
		t.Fatalf("CallID(%q) = %q: not a non-empty sub-slice of at most %d bytes", msg, got, MaxCallIDLen)
	}
	if end := off + len(got); end >= len(msg) || (msg[end] != '\r' && msg[end] != '\n') {
		t.Fatalf("CallID(%q) = %q: not followed by a line break", msg, got)
	}
	w := wordLen(got)
	if w != len(got) && (got[w] != '@' || w == 0 || wordLen(got[w+1:]) != len(got)-w-1 || w+1 == len(got)) {
		t.Fatalf("CallID(%q) = %q: not word[@word]", msg, got)
	}
}
