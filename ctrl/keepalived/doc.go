// Package keepalived reads the LVS part of keepalived.conf (keepalived
// 2.2.7's grammar and defaults): virtual_server (address and port, fwmark,
// group), virtual_server_group, real_server, their schedulers, forwarding
// methods, persistence, quorum, sorry_server and checkers (TCP_CHECK,
// HTTP_GET, SSL_GET, MISC_CHECK, PING_CHECK), global_defs' lvs_timeouts
// and lvs_flush, and include files with glob patterns.
//
// [Load] returns a [Config]: the services as [health.Service] values ready
// for a health.Checker, the requests for global settings, and the
// warnings keepalived would log. keepalived's defaults apply, including
// the surprising ones: a service without lb_kind forwards with NAT, a
// service without protocol is UDP, a service without lb_algo uses wlc, a
// bare persistence_timeout is 360 seconds and a service on port 0 is made
// persistent. Each is reported as a warning.
//
// Blocks xlvs does not run (vrrp_instance, vrrp_script, static_routes,
// SMTP_CHECK, ...) are skipped whole with a warning naming their file and
// line, as are unknown keywords. Values that are wrong (a bad address,
// number, scheduler or method, unbalanced braces, a missing include file)
// are errors that carry file:line: a file with errors is rejected whole so
// that the running configuration stays.
//
// Concurrency: the package has no state; Load may be called from any
// goroutine.
package keepalived
