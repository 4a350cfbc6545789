package engine

import (
	"errors"
	"fmt"
)

// DefaultConnReuse returns the kernel's defaults: conn_reuse_mode 1,
// expire_nodest_conn 0.
func DefaultConnReuse() ConnReuse { return ConnReuse{Mode: 1} }

// ErrConnReuseMode is returned for a conn_reuse_mode outside 0..3.
var ErrConnReuseMode = errors.New("conn_reuse_mode must be 0, 1, 2 or 3")

// reuseNodest is the expire_nodest_conn bit of the packed setting, whose
// low byte is conn_reuse_mode.
const reuseNodest = 1 << 8

func (c ConnReuse) pack() uint32 {
	v := uint32(c.Mode)
	if c.ExpireNodestConn {
		v |= reuseNodest
	}
	return v
}

// SetConnReuse sets conn_reuse_mode and expire_nodest_conn for every
// worker; packets see the change from then on.
func (e *Engine) SetConnReuse(c ConnReuse) error {
	if c.Mode < 0 || c.Mode > 3 {
		return fmt.Errorf("%w: %d", ErrConnReuseMode, c.Mode)
	}
	e.reuse.Store(c.pack())
	return nil
}

// ConnReuse returns the settings in force.
func (e *Engine) ConnReuse() ConnReuse {
	v := e.reuse.Load()
	return ConnReuse{Mode: int(v & 0xff), ExpireNodestConn: v&reuseNodest != 0}
}
