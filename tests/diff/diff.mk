# Differential tests (tests/diff/): random user-mode instruction sequences run on
# silicon (the host CPU natively, and the kvm engine where it runs) and on
# interp, compared; and the randomized decoder test. Included by the
# top-level Makefile, which provides OUT, LIB_OBJS, CFLAGS, LDFLAGS and LDLIBS.
#
#   make diff-test      fixed seed (CI): DIFF_SEED, DIFF_COUNT override it
#   make diff-soak      fresh seeds until interrupted, or DIFF_COUNT sequences
#   make decoder-test   the decoder test alone
#
# DIFF_ARGS passes anything else (e.g. --all-bugs, --verbose, --max-reports N).

DIFF_SRCS := $(sort $(wildcard tests/diff/*.c))
DIFF_ASMS := $(sort $(wildcard tests/diff/*.S))
DIFF_OBJS := $(DIFF_SRCS:%.c=$(OUT)/obj/%.o) $(DIFF_ASMS:%.S=$(OUT)/obj/%.o)
DIFF_BIN := $(OUT)/tests/diff-test
DIFF_SEED ?=
DIFF_COUNT ?=
DIFF_ARGS ?=

# native_entry.S: the native reference's way in and out of a test sequence.
$(OUT)/obj/tests/diff/%.o: tests/diff/%.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The engines under test: the software engines of the suites' one engine list
# (tests/engines.sh; ENGINES overrides it); kvm is a reference here, not a subject.
DIFF_COMMA := ,
DIFF_EMPTY :=
DIFF_SPACE := $(DIFF_EMPTY) $(DIFF_EMPTY)
DIFF_SW := $(subst $(DIFF_SPACE),$(DIFF_COMMA),$(strip $(filter-out kvm,$(shell bash -c '. tests/engines.sh && echo $$ENGINES'))))
DIFF_SW_ARG := $(if $(DIFF_SW),--sw $(DIFF_SW))

$(DIFF_BIN): $(DIFF_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: diff-test diff-soak decoder-test
diff-test: $(DIFF_BIN)
	$(DIFF_BIN) $(DIFF_SW_ARG) $(if $(DIFF_SEED),--seed $(DIFF_SEED)) $(if $(DIFF_COUNT),--count $(DIFF_COUNT)) $(DIFF_ARGS)

diff-soak: $(DIFF_BIN)
	$(DIFF_BIN) $(DIFF_SW_ARG) --soak $(if $(DIFF_COUNT),--count $(DIFF_COUNT)) $(DIFF_ARGS)

decoder-test: $(DIFF_BIN)
	$(DIFF_BIN) --decoder-only $(if $(DIFF_SEED),--seed $(DIFF_SEED)) $(DIFF_ARGS)

-include $(DIFF_OBJS:.o=.d)
