package main

import (
	"log/slog"

	ctrlsync "github.com/xlvs/xlvs/ctrl/sync"
)

// Connection synchronisation: the model hands --start-daemon and
// --stop-daemon to a ctrl/sync manager over the engine's export and import
// rings.

// newSync makes the sync daemons' manager; the model starts and stops
// daemons through it.
func (d *daemon) newSync(log *slog.Logger) *ctrlsync.Manager {
	d.syncer = ctrlsync.NewManager(d.eng, log, ctrlsync.DefaultOptions())
	return d.syncer
}

// syncCounters adds the sync daemons' and the engine's sync counters to a
// get-counters answer: sync-msgs-sent, sync-conns-received,
// sync-import-<result>, sync-queued, sync-ring-full, ...
func (d *daemon) syncCounters(out map[string]uint64) {
	if d.syncer == nil {
		return
	}
	for k, v := range d.syncer.Counters() {
		out[k] = v
	}
	c := d.eng.SyncCounters()
	out["sync-queued"], out["sync-ring-full"] = c.Queued, c.RingFull
	out["sync-imported"], out["sync-updated"], out["sync-stale"] = c.Imported, c.Updated, c.Stale
}

// stopSync stops the daemons before the workers stop.
func (d *daemon) stopSync() {
	if d.syncer != nil {
		d.syncer.Close()
	}
}
