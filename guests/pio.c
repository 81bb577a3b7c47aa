/* Port I/O of every width and form: the UART scratch register, reads and
 * ignored writes on ports no device claims (all ones, docs/guest-abi.md),
 * `rep ins` of each width, also downwards and across a page boundary, and
 * `rep outs`. Status 1 through the debug exit if every check passed. */
#include <stdbool.h>
#include <stdint.h>

#include "io.h"
#include "test.h"
#include "uart.h"

/* Ports that, per docs/guest-abi.md, no device claims. UNBACKED_IMM is
 * reached with the imm8 forms of in/out, UNBACKED with the DX forms. */
#define UNBACKED 0x2f0
#define UNBACKED_IMM 0xe0

#define GUARD 0x5a
/* Destination of the string reads: starts 20 bytes before a page boundary,
 * so that every `rep ins` below crosses it. */
#define INS_OFFSET (4096 - 20)

static uint8_t page_pair[8192] __attribute__((aligned(4096)));

struct string_regs {
	uintptr_t di_or_si; /* final RDI (ins) or RSI (outs) */
	unsigned long cx;   /* final RCX */
};

static void test_scratch(void)
{
	outb(COM1_SCRATCH, 0xa5);
	expect_eq("UART scratch register holds 0xa5", inb(COM1_SCRATCH), 0xa5);
	outb(COM1_SCRATCH, 0x5a);
	expect_eq("UART scratch register holds 0x5a", inb(COM1_SCRATCH), 0x5a);
}

static void test_unbacked_reads(void)
{
	uint8_t b;
	uint16_t w;
	uint32_t l;

	expect_eq("inb from unbacked port 0x2f0 is 0xff", inb(UNBACKED), 0xff);
	expect_eq("inw from unbacked port 0x2f0 is 0xffff", inw(UNBACKED), 0xffff);
	expect_eq("inl from unbacked port 0x2f0 is 0xffffffff", inl(UNBACKED), 0xffffffff);
	__asm__ volatile("inb $0xe0, %0" : "=a"(b));
	expect_eq("inb from unbacked port 0xe0 (imm8) is 0xff", b, 0xff);
	__asm__ volatile("inw $0xe0, %0" : "=a"(w));
	expect_eq("inw from unbacked port 0xe0 (imm8) is 0xffff", w, 0xffff);
	__asm__ volatile("inl $0xe0, %0" : "=a"(l));
	expect_eq("inl from unbacked port 0xe0 (imm8) is 0xffffffff", l, 0xffffffff);
}

static void test_unbacked_writes(void)
{
	const char *name = "writes to unbacked ports are ignored";

	outb(UNBACKED, 0);
	outw(UNBACKED, 0);
	outl(UNBACKED, 0);
	__asm__ volatile("outb %0, $0xe0" : : "a"((uint8_t)0));
	__asm__ volatile("outw %0, $0xe0" : : "a"((uint16_t)0));
	__asm__ volatile("outl %0, $0xe0" : : "a"((uint32_t)0));
	if (inb(UNBACKED) == 0xff && inl(UNBACKED) == 0xffffffff && inl(UNBACKED_IMM) == 0xffffffff)
		pass(name);
	else
		fail(name, "a read after the writes was not all ones");
}

static struct string_regs rep_ins(int width, void *dst, unsigned long count)
{
	struct string_regs r = { (uintptr_t)dst, count };

	if (width == 1)
		__asm__ volatile("cld; rep insb" : "+D"(r.di_or_si), "+c"(r.cx) : "d"(UNBACKED) : "memory");
	else if (width == 2)
		__asm__ volatile("cld; rep insw" : "+D"(r.di_or_si), "+c"(r.cx) : "d"(UNBACKED) : "memory");
	else
		__asm__ volatile("cld; rep insl" : "+D"(r.di_or_si), "+c"(r.cx) : "d"(UNBACKED) : "memory");
	return r;
}

/* Checks that exactly [start, start + len) became 0xff, that the guard
 * bytes on either side are untouched, and the final RDI and RCX. */
static void check_filled(const char *name, size_t start, size_t len, const struct string_regs *r, uintptr_t want_di)
{
	for (size_t i = 0; i < len; i++) {
		if (page_pair[start + i] != 0xff) {
			fail(name, "byte %lu is 0x%x", (unsigned long)i, page_pair[start + i]);
			return;
		}
	}
	if (page_pair[start - 1] != GUARD || page_pair[start + len] != GUARD)
		fail(name, "a byte outside the buffer changed (0x%x, 0x%x)", page_pair[start - 1],
		     page_pair[start + len]);
	else if (r->cx != 0 || r->di_or_si != want_di)
		fail(name, "RCX = %lu, RDI = 0x%lx, want 0 and 0x%lx", r->cx, (unsigned long)r->di_or_si,
		     (unsigned long)want_di);
	else
		pass(name);
}

static void test_rep_ins(const char *name, int width, unsigned long count)
{
	uint8_t *dst = page_pair + INS_OFFSET;
	size_t len = (size_t)width * count;
	struct string_regs r;

	for (size_t i = 0; i < sizeof(page_pair); i++)
		page_pair[i] = GUARD;
	r = rep_ins(width, dst, count);
	check_filled(name, INS_OFFSET, len, &r, (uintptr_t)(dst + len));
}

/* With DF = 1 the string goes downwards from RDI: 5 bytes end at RDI. */
static void test_rep_insb_down(void)
{
	uint8_t *last = page_pair + INS_OFFSET + 4;
	struct string_regs r = { (uintptr_t)last, 5 };

	for (size_t i = 0; i < sizeof(page_pair); i++)
		page_pair[i] = GUARD;
	__asm__ volatile("std; rep insb; cld" : "+D"(r.di_or_si), "+c"(r.cx) : "d"(UNBACKED) : "memory");
	check_filled("rep insb with DF=1 fills 5 bytes downwards", INS_OFFSET, 5, &r,
		     (uintptr_t)(page_pair + INS_OFFSET - 1));
}

static void test_rep_outs(void)
{
	static const char text[] = "rep outs ok\n";
	static const uint8_t words[12];
	struct string_regs b = { (uintptr_t)text, sizeof(text) - 1 };
	struct string_regs w = { (uintptr_t)words, 3 };
	struct string_regs l = { (uintptr_t)words, 3 };

	/* No LSR polling: Ringvisor's UART takes every byte at once. */
	__asm__ volatile("cld; rep outsb" : "+S"(b.di_or_si), "+c"(b.cx) : "d"(COM1_BASE) : "memory");
	if (b.cx == 0 && b.di_or_si == (uintptr_t)text + sizeof(text) - 1)
		pass("rep outsb to the UART");
	else
		fail("rep outsb to the UART", "RCX = %lu, RSI = 0x%lx", b.cx, (unsigned long)b.di_or_si);
	__asm__ volatile("cld; rep outsw" : "+S"(w.di_or_si), "+c"(w.cx) : "d"(UNBACKED) : "memory");
	__asm__ volatile("cld; rep outsl" : "+S"(l.di_or_si), "+c"(l.cx) : "d"(UNBACKED) : "memory");
	if (w.cx == 0 && w.di_or_si == (uintptr_t)words + 6 && l.cx == 0 && l.di_or_si == (uintptr_t)words + 12)
		pass("rep outsw and outsd to an unbacked port");
	else
		fail("rep outsw and outsd to an unbacked port", "RCX = %lu/%lu, RSI advanced by %lu/%lu", w.cx, l.cx,
		     (unsigned long)(w.di_or_si - (uintptr_t)words), (unsigned long)(l.di_or_si - (uintptr_t)words));
}

int main(void)
{
	printf("Port I/O tests\n");
	test_scratch();
	test_unbacked_reads();
	test_unbacked_writes();
	test_rep_ins("rep insb fills 37 bytes with 0xff", 1, 37);
	test_rep_ins("rep insw fills 19 words with 0xffff", 2, 19);
	test_rep_ins("rep insd fills 13 dwords with 0xffffffff", 4, 13);
	test_rep_insb_down();
	test_rep_outs();
	test_done();
}
