// Package rules implements xlvsd's persistent rules: a file in the format
// of ipvsadm -S -n (what ipvsadm -R reads) that is loaded at start and,
// optionally, written back after every change.
//
// [Load] parses a whole file with ipvsadm's own -R line parser
// ([ipvsadm.RuleRequest]) before it applies anything, then applies the
// rules in order; the first parse error or refused rule stops it with a
// [LineError] ("FILE:LINE: message", the message being ipvsadm's). Lines
// starting with '#' are comments, as ipvsadm-restore strips them.
//
// [Saver] writes the current table in ipvsadm -S -n's text with
// [WriteFile]: a temporary file in the same directory, fsync, rename over
// the target, fsync of the directory. A crash at any point leaves either
// the old or the new file complete, never a partial one. [Saving] wraps a
// request handler so that every successful change is saved before the
// request is answered (synchronous: when xlvsadm returns, the rule is on
// disk); a save that leaves the text unchanged writes nothing.
//
// Concurrency: a Saver and the handler returned by Saving are safe for
// concurrent use; saves are serialised and each one writes the table as it
// is when the save runs, so the file always ends with the latest state.
package rules
