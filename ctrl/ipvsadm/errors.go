package ipvsadm

import (
	"fmt"
)

// Exit codes of ipvsadm.
const (
	ExitOK      = 0
	ExitList    = 1   // list-time failure: exit(1)
	ExitFail    = 2   // fail(2, ...): validation errors, IPVS unavailable
	ExitRefused = 255 // popt errors, "Try ...", refused set commands
)

// errKind tells how a parse error ends a -R run.
type errKind uint8

const (
	kindFail    errKind = iota // fail(2, ...): exits at once
	kindTryHelp                // tryhelp_exit(-1): exits at once with 255
	kindPopt                   // popt error: the line returns -1, -R goes on
)

// ParseError is a command line that ipvsadm rejects before talking to the
// kernel. Error is the message exactly as ipvsadm prints it (without the
// final newline); Code is the exit status.
type ParseError struct {
	msg  string
	kind errKind
}

// Error returns the message.
func (e *ParseError) Error() string { return e.msg }

// Code returns the exit status: 2 for validation errors, 255 for popt
// errors and "Try ... --help".
func (e *ParseError) Code() int {
	if e.kind == kindFail {
		return ExitFail
	}
	return ExitRefused
}

// failf is fail(2, format, args...).
func failf(format string, args ...any) *ParseError {
	return &ParseError{msg: fmt.Sprintf(format, args...), kind: kindFail}
}

// tryHelp is tryhelp_exit(prog, -1).
func tryHelp(prog string) *ParseError {
	return &ParseError{msg: fmt.Sprintf("Try `%s -h' or '%s --help' for more information.", prog, prog), kind: kindTryHelp}
}

// poptError is the "%s: %s" report of a popt error after the command.
func poptError(bad string, e poptErr) *ParseError {
	return &ParseError{msg: bad + ": " + e.String(), kind: kindPopt}
}
