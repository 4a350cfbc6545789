// Package repocheck holds the tests that keep the repository's own rules
// true (STYLE: "every package has a doc.go", "doc comments on every
// exported name"; ARCHITECTURE.md: "the mermaid import graph matches go
// list"). It has no code: its tests read the module's source tree from
// the repository root, two directories up.
//
// Concurrency: nothing to share; the tests only read files and run
// `go list`.
package repocheck
