# The two commands of the README: `make demo` and `make test`. Both install what is
# missing first (scripts/install-deps.sh, idempotent), then build with CMake + Ninja.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-fast asan tsan fuzz fuzz-short bench clean

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
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L 'unit|conformance|fuzz'

# ThreadSanitizer over the unit suites (the pipeline's threads, the SQLite checker, the
# catalog's parallel reads) and the fuzz replays. Suppressions: none (docs/CODING.md).
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DLIFEBOAT_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|fuzz'

# libFuzzer (clang-16) on every parser in tests/fuzz: FUZZ_SECONDS each, two at a time.
FUZZ_SECONDS ?= 300
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# What CI runs: 30 s per target.
fuzz-short: deps
	bash scripts/fuzz.sh 30

bench: build
	bash bench/sqlite $(BUILD)/src/app/lifeboat
	bash bench/postgres $(BUILD)/src/app/lifeboat
	bash bench/s3 $(BUILD)/src/app/lifeboat

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz demo-backups demo
