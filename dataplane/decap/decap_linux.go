package decap

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/xlvs/xlvs/internal/bpfcounter"
)

// Options configure a decapsulator at [Load].
type Options struct {
	// VIPs are the inner destinations to decapsulate, IPv4 or IPv6.
	VIPs []netip.Addr
	// GUEPort is the UDP destination port of GUE tunnels; 0 decapsulates
	// no GUE.
	GUEPort uint16
	// GRE decapsulates GRE (protocol 47) too.
	GRE bool
}

// configGRE is the GRE bit of the settings' flags (decap.c CONFIG_GRE).
const configGRE = 1

// Decap is a loaded decapsulator program and its maps. Create it with
// [Load] or [Find]; release the file descriptors with [Decap.Close].
type Decap struct {
	objs decapObjects
}

// CounterNames are the names of the counters in the program's order:
// the enum identifiers of decap.c without COUNTER_, lowercase, '_' → '-'.
var CounterNames = bpfcounter.Names(decapCounterCOUNTER_MAX)

// Load removes the memlock rlimit where the kernel still charges BPF
// memory to it, loads the program and its maps and configures them with o.
// Nothing is attached yet.
func Load(o Options) (*Decap, error) {
	if err := checkVIPs(o.VIPs); err != nil {
		return nil, err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("remove memlock rlimit: %w", err)
	}
	d := &Decap{}
	if err := loadDecapObjects(&d.objs, nil); err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("load decapsulator: %+v", verr)
		}
		return nil, fmt.Errorf("load decapsulator: %w", err)
	}
	if err := d.SetVIPs(o.VIPs); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.SetGUEPort(o.GUEPort); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.SetGRE(o.GRE); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close releases the program and maps held by this process. An attached
// decapsulator keeps running: the tc filter holds it.
func (d *Decap) Close() error {
	return d.objs.Close()
}

// ProgramID returns the kernel's ID of the program.
func (d *Decap) ProgramID() (ebpf.ProgramID, error) {
	info, err := d.objs.XlvsDecap.Info()
	if err != nil {
		return 0, fmt.Errorf("program info: %w", err)
	}
	id, ok := info.ID()
	if !ok {
		return 0, errors.New("program info: kernel does not report program IDs")
	}
	return id, nil
}

// checkVIPs validates a VIP set.
func checkVIPs(vips []netip.Addr) error {
	if len(vips) > MaxVIPs {
		return fmt.Errorf("%d VIPs, at most %d: %w", len(vips), MaxVIPs, ErrTooManyVIPs)
	}
	for _, a := range vips {
		if !a.IsValid() || a.IsUnspecified() {
			return fmt.Errorf("%v: %w", a, ErrAddress)
		}
	}
	return nil
}

// vipKey maps an address to its key: IPv6 as is, IPv4 as ::ffff:a.b.c.d
// (netip's As16 does exactly that).
func vipKey(a netip.Addr) decapVipKey {
	return decapVipKey{Addr: a.Unmap().As16()}
}

// SetVIPs makes the set of decapsulated inner destinations equal to vips:
// new addresses are added before stale ones are removed, so an address
// present in both the old and the new set is never missing.
func (d *Decap) SetVIPs(vips []netip.Addr) error {
	if err := checkVIPs(vips); err != nil {
		return err
	}
	want := make(map[decapVipKey]bool, len(vips))
	for _, a := range vips {
		k := vipKey(a)
		want[k] = true
		if err := d.objs.Vips.Update(&k, uint32(0), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("add VIP %v: %w", a, err)
		}
	}
	have, err := d.vipKeys()
	if err != nil {
		return err
	}
	for _, k := range have {
		if want[k] {
			continue
		}
		if err := d.objs.Vips.Delete(&k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("remove VIP %v: %w", keyAddr(k), err)
		}
	}
	return nil
}

// VIPs returns the decapsulated inner destinations, sorted.
func (d *Decap) VIPs() ([]netip.Addr, error) {
	keys, err := d.vipKeys()
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(keys))
	for _, k := range keys {
		out = append(out, keyAddr(k))
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out, nil
}

func keyAddr(k decapVipKey) netip.Addr { return netip.AddrFrom16(k.Addr).Unmap() }

func (d *Decap) vipKeys() ([]decapVipKey, error) {
	var (
		keys []decapVipKey
		k    decapVipKey
		v    uint32
	)
	it := d.objs.Vips.Iterate()
	for it.Next(&k, &v) {
		keys = append(keys, k)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("list VIPs: %w", err)
	}
	return keys, nil
}

// SetGUEPort sets the UDP port GUE packets arrive on; 0 turns GUE off.
func (d *Decap) SetGUEPort(port uint16) error {
	cfg, err := d.config()
	if err == nil {
		cfg.GuePort = port
		err = d.objs.Settings.Update(uint32(0), &cfg, ebpf.UpdateAny)
	}
	if err != nil {
		return fmt.Errorf("set GUE port %d: %w", port, err)
	}
	return nil
}

// GUEPort returns the UDP port of GUE; 0 means GUE is off.
func (d *Decap) GUEPort() (uint16, error) {
	cfg, err := d.config()
	if err != nil {
		return 0, fmt.Errorf("read GUE port: %w", err)
	}
	return cfg.GuePort, nil
}

// SetGRE turns the decapsulation of GRE on or off.
func (d *Decap) SetGRE(on bool) error {
	cfg, err := d.config()
	if err == nil {
		cfg.Flags &^= configGRE
		if on {
			cfg.Flags |= configGRE
		}
		err = d.objs.Settings.Update(uint32(0), &cfg, ebpf.UpdateAny)
	}
	if err != nil {
		return fmt.Errorf("set GRE %v: %w", on, err)
	}
	return nil
}

// GRE reports whether GRE is decapsulated.
func (d *Decap) GRE() (bool, error) {
	cfg, err := d.config()
	if err != nil {
		return false, fmt.Errorf("read GRE setting: %w", err)
	}
	return cfg.Flags&configGRE != 0, nil
}

// config reads the program's settings.
func (d *Decap) config() (decapConfig, error) {
	var cfg decapConfig
	err := d.objs.Settings.Lookup(uint32(0), &cfg)
	return cfg, err
}

// Counters returns the packets seen per counter, summed over CPUs, keyed
// by the names in [CounterNames]. Every name is present, zero or not.
func (d *Decap) Counters() (map[string]uint64, error) {
	return bpfcounter.Read(d.objs.Counters, CounterNames)
}
