package decap

// The generated decap_bpfel.{go,o} and decap_bpfeb.{go,o} are committed:
// clang is needed only to change decap.c. TestGenerateReproducible checks
// that they are what decap.c compiles to, when clang is installed.
//
// -I/usr/include/x86_64-linux-gnu supplies <asm/types.h> for the UAPI
// headers; decap.c uses no architecture-dependent definition from it.

//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall -Werror" -type vip_key -type config -type counter decap decap.c -- -I/usr/include/x86_64-linux-gnu
//go:generate go tool stringer -type decapCounter -trimprefix decapCounterCOUNTER_ -output counter_string_linux.go
