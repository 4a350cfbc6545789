package httpapi

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/metrics"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// Config names the sources the API reads for every request. Nil sources
// read as empty.
type Config struct {
	// Services lists the services with their real servers, counters and
	// rates (the model's list-services: what xlvsadm -L --stats/--rate
	// shows).
	Services func() []api.Service
	// Health reports real server health; real servers it does not
	// mention are "unknown".
	Health metrics.HealthSource
	// Counters are the named totals of get-counters.
	Counters func() map[string]uint64
	// Workers returns every worker's counters, worker i at index i
	// (connection table fill and counts by state included).
	Workers func() []engine.Counters
	// Metrics serves GET /metrics; nil: 404.
	Metrics http.Handler
}

// NewHandler returns the API's HTTP handler.
func NewHandler(cfg Config) http.Handler {
	a := &apiHandler{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/services", a.services)
	mux.HandleFunc("/api/v1/services/{proto}/{addr}/{port}", a.service)
	mux.HandleFunc("/api/v1/connections/summary", a.summary)
	mux.HandleFunc("/api/v1/counters", a.counters)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	if cfg.Metrics != nil {
		mux.Handle("/metrics", cfg.Metrics)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such resource: "+r.URL.Path)
	})
	return readOnly(mux)
}

// readOnly answers 405 to every method but GET and HEAD.
func readOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: the API is read-only")
			return
		}
		h.ServeHTTP(w, r)
	})
}

type apiHandler struct {
	cfg Config
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

func (a *apiHandler) list() []api.Service {
	if a.cfg.Services == nil {
		return nil
	}
	return a.cfg.Services()
}

func (a *apiHandler) healthMap() map[healthKey]bool {
	if a.cfg.Health == nil {
		return nil
	}
	hs := a.cfg.Health()
	m := make(map[healthKey]bool, len(hs))
	for _, h := range hs {
		m[healthKey{normKey(h.Service), h.Addr.Unmap(), h.Port}] = h.Healthy
	}
	return m
}

func (a *apiHandler) services(w http.ResponseWriter, _ *http.Request) {
	svcs := a.list()
	health := a.healthMap()
	out := ServiceList{Services: make([]Service, 0, len(svcs))}
	for i := range svcs {
		out.Services = append(out.Services, a.render(&svcs[i], health))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *apiHandler) service(w http.ResponseWriter, r *http.Request) {
	key, msg := parseServicePath(r.PathValue("proto"), r.PathValue("addr"), r.PathValue("port"))
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	svcs := a.list()
	for i := range svcs {
		if normKey(svcs[i].Key) == key {
			writeJSON(w, http.StatusOK, a.render(&svcs[i], a.healthMap()))
			return
		}
	}
	writeError(w, http.StatusNotFound, "no such service: "+serviceID(key))
}

// parseServicePath reads {proto}/{addr}/{port}; msg says what is wrong.
func parseServicePath(proto, addr, port string) (api.ServiceKey, string) {
	var k api.ServiceKey
	switch proto {
	case "tcp":
		k.Protocol = api.ProtoTCP
	case "udp":
		k.Protocol = api.ProtoUDP
	case "sctp":
		k.Protocol = api.ProtoSCTP
	default:
		return k, "invalid protocol " + strconv.Quote(proto) + ": want tcp, udp or sctp"
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return k, "invalid address " + strconv.Quote(addr)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return k, "invalid port " + strconv.Quote(port) + ": want 0..65535"
	}
	k.Addr, k.Port = a.Unmap(), uint16(p)
	return k, ""
}

func (a *apiHandler) render(s *api.Service, health map[healthKey]bool) Service {
	out := Service{
		ID: serviceID(s.Key), Protocol: protoName(s.Key.Protocol), Port: s.Key.Port, FWMark: s.Key.FWMark,
		Scheduler: s.Scheduler, Flags: flagNames(s.Flags), Stats: statsOf(&s.Stats), Rates: ratesOf(&s.Stats),
		RealServers: make([]RealServer, 0, len(s.Dests)),
	}
	if s.Key.FWMark == 0 {
		out.Address = s.Key.Addr.Unmap().String()
	}
	if s.Flags&api.SvcPersistent != 0 {
		out.PersistenceTimeout = s.Timeout
	}
	key := normKey(s.Key)
	for i := range s.Dests {
		d := &s.Dests[i]
		rs := RealServer{
			Address: d.Addr.Unmap().String(), Port: d.Port, Forward: forwardName(d.Method), Weight: d.Weight,
			UpperThreshold: d.UThreshold, LowerThreshold: d.LThreshold,
			ActiveConnections: d.ActiveConns, InactiveConnections: d.InactConns,
			Health: HealthUnknown, Stats: statsOf(&d.Stats), Rates: ratesOf(&d.Stats),
		}
		if up, ok := health[healthKey{key, d.Addr.Unmap(), d.Port}]; ok {
			rs.Health = HealthDown
			if up {
				rs.Health = HealthUp
			}
		}
		out.RealServers = append(out.RealServers, rs)
	}
	return out
}

func (a *apiHandler) workers() []engine.Counters {
	if a.cfg.Workers == nil {
		return nil
	}
	return a.cfg.Workers()
}

func (a *apiHandler) summary(w http.ResponseWriter, _ *http.Request) {
	out := Summary{Workers: []WorkerConnections{}, Services: []ServiceConnections{}, ByState: make(map[string]uint64, conntrack.NumStates)}
	for s := range conntrack.NumStates {
		out.ByState[s.String()] = 0
	}
	for i, c := range a.workers() {
		out.Workers = append(out.Workers, WorkerConnections{Worker: i, Entries: c.Conns, Capacity: c.ConnCapacity})
		out.Entries += c.Conns
		out.Capacity += c.ConnCapacity
		for s, n := range c.ConnStates {
			out.ByState[conntrack.State(s).String()] += n
		}
	}
	svcs := a.list()
	for i := range svcs {
		sc := ServiceConnections{ID: serviceID(svcs[i].Key)}
		for _, d := range svcs[i].Dests {
			sc.Active += uint64(d.ActiveConns)
			sc.Inactive += uint64(d.InactConns)
		}
		out.Services = append(out.Services, sc)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *apiHandler) counters(w http.ResponseWriter, _ *http.Request) {
	out := Counters{Totals: map[string]uint64{}, Workers: []WorkerCounters{}}
	if a.cfg.Counters != nil {
		if t := a.cfg.Counters(); t != nil {
			out.Totals = t
		}
	}
	for i, c := range a.workers() {
		wc := WorkerCounters{
			Worker: i, RxPackets: c.RxPackets, RxBytes: c.RxBytes, TxPackets: c.TxPackets, TxBytes: c.TxBytes,
			HandoffIn: c.HandoffIn, HandoffOut: c.HandoffOut,
			ConnectionsCreated: c.ConnsCreated, ConnectionsExpired: c.ConnsExpired,
			Drops: make(map[string]uint64, verdict.NumReasons),
		}
		for r := verdict.DropReason(1); r < verdict.NumReasons; r++ {
			wc.Drops[r.String()] = c.Drops[r]
		}
		out.Workers = append(out.Workers, wc)
	}
	writeJSON(w, http.StatusOK, out)
}
