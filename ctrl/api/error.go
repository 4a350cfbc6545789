package api

import (
	"errors"
	"syscall"
)

// Code is the errno that Linux IPVS returns for the same failure, so that
// clients can print ipvsadm's text for it (ipvs_strerror).
type Code int

// Codes used by xlvsd.
const (
	CodeOK          Code = 0
	CodeExists      Code = Code(syscall.EEXIST) // service/destination already exists
	CodeNotFound    Code = Code(syscall.ENOENT) // scheduler, PE or destination not found
	CodeNoService   Code = Code(syscall.ESRCH)  // no such service
	CodeInvalid     Code = Code(syscall.EINVAL) // invalid argument
	CodeRange       Code = Code(syscall.ERANGE) // numerical result out of range
	CodeNoMem       Code = Code(syscall.ENOMEM)
	CodeUnsupported Code = Code(syscall.EOPNOTSUPP) // known to ipvsadm, not done by xlvs
	CodeAFNoSupport Code = Code(syscall.EAFNOSUPPORT)
	CodeNoDevice    Code = Code(syscall.ENODEV)
	CodePerm        Code = Code(syscall.EPERM)
)

// Error is a failed request: an errno-like code and a human message.
// It travels over the socket and implements error on both sides.
type Error struct {
	C   Code   `json:"code"`
	Msg string `json:"msg"`
}

// NewError returns an *Error with code c and message msg.
func NewError(c Code, msg string) *Error { return &Error{C: c, Msg: msg} }

// Error implements error.
func (e *Error) Error() string { return e.Msg }

// Code returns the errno-like code.
func (e *Error) Code() Code { return e.C }

// Is lets errors.Is match on the code: errors.Is(err, &Error{C: CodeExists}).
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.C == e.C
	}
	return false
}

// CodeOf returns the code of err, or CodeInvalid when err carries none, or
// CodeOK for nil.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.C
	}
	return CodeInvalid
}
