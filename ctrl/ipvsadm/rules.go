package ipvsadm

import (
	"errors"

	"github.com/xlvs/xlvs/ctrl/api"
)

// ErrNotARule is returned by [RuleRequest] for a command line that is valid
// ipvsadm but does not change the table (-L, -S, -h, ...): a rules file
// holds only what -R would apply.
var ErrNotARule = errors.New("not a rule: only commands that change the table belong in a rules file")

// RuleRequest turns one line of an ipvsadm -S / -R rules stream into the
// request xlvsd executes for it, exactly as ipvsadm -R does: the line is
// split on blanks, tabs and CRs, every word "ipvsadm" is dropped, and the
// rest is parsed like a command line (prog names the program in messages,
// names resolves host and service names; nil means the system's).
//
// A blank line returns (nil, nil). A parse error is a *[ParseError] whose
// message is ipvsadm's; -R inside a stream gives ipvsadm's "Try ..." text.
// A command that does not change the table returns an error wrapping
// [ErrNotARule].
func RuleRequest(prog, line string, names Names) (*api.Request, error) {
	toks := restoreTokens(line)
	if len(toks) == 0 {
		return nil, nil
	}
	if names == nil {
		names = SystemNames()
	}
	cmd, err := ParseWith(prog, toks, names)
	if err != nil {
		return nil, err
	}
	switch cmd.Cmd {
	case CmdAddService, CmdEditService, CmdDelService, CmdFlush,
		CmdAddServer, CmdEditServer, CmdDelServer, CmdSetTimeouts, CmdZero:
		return request(cmd), nil
	case CmdRestore:
		return nil, tryHelp(prog)
	}
	return nil, &notARuleError{cmd: cmd.Cmd}
}

type notARuleError struct{ cmd Cmd }

func (e *notARuleError) Error() string {
	return "the " + e.cmd.String() + " command is not a rule: only commands that change the table belong in a rules file"
}

func (e *notARuleError) Unwrap() error { return ErrNotARule }

// RequestErrorText returns what ipvsadm prints when xlvsd refuses req with
// err: ipvs_strerror's text for the operation and the errno err carries
// (an *api.Error), the message of a feature xlvs does not have, or err's
// own text for an error without a code.
func RequestErrorText(req *api.Request, err error) string {
	var op api.Op
	if req != nil {
		op = req.Op
	}
	return requestErrorText(funcOf(op), err)
}
