package ipvsadm

import (
	"bufio"
	"strings"
	"syscall"

	"github.com/xlvs/xlvs/ctrl/api"
)

// list runs -L: connections, one service, timeouts or everything.
func (r *run) list(cmd *Command) (int, bool) {
	if !r.connect() {
		return ExitFail, true
	}
	switch {
	case cmd.Opts.Has(OptConnection):
		resp, ok := r.do(&api.Request{Op: api.OpListConns})
		if !ok {
			return ExitList, true
		}
		ListConns(r.out, resp.Conns, cmd.Format, r.names)
	case cmd.HasService():
		resp, ok := r.do(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: cmd.Service.Key}})
		if !ok {
			return ExitList, true
		}
		if len(resp.Services) == 0 {
			r.errorf("%s", ipvsStrerror(fnGetService, syscall.ESRCH))
			return ExitList, true
		}
		ListService(r.out, resp.Services[0], cmd.Format, r.names)
	case cmd.Opts.Has(OptTimeout):
		resp, ok := r.do(&api.Request{Op: api.OpGetTimeouts})
		if !ok {
			return ExitList, true
		}
		var t api.Timeouts
		if resp.Timeouts != nil {
			t = *resp.Timeouts
		}
		ListTimeouts(r.out, t)
	default:
		resp, ok := r.do(&api.Request{Op: api.OpGetInfo})
		if !ok {
			return ExitList, true
		}
		var info api.Info
		if resp.Info != nil {
			info = *resp.Info
		}
		writeHeader(r.out, info)
		if resp, ok = r.do(&api.Request{Op: api.OpListService}); !ok {
			return ExitList, true
		}
		listServices(r.out, resp.Services, cmd.Format, r.names)
	}
	return ExitOK, false
}

// save runs -S.
func (r *run) save(cmd *Command) (int, bool) {
	if !r.connect() {
		return ExitFail, true
	}
	resp, ok := r.do(&api.Request{Op: api.OpListService})
	if !ok {
		return ExitList, true
	}
	Save(r.out, resp.Services, cmd.Format&FmtNumeric != 0, r.names)
	return ExitOK, false
}

// request builds the request of a command that changes the table.
func request(cmd *Command) *api.Request {
	key := &api.Service{Key: cmd.Service.Key}
	switch cmd.Cmd {
	case CmdAddService, CmdEditService:
		svc := cmd.Service
		op := api.OpAddService
		if cmd.Cmd == CmdEditService {
			op = api.OpEditService
		}
		return &api.Request{Op: op, Service: &svc}
	case CmdDelService:
		return &api.Request{Op: api.OpDelService, Service: key}
	case CmdZero:
		if !cmd.HasService() {
			return &api.Request{Op: api.OpZero}
		}
		return &api.Request{Op: api.OpZero, Service: key}
	case CmdAddServer, CmdEditServer, CmdDelServer:
		d := cmd.Dest
		op := map[Cmd]api.Op{CmdAddServer: api.OpAddDest, CmdEditServer: api.OpEditDest, CmdDelServer: api.OpDelDest}[cmd.Cmd]
		return &api.Request{Op: op, Service: key, Dest: &d}
	case CmdSetTimeouts:
		t := cmd.Timeouts
		return &api.Request{Op: api.OpSetTimeouts, Timeouts: &t}
	}
	return &api.Request{Op: api.OpFlush}
}

// set runs a command that changes the table; a refusal prints its
// ipvs_strerror text and returns 255, and -R goes on.
func (r *run) set(cmd *Command) (int, bool) {
	if !r.connect() {
		return ExitFail, true
	}
	if _, ok := r.do(request(cmd)); !ok {
		return ExitRefused, false
	}
	return ExitOK, false
}

// restore runs -R: each line of stdin as a command line. Parser errors end
// the run; refused commands do not, and the status is the last line's.
func (r *run) restore() (int, bool) {
	if r.env.Stdin == nil {
		return ExitOK, false
	}
	result := ExitOK
	br := bufio.NewReader(r.env.Stdin)
	for {
		line, err := br.ReadString('\n')
		if toks := restoreTokens(line); len(toks) > 0 {
			code, exit := r.process(toks, true)
			if exit {
				return code, true
			}
			result = code
		}
		if err != nil {
			return result, false
		}
	}
}

// restoreTokens splits a -R line as config_stream_read does: on blanks,
// tabs and CRs, dropping every word "ipvsadm". There are no comments.
func restoreTokens(line string) []string {
	f := strings.FieldsFunc(line, func(c rune) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' })
	out := f[:0]
	for _, t := range f {
		if t != "ipvsadm" {
			out = append(out, t)
		}
	}
	return out
}
