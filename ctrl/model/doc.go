// Package model holds xlvsd's configuration: virtual services and their
// real servers, validated and defaulted as Linux IPVS does (ip_vs_ctl.c),
// and compiles it into the immutable [snapshot.Snapshot] the dataplane
// runs on.
//
// Every request is applied whole or not at all: a request that fails
// validation leaves the configuration and the running dataplane as they
// were. The model is safe for concurrent use (one mutex; it is not on the
// packet path).
package model
