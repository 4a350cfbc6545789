// Command xlvsd is the xlvs director daemon: it attaches the XDP steering
// program to the interfaces it serves, runs one AF_XDP worker per queue and
// serves the control socket that xlvsadm talks to.
//
//	xlvsd --interface eth0 [--interface eth1] [--socket PATH] [--queues N] [--cpus 0,1] [--mark RULE]...
//	      [--rules FILE [--save-rules]] [--metrics-addr HOST:PORT] [--keepalived-conf FILE] [--local-dev NAME]
//	      [--fullnat-ports MIN-MAX] [--conn-reuse-mode N] [--expire-nodest-conn] [--pprof HOST:PORT]
//
// SIGTERM or SIGINT detaches XDP, stops the workers, removes the socket and
// exits 0. The XDP program is attached through a bpf_link owned by the
// process, so even after kill -9 the kernel detaches it; a restart also
// replaces any stale program and socket file.
package main
