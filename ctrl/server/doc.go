// Package server serves the control socket of xlvsd: a unix stream socket
// (mode 0600) on which each line is one JSON [api.Request] answered by one
// JSON [api.Response] line. A malformed request gets an error response and
// the connection is closed; it never affects the daemon.
package server
