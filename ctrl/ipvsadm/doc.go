// Package ipvsadm implements the ipvsadm front end of xlvs: the command-line
// grammar of ipvsadm 1.31 (popt semantics: bundled short options, attached
// values, --opt=value, the optional -p argument, "the first option must be a
// command"), its validation rules and messages, the execution of each command
// as requests to xlvsd through a [Client], the mapping of coded errors to
// ipvs_strerror's texts and exit codes, and the listing formats of -L, -S,
// --timeout and -c, byte for byte like the real binary (including its sort
// order, which comes from a non-transitive comparator and glibc's merge sort).
//
// The package is layered so that every step can be tested without a daemon:
// [Parse] turns argv into a validated [Command]; [ListAll], [ListService],
// [Save], [ListTimeouts], [ListConns] and [ListDaemons] are pure formatters
// over api values; [Env.Run] (and [Main]) glue both to a [Client].
//
// Name resolution (host names and /etc/services) goes through [Names];
// [SystemNames] uses the system resolver and its own /etc/services parser.
//
// Concurrency: everything is safe for concurrent use as long as the Client,
// Names and writers handed in are; the package keeps no mutable global state
// beyond the lazily loaded, read-only services database of [SystemNames].
package ipvsadm
