# xlvs — build, test, lab. Everything needs only Go; `generate` also needs clang.
GO      ?= go
BIN     := bin
TESTFLAGS ?= -count=1 -timeout 40m

.PHONY: all build test lab generate bench bench-micro bench-deps vet clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/xlvsd ./cmd/xlvsadm ./cmd/xlvs-lab ./cmd/xlvs-rs ./cmd/xlvs-pktgen
	ln -sf xlvsadm $(BIN)/ipvsadm

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

# The tests that create namespaces, veth pairs and XDP programs need root;
# as another user they skip with a message.
test: vet
	$(GO) test $(TESTFLAGS) ./...

lab: build
	$(BIN)/xlvs-lab --xlvsd $(BIN)/xlvsd --xlvsadm $(BIN)/xlvsadm --xlvs-rs $(BIN)/xlvs-rs $(LABFLAGS)

generate:
	$(GO) generate ./...

# The throughput harness (as root): generator -> director -> sink in
# namespaces; writes perf/results/<date>-bench.{md,json,png}.
# BENCHFLAGS e.g. "--duration 10s --flows 1,1000000".
bench:
	$(GO) run ./perf/bench $(BENCHFLAGS)

# Go micro-benchmarks into perf/results/<date>-micro.txt, compared with the
# previous results file by benchstat.
bench-micro:
	$(GO) run ./perf/micro $(MICROFLAGS)

# nftables for the harness's kernel DNAT row (Debian/Ubuntu).
bench-deps:
	apt-get install -y nftables

clean:
	rm -rf $(BIN)
