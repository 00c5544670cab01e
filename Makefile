# Thin wrapper over scripts/setup, CMake/Ninja and CTest.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# ccache, when installed (scripts/setup installs it), makes a repeated build
# on the same machine mostly cache hits, also from another clone: paths under
# the checkout are hashed relative to it (CCACHE_BASEDIR) and the working
# directory is left out of the hash (CCACHE_NOHASHDIR). The sloppiness is
# what ccache needs to cache units that use a precompiled header (it cannot
# see __TIME__ or #defines through one; the .gch is always newer than the
# build start). Without ccache the build runs the compiler directly.
# CCACHE=off (or CCACHE_DISABLE=1 in the environment) turns it off.
CCACHE ?= $(shell command -v ccache 2>/dev/null)
ifneq ($(filter-out off,$(CCACHE)),)
LAUNCHER_FLAGS := -DCMAKE_C_COMPILER_LAUNCHER=$(CCACHE) -DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime
endif

.PHONY: setup build run test test-asan fault fuzz bench clean format

setup:
	scripts/setup

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(LAUNCHER_FLAGS) $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

# A single member on 127.0.0.1:2379, data in ./default.etcd, WiredTiger.
run: build
	$(BUILD)/bin/cairn

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  $(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DCAIRN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

# Long fault runs, not part of `make test`: 200 kill -9 rounds per backend,
# Lua hooks killed in a burst of 10,000 events, 5 minutes of random network
# faults and kill -9 on 3- and 5-member clusters (etcd and Cairn),
# and the randomized Raft simulation over 20,000 seeds.
fault: build
	cd $(BUILD) && CAIRN_FAULT_ROUNDS=200 CAIRN_LUA_FAULT_EVENTS=10000 \
	  CAIRN_CLUSTER_FAULT_SECONDS=300 CAIRN_CLUSTER_FAULT_SIZES=3,5 CAIRN_ETCD_IMPORT_CLUSTER=1 \
	  ctest --output-on-failure -L fault --timeout 7200
	cd $(BUILD) && CAIRN_RAFT_SEEDS=20000 ctest --output-on-failure -R 'raft_test:randomized' --timeout 7200

# libFuzzer (clang, ASan + UBSan) over the client port's HTTP request path
# and the gateway's JSON decoding, FUZZ_SECONDS per target; new inputs go
# to build-fuzz/corpus, the seeds are in tests/fuzz/seeds.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/setup fuzz
	cmake -S . -B build-fuzz -G Ninja $(LAUNCHER_FLAGS) -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=Debug -DCAIRN_FUZZ=ON
	ninja -C build-fuzz -j $(JOBS) http_request_fuzzer json_fuzzer
	mkdir -p build-fuzz/corpus/http build-fuzz/corpus/json
	build-fuzz/bin/http_request_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	  build-fuzz/corpus/http tests/fuzz/seeds/http
	build-fuzz/bin/json_fuzzer -max_total_time=$(FUZZ_SECONDS) \
	  build-fuzz/corpus/json tests/fuzz/seeds/json

bench: build
	scripts/setup bench
	scripts/bench
	scripts/bench-go
	scripts/bench-lua-hooks
	scripts/bench-maintenance
	scripts/bench-cluster

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
