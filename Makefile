# The two commands of the README: `make demo` and `make test`. Both install what is
# missing first (scripts/install-deps.sh, idempotent), then build with CMake + Ninja.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-fast asan bench clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/src/app/lifeboat

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|conformance'

# Address + undefined behaviour sanitizers over the unit and conformance suites.
asan: deps
	cmake -S . -B build-asan -G Ninja -DLIFEBOAT_SANITIZE="address;undefined" -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L 'unit|conformance'

bench: build
	bash bench/sqlite $(BUILD)/src/app/lifeboat
	bash bench/postgres $(BUILD)/src/app/lifeboat

clean:
	rm -rf $(BUILD) build-asan demo-backups demo
