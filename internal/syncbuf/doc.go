// Package syncbuf implements [Buffer], a bytes.Buffer for output that one
// goroutine writes while another reads it: a process's stderr collected by
// os/exec, or a slog handler's sink read by a test.
//
// Concurrency: every method of a Buffer is safe for concurrent use.
package syncbuf
