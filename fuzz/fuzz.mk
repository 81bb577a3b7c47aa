# Fuzzing with clang's libFuzzer under ASan+UBSan (fuzz/README.md). Included by
# the top-level Makefile, which provides O, SRCS, WARNINGS, SLIRP_CFLAGS, LDLIBS.
#
# Every fuzz/fuzz_NAME.c is one fuzzer, build/fuzz/fuzz_NAME, linked with the
# project's objects (all of src/ but main()) compiled by clang into their own
# tree, build/fuzz/obj, and with fuzz/support/*.c if there are any.
#
#   make fuzz-bins                      build every fuzzer
#   make fuzz-ci                        CI: regression inputs, then FUZZ_SECONDS of each
#   make fuzz FUZZ_SECONDS=3600         long runs (FUZZ_JOBS processes each)
#   FUZZERS="cpu decode"                only these fuzzers (both targets)

FUZZ_CC ?= clang
FUZZ_OUT := $(O)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRCS:fuzz/fuzz_%.c=%)
FUZZERS ?= $(FUZZ_NAMES)
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_OUT)/fuzz_%)

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
# clang-only: exec_x87.c ORs two calls on purpose, both must run.
FUZZ_WARNINGS := $(WARNINGS) -Wno-bitwise-instead-of-logical
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) $(FUZZ_WARNINGS) -D_GNU_SOURCE -Isrc $(SLIRP_CFLAGS) -MMD -MP
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(filter-out src/cli/main.c,$(SRCS)))
FUZZ_SUPPORT_OBJS := $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(sort $(wildcard fuzz/support/*.c)))

$(FUZZ_OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Ifuzz -c -o $@ $<

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz/fuzz_%.o $(FUZZ_SUPPORT_OBJS) $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

.PHONY: fuzz-bins fuzz-ci fuzz
fuzz-bins: $(FUZZ_BINS)

fuzz-ci: $(FUZZERS:%=$(FUZZ_OUT)/fuzz_%)
	FUZZ_OUT=$(FUZZ_OUT) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh ci $(FUZZERS)

fuzz: $(FUZZERS:%=$(FUZZ_OUT)/fuzz_%)
	FUZZ_OUT=$(FUZZ_OUT) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) scripts/fuzz.sh long $(FUZZERS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_SUPPORT_OBJS:.o=.d) $(FUZZ_SRCS:%.c=$(FUZZ_OUT)/obj/%.d)
