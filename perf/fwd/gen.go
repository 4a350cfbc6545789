package fwd

// The generated reflect_bpf{el,eb}.{go,o} and redirect_bpf{el,eb}.{go,o}
// are committed: clang is needed only to change the C sources
// (`make generate`). TestGenerateReproducible checks they are current.

//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall -Werror" -type reflect_config reflect reflect.c -- -I/usr/include/x86_64-linux-gnu
//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall -Werror" redirect redirect.c -- -I/usr/include/x86_64-linux-gnu
