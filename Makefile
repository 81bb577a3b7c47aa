# Ringvisor build. `make` builds build/ringvisor and the test guests;
# `make MODE=asan` builds an ASan+UBSan flavour into build/asan/.
# `make test` runs the unit and guest tests of the chosen flavour.
# `make fuzz-ci` and `make fuzz` run the libFuzzer fuzzers (fuzz/README.md).

MODE ?= release
CC ?= cc
# The root of everything built; O=build-x keeps a second tree apart.
O ?= build

ifeq ($(MODE),release)
OUT := $(O)
OPTFLAGS := -O2 -g
else ifeq ($(MODE),asan)
OUT := $(O)/asan
OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
$(error MODE must be release or asan)
endif

# User networking (host/net_slirp.c): libslirp, located by pkg-config.
SLIRP_CFLAGS := $(shell pkg-config --cflags slirp)
SLIRP_LIBS := $(shell pkg-config --libs slirp)
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wundef -Wvla -Wpointer-arith -Wcast-qual -Wwrite-strings -Wnull-dereference
CFLAGS := -std=gnu11 $(OPTFLAGS) $(WARNINGS) -D_GNU_SOURCE -Isrc $(SLIRP_CFLAGS) -MMD -MP
LDFLAGS := $(OPTFLAGS)
LDLIBS := -lpthread -lZydis -lz -ljansson $(SLIRP_LIBS)

SRCS := $(sort $(shell find src -name '*.c'))
OBJS := $(SRCS:%.c=$(OUT)/obj/%.o)
# Everything but main(), for linking into unit tests.
LIB_OBJS := $(filter-out $(OUT)/obj/src/cli/main.o,$(OBJS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/%)

.DEFAULT_GOAL := all
GUESTS :=
-include guests/guests.mk
-include tests/diff/diff.mk
-include tests/soak.mk
-include bench/bench.mk
-include fuzz/fuzz.mk

.PHONY: all test unit-test guest-test format check-format clean
all: $(OUT)/ringvisor $(GUESTS)

$(OUT)/ringvisor: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -lcmocka

# The software engines, the one list every suite of the soft-CPU core runs on
# (dbt joins by one edit): the engine-level unit tests run once per engine.
SOFT_ENGINES ?= interp dbt
# The unit suites that drive an engine (RINGVISOR_ENGINE): run on each of them.
ENGINE_SUITES := \
	test_softcpu_exec \
	test_softcpu_isa_gate \
	test_softcpu_mmx \
	test_softcpu_ssse3 \
	test_softcpu_sse4 \
	test_softcpu_x87_more \
	test_softcpu_prefix64 \
	test_softcpu_canonical \
	test_softcpu_far \
	test_softcpu_vmm_writes \
	test_softcpu_xsave \
	test_softcpu_bmi \
	test_softcpu_beyond_v3 \
	test_softcpu_avx_fp \
	test_softcpu_avx_fp_faults \
	test_softcpu_fma \
	test_softcpu_avx_int \
	test_softcpu_vector_state

unit-test: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
		case $$t in \
		$(ENGINE_SUITES:%=*/%|)*/none) \
			for e in $(SOFT_ENGINES); do echo "== $$t ($$e)"; RINGVISOR_ENGINE=$$e $$t; done;; \
		*) echo "== $$t"; $$t;; \
		esac; \
	done

guest-test: $(OUT)/ringvisor $(GUESTS)
	RINGVISOR=$(OUT)/ringvisor GUESTS_DIR=$(O)/guests tests/integration/run-guests.sh
	RINGVISOR=$(OUT)/ringvisor GUESTS_DIR=$(O)/guests tests/integration/run-cli.sh
	RINGVISOR=$(OUT)/ringvisor GUESTS_DIR=$(O)/guests tests/integration/snapshot-guests.sh

test: unit-test guest-test

FORMAT_FILES = $(shell git ls-files -co --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
check-format:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# A Debian 12 minbase root file system as an ext4 image, for --disk and
# root=/dev/vda (scripts/build-rootfs.sh; needs root and a Debian mirror).
.PHONY: rootfs
rootfs: $(O)/rootfs/rootfs.img
$(O)/rootfs/rootfs.img: scripts/build-rootfs.sh
	scripts/build-rootfs.sh $(O)/rootfs

clean:
	rm -rf $(O)

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)
