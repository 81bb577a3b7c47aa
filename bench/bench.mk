# Benchmark guests and the interpreter-throughput measurement. Included by the
# top-level Makefile after guests/guests.mk, whose 32-bit guest library and
# Multiboot entry the C guests here link against. `make bench-guests` builds
# every benchmark guest; `make bench-interp` prints guest MIPS on the integer loop.
BENCH_OUT := $(O)/bench
BENCH_OBJ := $(BENCH_OUT)/obj

# Multiboot C guests (ELF32, so QEMU's -kernel boots them as well).
BENCH_MB := exitloop

BENCH_GUESTS := $(BENCH_OUT)/intloop.elf $(BENCH_OUT)/simdloop.elf $(BENCH_MB:%=$(BENCH_OUT)/%.elf)

.PHONY: bench-guests
bench-guests: $(BENCH_GUESTS)

# The 64-bit assembly loops (intloop: integer; simdloop: SSE2).
$(BENCH_OUT)/intloop.elf $(BENCH_OUT)/simdloop.elf: $(BENCH_OUT)/%.elf: bench/guests/%.S guests/lib/elf64.ld
	@mkdir -p $(BENCH_OUT)
	$(CC) -c -o $(BENCH_OUT)/$*.o $<
	ld -m elf_x86_64 -nostdlib -static --build-id=none -z noexecstack -T guests/lib/elf64.ld -o $@ $(BENCH_OUT)/$*.o

$(BENCH_MB:%=$(BENCH_OBJ)/%.o): $(BENCH_OBJ)/%.o: bench/guests/%.c bench/bench.mk $(GUEST_MK)
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c $< -o $@

$(BENCH_MB:%=$(BENCH_OUT)/%.elf): $(BENCH_OUT)/%.elf: $(BENCH_OBJ)/%.o \
		$(GUEST_OBJ)/32/lib/multiboot.o $(GUEST_LIB32) $(GUEST_SRC)/lib/elf32.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf32.ld \
		-o $@ $(GUEST_OBJ)/32/lib/multiboot.o $< $(GUEST_LIB32)

# make bench: every benchmark in one sitting (docs/benchmarks.md); BENCH_ARGS
# passes options to bench/run.py (--repeat N, --only MODULE,...).
BENCH_ARGS ?=
.PHONY: bench bench-smoke
bench: $(OUT)/ringvisor $(GUESTS) bench-guests
	RINGVISOR=$(OUT)/ringvisor GUESTS_DIR=$(O)/guests BENCH_DIR=$(BENCH_OUT) LINUX_DIR=$(O)/linux \
		python3 bench/run.py --report $(BENCH_OUT)/report.md $(BENCH_ARGS)

# What CI runs: the harness starts, measures one tiny case, prints the table.
bench-smoke: $(OUT)/ringvisor $(GUESTS) bench-guests
	RINGVISOR=$(OUT)/ringvisor GUESTS_DIR=$(O)/guests BENCH_DIR=$(BENCH_OUT) python3 bench/run.py --smoke

.PHONY: bench-interp
bench-interp: $(OUT)/ringvisor $(GUESTS) bench-guests
	RINGVISOR=$(OUT)/ringvisor GUESTS_DIR=$(O)/guests BENCH_DIR=$(BENCH_OUT) \
		python3 bench/run.py --only mips --repeat 5

-include $(wildcard $(BENCH_OBJ)/*.d)
