# kocbot — one non-recursive Makefile.
#   make run     install missing Debian packages (as root), build, start the bot
#   make test    lint + every test in a debug build and an ASan+UBSan build
#   make bench   benchmarks (see bench/, docs/PERFORMANCE.md)
#   make fuzz    libFuzzer targets, FUZZ_SECONDS each (default 30; tests/fuzz)
# Variants: VARIANT=debug (default) | release | asan | vg

VARIANT ?= debug
BUILD := build/$(VARIANT)
PKGS := libcurl libuv libcjson sqlite3 libmicrohttpd libcrypto
# the build packages, then what the tests need (clang links the libFuzzer
# smoke test, which fails rather than skips without it)
DEB_PKGS := build-essential pkg-config libcurl4-openssl-dev libuv1-dev libcjson-dev libsqlite3-dev \
            libmicrohttpd-dev libssl-dev \
            tzdata ca-certificates sqlite3 curl python3 clang

CC ?= cc
WARN := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wno-sign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -MMD -MP
ifeq ($(VARIANT),release)
  OPT := -O2 -g
else ifeq ($(VARIANT),asan)
  OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(VARIANT),vg)
  OPT := -O0 -g
else
  OPT := -O0 -g3
endif
# Test builds carry the crash suite's hooks (core/testhook.h); release never.
ifneq ($(VARIANT),release)
  OPT += -DKB_TEST_HOOKS
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_ALL = $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

CORE_SRC := $(wildcard core/*.c)
ADAPTERS_SRC := $(wildcard adapters/*.c)
CONFIG_SRC := $(wildcard config/*.c)
BOT_SRC := $(filter-out bot/main.c,$(wildcard bot/*.c))
SUPPORT_SRC := tests/test.c $(wildcard tests/support/*.c) $(filter-out %_main.c,$(wildcard tests/fake/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBS := $(BUILD)/libbot.a $(BUILD)/libadapters.a $(BUILD)/libconfig.a $(BUILD)/libcore.a
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
FAKE_BINS := $(patsubst tests/fake/%_main.c,$(BUILD)/%,$(wildcard tests/fake/*_main.c))

.PHONY: all run test check deps lint bench fuzz clean format valgrind
all: $(BUILD)/kocbot

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libcore.a: $(call obj,$(CORE_SRC))
$(BUILD)/libadapters.a: $(call obj,$(ADAPTERS_SRC))
$(BUILD)/libconfig.a: $(call obj,$(CONFIG_SRC))
$(BUILD)/libbot.a: $(call obj,$(BOT_SRC))
$(BUILD)/libsupport.a: $(call obj,$(SUPPORT_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/kocbot: $(call obj,bot/main.c) $(LIBS)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(BUILD)/libsupport.a $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/bench/%: $(call obj,bench/%.c) $(BUILD)/libsupport.a $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/%: $(call obj,tests/fake/%_main.c) $(BUILD)/libsupport.a $(LIBS)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lm

# Preloaded into the release binary by bench/steady_probe.sh sql and
# frames: built without the variant's sanitizers, which a preloaded object
# cannot carry.
$(BUILD)/bench/sql_count.so: bench/sql_count.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -fPIC -shared -o $@ $< -lsqlite3 -ldl

$(BUILD)/bench/wal_frames.so: bench/wal_frames.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -fPIC -shared -o $@ $< -ldl

# Everything one variant needs for its test run.
check: deps $(BUILD)/kocbot $(UNIT_BINS) $(FAKE_BINS) $(BENCH_BINS) $(BUILD)/bench/sql_count.so \
       $(BUILD)/bench/wal_frames.so

# Install what is missing (as root), or say exactly what to install.
deps:
	@if ! pkg-config --exists $(PKGS) 2>/dev/null || ! command -v cc >/dev/null \
	    || ! command -v sqlite3 >/dev/null || ! command -v curl >/dev/null \
	    || ! command -v python3 >/dev/null || ! command -v clang >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $(DEB_PKGS)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS)) >/dev/null \
	      || { echo "apt-get install failed"; exit 1; }; \
	  else \
	    echo "missing build packages; run as root:"; \
	    echo "  apt-get update && apt-get install -y $(DEB_PKGS)"; exit 1; \
	  fi; \
	fi

run: deps
	@$(MAKE) --no-print-directory VARIANT=release all
	./build/release/kocbot $(ARGS)

lint:
	@tests/lint.sh

test: deps
	@tests/lint.sh
	@$(MAKE) --no-print-directory -j2 VARIANT=debug check >/dev/null
	@$(MAKE) --no-print-directory -j2 VARIANT=asan check >/dev/null
	@$(MAKE) --no-print-directory -j2 VARIANT=release all >/dev/null
	@tests/run.sh build/debug build/asan

valgrind: deps
	@$(MAKE) --no-print-directory -j2 VARIANT=vg check >/dev/null
	@VALGRIND=1 tests/run.sh build/vg

bench: deps
	@$(MAKE) --no-print-directory -j2 VARIANT=release check >/dev/null
	@bench/run.sh build/release

# clang's libFuzzer runtime ships with the clang package on Debian (deps).
fuzz: deps
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),30) tests/fuzz/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
