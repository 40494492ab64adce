# Thin wrapper over CMake. `make run` and `make test` set up a fresh Debian
# machine themselves (through `make deps`, which is quick when all is there).

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)

# Every Debian package the project and its tests need.
DEB_PACKAGES = build-essential cmake pkg-config zlib1g-dev liblz4-dev libzstd-dev \
               libsnappy-dev libcmocka-dev liblmdb-dev libsqlite3-dev lemon \
               librdkafka-dev kcat libjansson-dev libedit-dev libssl-dev python3 clang libclang-rt-14-dev \
               tmux iproute2 libraft-dev libuv1-dev libpcre2-dev \
               libjemalloc-dev

.PHONY: all deps build run test test-asan bench fuzz clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# Node.js may come from Debian or NodeSource; install Debian's only when none is there.
	@if [ -f tests/js/package.json ] && ! command -v npm >/dev/null; then \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; \
	fi
	@if [ -f tests/js/package.json ] && [ ! -d tests/js/node_modules ]; then \
	  cd tests/js && npm ci --no-audit --no-fund; \
	fi

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: deps build
	./$(BUILD)/bin/sluice $(ARGS)

test: deps build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Asan
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

bench: deps build
	@for b in $(BUILD)/bin/bench_*; do [ -x "$$b" ] && "$$b" || exit 1; done

# libFuzzer over the request decoder and over the SQL parser (tests/fuzz/README.md),
# FUZZ_SECONDS long each.
FUZZ_SECONDS ?= 60
FUZZ_SRCS = broker/proto/kmsg.c broker/proto/kproto.c common/buf.c common/outbuf.c common/varint.c common/err.c
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -I. -Itests
# The SQL target needs lemon's parser, made into $(BUILD)/fuzz/sql as CMake does;
# lemon's output is not -Wextra clean (the same exceptions as CMakeLists.txt).
FUZZ_SQL_SRCS = sql/tokenize.c sql/ast.c $(BUILD)/fuzz/sql/parse.c common/buf.c common/err.c
FUZZ_SQL_FLAGS = $(FUZZ_FLAGS) -I$(BUILD)/fuzz -Wno-unused-parameter -Wno-unused-variable -Wno-sign-compare \
                 -Wno-implicit-fallthrough -Wno-unused-but-set-variable
LEMPAR = $(firstword $(wildcard /usr/share/lemon/lempar.c /usr/share/sqlite3/lempar.c))
fuzz: deps
	mkdir -p $(BUILD)/fuzz/corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(FUZZ_FLAGS) \
	  tests/fuzz/fuzz_request.c $(FUZZ_SRCS) -o $(BUILD)/fuzz/fuzz_request
	clang -O1 -DSL_FUZZ_MAKE_SEEDS $(FUZZ_FLAGS) tests/fuzz/fuzz_request.c $(FUZZ_SRCS) -o $(BUILD)/fuzz/fuzz_seeds
	$(BUILD)/fuzz/fuzz_seeds $(BUILD)/fuzz/corpus
	cd $(BUILD)/fuzz && ./fuzz_request -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 corpus
	mkdir -p $(BUILD)/fuzz/sql $(BUILD)/fuzz/sql-corpus
	cp sql/parse.y $(BUILD)/fuzz/sql/parse.y && lemon -q -T$(LEMPAR) $(BUILD)/fuzz/sql/parse.y
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(FUZZ_SQL_FLAGS) \
	  tests/fuzz/fuzz_sql.c $(FUZZ_SQL_SRCS) -o $(BUILD)/fuzz/fuzz_sql
	clang -O1 -DSL_FUZZ_MAKE_SEEDS $(FUZZ_SQL_FLAGS) tests/fuzz/fuzz_sql.c -o $(BUILD)/fuzz/fuzz_sql_seeds
	$(BUILD)/fuzz/fuzz_sql_seeds $(BUILD)/fuzz/sql-corpus
	cd $(BUILD)/fuzz && ./fuzz_sql -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -dict=sql-corpus.dict \
	  -print_final_stats=1 sql-corpus

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
