package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/xlvs/xlvs/dataplane/engine"
)

// reuseOptions are IPVS's conn_reuse_mode and expire_nodest_conn sysctls
// as flags (engine/reuse.go says what they do).
type reuseOptions struct {
	connReuseMode    int
	expireNodestConn bool
}

func (o *reuseOptions) addFlags(fs *pflag.FlagSet) {
	def := engine.DefaultConnReuse()
	fs.IntVar(&o.connReuseMode, "conn-reuse-mode", def.Mode,
		"IPVS conn_reuse_mode: 0 never; 1 a SYN on a TIME_WAIT/CLOSE connection (SCTP INIT on CLOSED) expires it and is scheduled anew; 2 or 3 also on FIN_WAIT of DR/TUN connections")
	fs.BoolVar(&o.expireNodestConn, "expire-nodest-conn", def.ExpireNodestConn,
		"IPVS expire_nodest_conn: a packet of a connection whose real server was deleted expires it and is scheduled anew (default: dropped until the connection times out)")
}

// check validates --conn-reuse-mode.
func (o *reuseOptions) check() error {
	if o.connReuseMode < 0 || o.connReuseMode > 3 {
		return fmt.Errorf("invalid --conn-reuse-mode %d: must be 0..3", o.connReuseMode)
	}
	return nil
}

// config returns the engine's setting.
func (o *reuseOptions) config() engine.ConnReuse {
	return engine.ConnReuse{Mode: o.connReuseMode, ExpireNodestConn: o.expireNodestConn}
}
