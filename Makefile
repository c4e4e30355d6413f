# Shrike's build and test entry points. `make test` is what CI runs.
GO ?= go

.PHONY: test build vet fmt-check bench e2e test-deps

build:
	$(GO) build -o bin/shrike ./cmd/shrike

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Real services some tests run against (sshd, Slurm with munge), installed
# from Debian's packages when missing and running as root; the tests start
# their own instances. Elsewhere those tests skip, except with CI=true.
test-deps:
	@bash hack/test-deps-ssh.sh
	@bash hack/test-deps-slurm.sh

# The whole suite: static checks, then every test with the race detector.
test: test-deps fmt-check vet
	$(GO) test -race -count=1 -timeout 25m ./...

e2e:
	$(GO) test -count=1 -v ./e2e

bench: build
	./bin/shrike bench --tasks 10000 --nodes 2
