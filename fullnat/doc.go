// Package fullnat will own FULLNAT's state that is not per connection:
// local address pools, the per-worker local port slices that make the
// owner of a reply computable from its destination port alone, and client
// address conservation (TOA, PROXY protocol v2). It is a placeholder until
// the FULLNAT issue lands; nothing imports it yet.
package fullnat
