package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/model"
)

// good is a rules file as xlvsadm -S -n writes it (sorted as ipvsadm
// sorts), so loading then saving must give it back byte for byte.
const good = `-A -t 198.18.0.100:80 -s rr
-a -t 198.18.0.100:80 -r 198.18.0.11:80 -g -w 1
-a -t 198.18.0.100:80 -r 198.18.0.12:80 -g -w 2
-A -t 198.18.0.100:443 -s wlc
-a -t 198.18.0.100:443 -r 198.18.0.13:443 -g -w 0
-A -u 198.18.0.100:53 -s sh -b sh-port
-a -u 198.18.0.100:53 -r 198.18.0.11:53 -g -w 1
-A -t [fd00:18::100]:80 -s mh -b mh-fallback
-a -t [fd00:18::100]:80 -r [fd00:18::11]:80 -g -w 3
`

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func saveText(t *testing.T, h Handler) string {
	t.Helper()
	b, err := Text(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadGoodFile(t *testing.T) {
	// Comments (as ipvsadm-restore strips them), blank lines, CRLF, the
	// word ipvsadm and a last line without a newline are all accepted.
	text := "# saved by hand\n\n" + strings.ReplaceAll(good, "-A -t 198.18.0.100:443", "ipvsadm -A -t 198.18.0.100:443")
	text = strings.Replace(text, "\n", "\r\n", 3)
	text = strings.TrimSuffix(text, "\n")
	m := model.New(model.Config{})
	n, err := Load(writeTemp(t, "rules", text), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Errorf("Load applied %d rules, want 9", n)
	}
	if got := saveText(t, m); got != good {
		t.Errorf("table after Load, as -S -n:\n%s\nwant:\n%s", got, good)
	}
	// The listing shows what the file says.
	resp := m.Do(&api.Request{Op: api.OpListService})
	if len(resp.Services) != 4 || resp.Services[0].Scheduler != "rr" || len(resp.Services[0].Dests) != 2 {
		t.Errorf("services after Load: %+v", resp.Services)
	}
}

func TestLoadBadFiles(t *testing.T) {
	cases := []struct {
		name, text, want string
		applied          int // services in the table afterwards
	}{
		{"parse error stops before anything is applied",
			"-A -t 198.18.0.100:80 -s rr\n-a -t 198.18.0.100:80 -r 198.18.0.11 -g\n-A -t 198.18.0.100:81 -s rr -p x\n",
			":3: invalid timeout value `x' specified", 0},
		{"trailing comment",
			"-A -t 198.18.0.100:80 -s rr # web\n", ":1: unexpected argument #", 0},
		{"comment not in column 1",
			"-A -t 198.18.0.100:80 -s rr\n  # indented\n", ":2: Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 0},
		{"not a rule",
			"-A -t 198.18.0.100:80 -s rr\n-L -n\n", ":2: the list command is not a rule: only commands that change the table belong in a rules file", 0},
		{"duplicate service refused by the model",
			"-A -t 198.18.0.100:80 -s rr\n\n-A -t 198.18.0.100:80 -s wlc\n", ":3: Service already exists", 1},
		{"unknown scheduler",
			"-A -t 198.18.0.100:80 -s bogus\n", ":1: Scheduler or persistence engine not found", 0},
		{"real server of a missing service",
			"-a -t 198.18.0.100:80 -r 198.18.0.11 -g\n", ":1: Service not defined", 0},
		{"request xlvs refuses",
			"-A -t 198.18.0.100:80 -s rr\n-A -u 198.18.0.100:53 -s rr --toa\n", ":2: TOA carries the client address in a TCP option: it needs a TCP service", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, "rules", c.text)
			m := model.New(model.Config{})
			_, err := Load(path, m, nil)
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			if want := path + c.want; err.Error() != want {
				t.Errorf("error %q\nwant  %q", err, want)
			}
			var le *LineError
			if !errors.As(err, &le) || le.File != path {
				t.Errorf("error %T is not a *LineError for %s", err, path)
			}
			if got := len(m.Do(&api.Request{Op: api.OpListService}).Services); got != c.applied {
				t.Errorf("%d services in the table, want %d", got, c.applied)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none"), model.New(model.Config{}), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestParseErrorIsParseError(t *testing.T) {
	_, err := Parse(strings.NewReader("-A -t 198.18.0.100:0 -s rr\n"), "f", nil)
	var pe *ipvsadm.ParseError
	if !errors.As(err, &pe) || pe.Code() != ipvsadm.ExitFail || err.Error() != "f:1: Zero port specified for non-persistent service" {
		t.Errorf("error %v (%T)", err, err)
	}
	long := "-A -t 198.18.0.100:80 -s " + strings.Repeat("r", maxLineLen)
	if _, err := Parse(strings.NewReader(long), "f", nil); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("a %d-byte line: %v", len(long), err)
	}
}
