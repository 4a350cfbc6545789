// Package api defines what xlvsd and its clients (xlvsadm, tests, the lab)
// say to each other over the control socket: the wire types for services,
// real servers, counters and timeouts, the requests and responses, and
// [Error], a coded error that carries the errno the Linux kernel's IPVS
// would have returned so that xlvsadm can print ipvsadm's exact text.
//
// The encoding is one JSON object per line. Everything here is plain data;
// the package imports only the standard library.
package api
