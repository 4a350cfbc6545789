package main

import (
	"strconv"
	"strings"
)

// listRow is one line of an `xlvsadm -L -n` listing (any of its formats:
// default, --stats, --persistent-conn, --tun-info) after the titles.
type listRow struct {
	service string   // "TCP  198.18.0.100:80", "UDP  [fd00:18::100]:53", "FWM  1", "FWM  1 IPv6"
	server  string   // "198.18.0.11:80" on a real server's line, "" on the service's
	cols    []string // the fields after the address
}

// parseListing splits a listing into rows. Service names are as ipvsadm
// prints them ("%-4s %s": "TCP  addr:port"; "FWM  %d" with " IPv6" for an
// IPv6 firewall-mark service), so they compare with [serviceKey].
func parseListing(s string) []listRow {
	var rows []listRow
	svc := ""
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0, strings.HasPrefix(line, "IP Virtual Server"), strings.HasPrefix(line, "Prot "),
			strings.HasPrefix(line, "  -> RemoteAddress"):
		case f[0] == "->":
			if len(f) >= 2 {
				rows = append(rows, listRow{service: svc, server: f[1], cols: f[2:]})
			}
		case len(f) >= 2:
			n := 2
			if f[0] == "FWM" && len(f) >= 3 && f[2] == "IPv6" {
				n = 3
			}
			svc = f[0] + "  " + strings.Join(f[1:n], " ")
			if f[0] == "SCTP" {
				svc = "SCTP " + strings.Join(f[1:n], " ")
			}
			rows = append(rows, listRow{service: svc, cols: f[n:]})
		}
	}
	return rows
}

// column returns column i (0-based, after the address) of the real
// server's line of service in rows as a number; ok is false when the line
// or the column is missing or not a plain number (ipvsadm abbreviates
// large numbers with K/M/G unless --exact).
func column(rows []listRow, service, server string, i int) (n int64, ok bool) {
	for _, r := range rows {
		if r.service == service && r.server == server {
			if i >= len(r.cols) {
				return 0, false
			}
			v, err := strconv.ParseInt(r.cols[i], 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// Columns of the listings the scenarios read.
const (
	statsConns         = 0 // -L -n --stats: Conns
	statsOutPkts       = 2 // -L -n --stats: OutPkts
	persistPersistConn = 1 // -L -n --persistent-conn: PersistConn (after Weight)
)
