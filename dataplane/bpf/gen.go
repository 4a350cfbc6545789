package bpf

// The generated steer_bpfel.{go,o} and steer_bpfeb.{go,o} are committed:
// clang is needed only to change steer.c. Regenerating twice gives
// byte-identical files (TestGenerateReproducible checks it when clang is
// installed); CI may run `go generate ./dataplane/bpf && git diff --exit-code`.
//
// -I/usr/include/x86_64-linux-gnu supplies <asm/types.h> for the UAPI
// headers; steer.c uses no architecture-dependent definition from it.

//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall -Werror" -type endpoint_key -type vip_key -type mark_key -type mark_rules -type reason -type family -type laddr_range steer steer.c -- -I/usr/include/x86_64-linux-gnu
//go:generate go tool stringer -type steerReason -trimprefix steerReasonREASON_ -output reason_string_linux.go
