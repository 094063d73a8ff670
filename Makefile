# exim-mtasts — build, test, fuzz, run.
#
# make              programs into build/ (mtasts, mtastsd, mtasts_lookup.so)
# make deps         install the Debian packages the build and tests need
# make run          build and run the main job on embedded defaults
# make check        every test; ends with "N passed, N failed, N skipped"
# make check-asan   the same, built with ASan + UBSan in build-asan/
# make fuzz-smoke   each libFuzzer target for FUZZ_SMOKE_SECONDS (clang)
# make fuzz         each target for FUZZ_SECONDS
# make bench        the benchmarks in bench/ (never in CI)
#
# New files are picked up by wildcard: shared/*.c -> libshared.a,
# daemon/*.c (but the two mains) -> libdaemon.a, tests/unit/test_*.c ->
# one test program each, tests/fuzz/fuzz_*.c -> one fuzz target each.

VERSION     := 0.1.0
BUILD       ?= build
SAN         ?=
PREFIX      ?= /usr/local

PKGS        := libunbound libcurl lmdb openssl libidn2 zlib jansson libpsl
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
EXTRA_LIBS  ?= $(shell pkg-config --libs opendkim 2>/dev/null)

WARN        := -std=c11 -Wall -Wextra -Werror
CFLAGS      ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS     += -fsanitize=address,undefined
endif
ifeq ($(SAN),fuzz)
CFLAGS      := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -DMTASTS_FUZZING
LDFLAGS     += -fsanitize=address,undefined
endif
CPPFLAGS    += -D_GNU_SOURCE -DMTASTS_VERSION='"$(VERSION)"' -Ishared -Idaemon
ALL_CFLAGS   = $(WARN) $(CFLAGS) -fPIC $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP
LIBS         = $(PKG_LIBS) $(EXTRA_LIBS) -lm

MAINS       := daemon/mtasts.c daemon/mtastsd.c
SHARED_SRC  := $(wildcard shared/*.c)
DAEMON_SRC  := $(filter-out $(MAINS),$(wildcard daemon/*.c))
MODULE_SRC  := $(wildcard exim-module/*.c)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC   := $(wildcard bench/*.c)

OBJ          = $(BUILD)/obj
SHARED_OBJ   = $(SHARED_SRC:%.c=$(OBJ)/%.o)
DAEMON_OBJ   = $(DAEMON_SRC:%.c=$(OBJ)/%.o)
MODULE_OBJ   = $(MODULE_SRC:%.c=$(OBJ)/%.o)
# What the module uses of shared/ (libshared.a's sources, compiled for it).
MODULE_SHARED_SRC := shared/buf.c shared/mt_err.c shared/proto.c
MODULE_SHARED_OBJ  = $(MODULE_SHARED_SRC:shared/%.c=$(OBJ)/exim-module/shared/%.o)
LIBSHARED    = $(BUILD)/libshared.a
LIBDAEMON    = $(BUILD)/libdaemon.a
UNIT_BIN     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BIN     = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_BIN    = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# The Exim lookup ABI the module is built for (exim-module/README.md).
EXIM_ABI    ?= 4.96
MODULE_CFLAGS ?=
MODULE_LIBS ?=

PROGS        = $(BUILD)/mtasts \
               $(if $(wildcard daemon/mtastsd.c),$(BUILD)/mtastsd) \
               $(if $(MODULE_SRC),$(BUILD)/mtasts_lookup.so)

FUZZ_SMOKE_SECONDS ?= 5
FUZZ_SECONDS ?= 300

.PHONY: all deps run check check-asan units fuzz fuzz-smoke fuzz-build bench clean install

all: $(PROGS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The module runs inside Exim, which is never built with sanitizers (an
# ASan runtime preloaded into Exim deadlocks at exit), so it is compiled
# without them in every build; valgrind checks it inside Exim instead.
$(OBJ)/exim-module/%.o: exim-module/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize%,$(ALL_CFLAGS)) -DEXIM_ABI_$(subst .,_,$(EXIM_ABI)) $(MODULE_CFLAGS) -c -o $@ $<

$(OBJ)/exim-module/shared/%.o: shared/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize%,$(ALL_CFLAGS)) -c -o $@ $<

$(LIBSHARED): $(SHARED_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBDAEMON): $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/mtasts: $(OBJ)/daemon/mtasts.o $(LIBDAEMON) $(LIBSHARED)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/mtastsd: $(OBJ)/daemon/mtastsd.o $(LIBDAEMON) $(LIBSHARED)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The module links only what it uses of shared/ (MODULE_SHARED_SRC), built
# without sanitizers like the module itself, and exports one symbol.
$(BUILD)/mtasts_lookup.so: $(MODULE_OBJ) $(MODULE_SHARED_OBJ) exim-module/mtasts_lookup.map
	$(CC) $(filter-out -fsanitize%,$(LDFLAGS)) -shared -Wl,--version-script=exim-module/mtasts_lookup.map \
	    -o $@ $(MODULE_OBJ) $(MODULE_SHARED_OBJ) $(MODULE_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBDAEMON) $(LIBSHARED)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIBDAEMON) $(LIBSHARED) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(LIBDAEMON) $(LIBSHARED)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBDAEMON) $(LIBSHARED) $(LIBS)

units: all $(UNIT_BIN)

deps:
	scripts/deps.sh

run: all
	scripts/run.sh $(BUILD)

check: units
	tests/run.sh $(BUILD)

check-asan:
	$(MAKE) BUILD=build-asan SAN=1 units
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    tests/run.sh build-asan

# Fuzzing: clang, libFuzzer, in build-fuzz/.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBDAEMON) $(LIBSHARED)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(LIBDAEMON) $(LIBSHARED) $(LIBS)

fuzz-build:
	$(MAKE) BUILD=build-fuzz SAN=fuzz CC=clang fuzz-targets

.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_BIN)

fuzz-smoke: fuzz-build
	tests/fuzz/run.sh build-fuzz $(FUZZ_SMOKE_SECONDS)

fuzz: fuzz-build
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

bench: all $(BENCH_BIN)
	bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 755 $(BUILD)/mtasts $(DESTDIR)$(PREFIX)/bin/
	if [ -f $(BUILD)/mtastsd ]; then install -m 755 $(BUILD)/mtastsd $(DESTDIR)$(PREFIX)/sbin/; fi

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
