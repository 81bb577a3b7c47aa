# Benchmark guests and the interpreter-throughput measurement. Included by the
# top-level Makefile; `make bench-interp` prints guest MIPS on the integer loop.
BENCH_OUT := $(O)/bench

$(BENCH_OUT)/intloop.elf: bench/guests/intloop.S guests/lib/elf64.ld
	@mkdir -p $(BENCH_OUT)
	$(CC) -c -o $(BENCH_OUT)/intloop.o $<
	ld -m elf_x86_64 -nostdlib -static --build-id=none -z noexecstack -T guests/lib/elf64.ld -o $@ $(BENCH_OUT)/intloop.o

.PHONY: bench-interp
bench-interp: $(OUT)/ringvisor $(BENCH_OUT)/intloop.elf
	bench/interp-mips.sh $(OUT)/ringvisor $(BENCH_OUT)/intloop.elf
