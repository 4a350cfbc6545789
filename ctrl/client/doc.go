// Package client talks to xlvsd's control socket.
package client
