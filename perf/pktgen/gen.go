package pktgen

// The generated livegen_bpf{el,eb}.{go,o} and sink_bpf{el,eb}.{go,o} are
// committed: clang is needed only to change livegen.c or sink.c
// (`make generate`). TestGenerateReproducible checks they are current.

//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall -Werror -mcpu=v3" -type gen_config -type gen_state livegen livegen.c -- -I/usr/include/x86_64-linux-gnu
//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall -Werror" -type sink_config -type sink_tally sink sink.c -- -I/usr/include/x86_64-linux-gnu
