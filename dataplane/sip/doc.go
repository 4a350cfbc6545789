// Package sip implements the one piece of SIP (RFC 3261) parsing that
// IPVS's SIP persistence engine needs: finding the Call-ID header of a
// datagram, exactly as the kernel's ip_vs_pe_sip (get_callid over
// nf_conntrack_sip's ct_sip_get_header) finds it, so that xlvs pins the
// same calls to the same real servers IPVS would.
//
// It is pure, allocation-free and bounded by the datagram's length; it
// returns a sub-slice of its input and never retains it. Safe for
// concurrent use (no state).
package sip
