/* Exit-cost guest for bench/exit_cost.py: a Multiboot kernel (ELF32, so QEMU
 * boots it with -kernel too) that performs COUNT exits of one KIND, then ends
 * through the debug-exit port with value 0 (status 1). The command line ends
 * with "KIND COUNT" (Ringvisor passes --append, QEMU and GRUB put the kernel's
 * path first, so only the last two words are read):
 *
 *   pio    OUT to port 0x80 (POST code): answered without side effects by
 *          Ringvisor's pc_misc device and QEMU's ioport80.
 *   mmio   32-bit read of the I/O APIC's IOREGSEL at 0xfec00000 (82093AA data
 *          sheet, 3.1: the index register, read/write; a read changes nothing).
 *   hcall  the abi_version hypercall (docs/guest-abi.md), the one that does
 *          no work; Ringvisor only.
 *
 * COUNT 0 takes the same boot and exit path without the loop, so the harness
 * subtracts it. The loop runs at CPL 0 with paging off, where the Multiboot
 * entry leaves it.
 *
 * It prints "exitloop: KIND COUNT" before the loop and "exitloop: done" after
 * it on COM1: status 1 alone does not prove the loop ran, since QEMU also exits
 * with 1 when it cannot start. Debug-exit values: 0 done, 1 bad command line
 * (status 3), 2 a hypercall answered something other than the ABI version 1
 * (status 5). */
#include <stdbool.h>
#include <stdint.h>

#include "hypercall.h"
#include "io.h"
#include "multiboot.h"
#include "printf.h"
#include "str.h"
#include "test.h"

#define POST_PORT 0x80
#define IOAPIC_IOREGSEL 0xfec00000u
#define EXIT_DONE 0
#define EXIT_USAGE 1
#define EXIT_BAD_HYPERCALL 2
#define MAX_WORDS 16
#define MAX_WORD_LEN 32

enum kind { KIND_PIO, KIND_MMIO, KIND_HCALL };

static const char *const kind_names[] = { [KIND_PIO] = "pio", [KIND_MMIO] = "mmio", [KIND_HCALL] = "hcall" };

__attribute__((noreturn)) static void debug_exit(uint8_t value)
{
	for (;;)
		outb(DEBUG_EXIT_PORT, value);
}

__attribute__((noreturn)) static void usage(const char *why)
{
	printf("exitloop: %s; command line must end with \"pio|mmio|hcall COUNT\"\n", why);
	debug_exit(EXIT_USAGE);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits s (at most MAX_WORDS words) into words[]; returns how many. */
static unsigned int split_words(const char *s, const char *words[], unsigned int lens[])
{
	unsigned int n = 0;

	while (*s) {
		while (is_space(*s))
			s++;
		if (!*s)
			break;
		if (n == MAX_WORDS)
			usage("too many words");
		words[n] = s;
		while (*s && !is_space(*s))
			s++;
		lens[n] = (unsigned int)(s - words[n]);
		n++;
	}
	return n;
}

static bool word_is(const char *w, unsigned int len, const char *name)
{
	return len == strlen(name) && !memcmp(w, name, len);
}

static enum kind parse_kind(const char *w, unsigned int len)
{
	for (unsigned int k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (word_is(w, len, kind_names[k]))
			return (enum kind)k;
	usage("unknown kind");
}

static uint32_t parse_count(const char *w, unsigned int len)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		usage("count is not a 32-bit decimal number");
	for (unsigned int i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			usage("count is not a decimal number");
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	if (v > UINT32_MAX)
		usage("count does not fit 32 bits");
	return (uint32_t)v;
}

static void loop_pio(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		outb(POST_PORT, 0);
}

static void loop_mmio(uint32_t n)
{
	volatile uint32_t *reg = (volatile uint32_t *)(uintptr_t)IOAPIC_IOREGSEL;

	for (uint32_t i = 0; i < n; i++)
		(void)*reg;
}

static void loop_hcall(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (hc_abi_version() != 1)
			debug_exit(EXIT_BAD_HYPERCALL);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
	const char *words[MAX_WORDS];
	unsigned int lens[MAX_WORDS], n;
	enum kind kind;
	uint32_t count;

	if (magic != MB_BOOTLOADER_MAGIC || !(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		usage("no Multiboot command line");
	n = split_words((const char *)(uintptr_t)mbi->cmdline, words, lens);
	if (n < 2)
		usage("too few words");
	kind = parse_kind(words[n - 2], lens[n - 2]);
	count = parse_count(words[n - 1], lens[n - 1]);
	printf("exitloop: %s %u\n", kind_names[kind], count);
	switch (kind) {
	case KIND_PIO:
		loop_pio(count);
		break;
	case KIND_MMIO:
		loop_mmio(count);
		break;
	case KIND_HCALL:
		loop_hcall(count);
		break;
	}
	printf("exitloop: done\n");
	debug_exit(EXIT_DONE);
}
