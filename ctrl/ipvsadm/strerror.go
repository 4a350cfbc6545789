package ipvsadm

import (
	"errors"
	"strconv"
	"syscall"

	"github.com/xlvs/xlvs/ctrl/api"
)

// ipvsFunc names the libipvs function a request stands for; ipvs_strerror
// picks its message by (function, errno).
type ipvsFunc uint8

const (
	fnAny ipvsFunc = iota
	fnAddService
	fnUpdateService
	fnDelService
	fnZeroService
	fnAddDest
	fnUpdateDest
	fnDelDest
	fnStartDaemon
	fnStopDaemon
	fnGetServices
	fnGetDests
	fnGetService
)

// funcOf maps a request to its libipvs function.
func funcOf(op api.Op) ipvsFunc {
	switch op {
	case api.OpAddService:
		return fnAddService
	case api.OpEditService:
		return fnUpdateService
	case api.OpDelService:
		return fnDelService
	case api.OpZero:
		return fnZeroService
	case api.OpAddDest:
		return fnAddDest
	case api.OpEditDest:
		return fnUpdateDest
	case api.OpDelDest:
		return fnDelDest
	case api.OpListService:
		return fnGetServices
	case api.OpGetService:
		return fnGetService
	case api.OpStartDaemon:
		return fnStartDaemon
	case api.OpStopDaemon:
		return fnStopDaemon
	}
	return fnAny
}

// strerrorTable is ipvs_strerror()'s table in libipvs.c, verbatim. Entries
// with fnAny match every function; the first match wins.
var strerrorTable = []struct {
	fn   ipvsFunc
	code syscall.Errno
	msg  string
}{
	{fnAddService, syscall.EEXIST, "Service already exists"},
	{fnAddService, syscall.ENOENT, "Scheduler or persistence engine not found"},
	{fnUpdateService, syscall.ESRCH, "No such service"},
	{fnUpdateService, syscall.ENOENT, "Scheduler or persistence engine not found"},
	{fnDelService, syscall.ESRCH, "No such service"},
	{fnZeroService, syscall.ESRCH, "No such service"},
	{fnAddDest, syscall.ESRCH, "Service not defined"},
	{fnAddDest, syscall.EEXIST, "Destination already exists"},
	{fnUpdateDest, syscall.ESRCH, "Service not defined"},
	{fnUpdateDest, syscall.ENOENT, "No such destination"},
	{fnDelDest, syscall.ESRCH, "Service not defined"},
	{fnDelDest, syscall.ENOENT, "No such destination"},
	{fnStartDaemon, syscall.EEXIST, "Daemon has already run"},
	{fnStopDaemon, syscall.ESRCH, "No daemon is running"},
	{fnGetServices, syscall.ESRCH, "No such service"},
	{fnGetDests, syscall.ESRCH, "No such service"},
	{fnGetService, syscall.ESRCH, "No such service"},
	{fnAny, syscall.EPERM, "Permission denied (you must be root)"},
	{fnAny, syscall.EINVAL, "Invalid operation.  Possibly wrong module version, address not unicast, ..."},
	{fnAny, syscall.ENOPROTOOPT, "Protocol not available"},
	{fnAny, syscall.ENOMEM, "Memory allocation problem"},
	{fnAny, syscall.EOPNOTSUPP, "Operation not supported with IPv6"},
	{fnAny, syscall.EAFNOSUPPORT, "Operation not supported with specified address family"},
	{fnAny, syscall.EMSGSIZE, "Module is wrong version"},
}

// ipvsStrerror is ipvs_strerror(): the message for errno code raised by fn.
func ipvsStrerror(fn ipvsFunc, code syscall.Errno) string {
	for _, e := range strerrorTable {
		if (e.fn == fn || e.fn == fnAny) && e.code == code {
			return e.msg
		}
	}
	return strerror(code)
}

// strerror is glibc's strerror(): Go's errno texts are glibc's with the
// first letter lowered.
func strerror(code syscall.Errno) string {
	if code == 0 {
		return "Success"
	}
	s := code.Error()
	if s == "" || s == "errno "+strconv.Itoa(int(code)) {
		return "Unknown error " + strconv.Itoa(int(code))
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	return s
}

// requestErrorText is what ipvsadm prints when a request for fn fails with
// err: ipvs_strerror's text for the errno it carries. A feature xlvs does
// not have (CodeUnsupported with a message) prints that message instead of
// IPVS's "Operation not supported with IPv6"; an error without a code (a
// transport failure) prints its own text.
func requestErrorText(fn ipvsFunc, err error) string {
	var ae *api.Error
	if !errors.As(err, &ae) {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return ipvsStrerror(fn, errno)
		}
		return err.Error()
	}
	if ae.C == api.CodeUnsupported && ae.Msg != "" {
		return ae.Msg
	}
	if ae.C == api.CodeOK {
		return ae.Msg
	}
	return ipvsStrerror(fn, syscall.Errno(ae.C))
}
