package main

import "context"

// The model lists connections through the engine's control mailbox
// (model.Config.Conns = the engine) and estimates rates itself; this file
// runs the estimator for as long as the daemon runs.

// runEstimator samples the counters for ipvsadm -L --rate every 2 seconds
// (IPVS's estimator interval) until the daemon stops.
func (d *daemon) runEstimator() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-d.done
		cancel()
	}()
	d.model.RunEstimator(ctx)
}
