# xlvs — build, test, lab. Everything needs only Go; `generate` also needs clang.
GO      ?= go
BIN     := bin
TESTFLAGS ?= -count=1 -timeout 40m

.PHONY: all build test lab generate bench vet clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/xlvsd ./cmd/xlvsadm ./cmd/xlvs-lab ./cmd/xlvs-rs
	ln -sf xlvsadm $(BIN)/ipvsadm

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

# The tests that create namespaces, veth pairs and XDP programs need root;
# as another user they skip with a message.
test: vet
	$(GO) test $(TESTFLAGS) ./...

lab: build
	$(BIN)/xlvs-lab --xlvsd $(BIN)/xlvsd --xlvsadm $(BIN)/xlvsadm

generate:
	$(GO) generate ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./dataplane/... ./sched/...

clean:
	rm -rf $(BIN)
