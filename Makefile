# bulkhead: `make demo` and `make test` do everything on a fresh Debian 12.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build test unit e2e demo bench fuzz format clean

all: build

deps:
	@sudo_cmd=""; [ "$$(id -u)" -eq 0 ] || sudo_cmd=sudo; $$sudo_cmd scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DBH_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -L unit

e2e: build
	ctest --test-dir $(BUILD) --output-on-failure -L e2e

demo: build
	scripts/demo

bench: build
	bench/run

fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)
