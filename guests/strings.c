/* String instructions: REP MOVS/STOS/LODS, REPE CMPS, REPNE SCAS at every
 * width, DF=1, overlapping moves, RCX=0, the 32-bit address size, and REP
 * MOVS/STOS that page-fault midway, which must stop with RCX, RSI and RDI
 * at the faulting element and the earlier elements stored (Intel SDM vol.
 * 2B, REP/REPE/REPNE: "the state of the registers is preserved to allow
 * the string operation to be resumed").
 *
 * The same checks run twice, at CPL 0 and at CPL 3 (on the kvm engine the
 * first is the host's instruction emulator, the second real hardware).
 * CPL 3 code cannot print, so the checks are printed afterwards
 * (deferred.h). Status 1 through the debug exit if every check
 * passed. */
#include <stdint.h>

#include "deferred.h"
#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"

/* Two 4 KiB pages per fault test: the second (or the first, going down)
 * is made not present. */
#define FAULT_AREA 0x1800000ull
#define FAULT_PAGE_OK (FAULT_AREA + PAGE_SIZE)
#define FAULT_PAGE_ABSENT_UP (FAULT_AREA + 2 * PAGE_SIZE)
#define FAULT_PAGE_ABSENT_DOWN FAULT_AREA

struct sregs {
	uint64_t rsi, rdi, rcx, rax, rflags;
};

/* Registers at the last #PF (recorded by the kernel's handler). */
static volatile struct sregs pf_regs;
static volatile uint64_t pf_rip, pf_cr2;

/* Runs one string instruction with RSI, RDI, RCX, RAX and RFLAGS from r,
 * and stores them back afterwards. */
#define STRING_OP(fn, insn)                                                                                            \
	static void fn(struct sregs *r)                                                                                \
	{                                                                                                              \
		__asm__ volatile("pushq %4\n\tpopfq\n\t" insn "\n\t"                                                   \
				 "pushfq\n\tpopq %4\n\tcld"                                                            \
				 : "+S"(r->rsi), "+D"(r->rdi), "+c"(r->rcx), "+a"(r->rax), "+r"(r->rflags)             \
				 :                                                                                     \
				 : "memory", "cc");                                                                    \
	}

STRING_OP(rep_movsb, "rep movsb")
STRING_OP(rep_movsw, "rep movsw")
STRING_OP(rep_movsl, "rep movsl")
STRING_OP(rep_movsq, "rep movsq")
STRING_OP(rep_stosb, "rep stosb")
STRING_OP(rep_stosw, "rep stosw")
STRING_OP(rep_stosl, "rep stosl")
STRING_OP(rep_stosq, "rep stosq")
STRING_OP(rep_lodsb, "rep lodsb")
STRING_OP(lodsw, "lodsw")
STRING_OP(lodsq, "lodsq")
STRING_OP(repe_cmpsb, "repe cmpsb")
STRING_OP(repe_cmpsw, "repe cmpsw")
STRING_OP(repe_cmpsq, "repe cmpsq")
STRING_OP(repne_scasb, "repne scasb")
STRING_OP(repne_scasl, "repne scasl")
STRING_OP(repne_scasq, "repne scasq")
STRING_OP(cmpsl, "cmpsl")
/* 67 F3 A4: REP MOVSB with the 32-bit address size (ECX, ESI, EDI). */
STRING_OP(addr32_rep_movsb, ".byte 0x67, 0xf3, 0xa4")

/* The same, for instructions that should fault: the #PF handler records
 * the registers and the trap handler resumes after the instruction. */
#define FAULTING_STRING_OP(fn, insn)                                                                                   \
	static void fn(struct sregs *r)                                                                                \
	{                                                                                                              \
		__asm__ volatile(TRAP_RESUME_AT_1F "pushq %4\n\tpopfq\n\t" insn "\n1:\tcld"                            \
				 : "+S"(r->rsi), "+D"(r->rdi), "+c"(r->rcx), "+a"(r->rax), "+r"(r->rflags)             \
				 :                                                                                     \
				 : "memory", "cc");                                                                    \
	}

FAULTING_STRING_OP(faulting_rep_movsb, "rep movsb")
FAULTING_STRING_OP(faulting_rep_movsq, "rep movsq")
FAULTING_STRING_OP(faulting_rep_stosl, "rep stosl")

static uint8_t src[256] __attribute__((aligned(16)));
static uint8_t dst[256] __attribute__((aligned(16)));

static void fill_src(void)
{
	for (unsigned int i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	for (unsigned int i = 0; i < sizeof(dst); i++)
		dst[i] = 0xee;
}

/* 0 if the n bytes equal, else 1 + the first index that differs. */
static uint64_t bytes_differ(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i] != b[i])
			return i + 1;
	return 0;
}

static uint64_t all_bytes(const uint8_t *a, uint8_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i] != v)
			return i + 1;
	return 0;
}

static void check_movs(const char *name, void (*op)(struct sregs *), unsigned int size, unsigned int count)
{
	struct sregs r = { (uintptr_t)src + 8, (uintptr_t)dst + 8, count, 0, 0x2 };
	uint64_t bytes = (uint64_t)size * count;

	fill_src();
	op(&r);
	check_later(name,
		    bytes_differ(src + 8, dst + 8, bytes) | (uint64_t)(dst[8 + bytes] != 0xee) << 32 |
			(uint64_t)(dst[7] != 0xee) << 33,
		    0);
	check_later(name, r.rsi - (uintptr_t)src, 8 + bytes);
	check_later(name, r.rdi - (uintptr_t)dst, 8 + bytes);
	check_later(name, r.rcx, 0);
}

/* DF=1: from the last element down to the first. */
static void check_movs_down(const char *name, void (*op)(struct sregs *), unsigned int size, unsigned int count)
{
	uint64_t bytes = (uint64_t)size * count;
	struct sregs r = { (uintptr_t)src + 16 + bytes - size, (uintptr_t)dst + 16 + bytes - size, count, 0,
			   0x2 | FL_DF };

	fill_src();
	op(&r);
	check_later(name,
		    bytes_differ(src + 16, dst + 16, bytes) | (uint64_t)(dst[16 + bytes] != 0xee) << 32 |
			(uint64_t)(dst[15] != 0xee) << 33,
		    0);
	check_later(name, r.rsi - (uintptr_t)src, 16 - size);
	check_later(name, r.rdi - (uintptr_t)dst, 16 - size);
	check_later(name, r.rcx, 0);
	check_later(name, r.rflags & FL_DF, FL_DF);
}

static void check_moves(void)
{
	struct sregs r;

	check_movs("REP MOVSB, 37 bytes", rep_movsb, 1, 37);
	check_movs("REP MOVSW, 19 words", rep_movsw, 2, 19);
	check_movs("REP MOVSD, 13 doublewords", rep_movsl, 4, 13);
	check_movs("REP MOVSQ, 7 quadwords", rep_movsq, 8, 7);
	check_movs_down("REP MOVSB, DF=1", rep_movsb, 1, 37);
	check_movs_down("REP MOVSW, DF=1", rep_movsw, 2, 19);
	check_movs_down("REP MOVSD, DF=1", rep_movsl, 4, 13);
	check_movs_down("REP MOVSQ, DF=1", rep_movsq, 8, 7);

	/* RCX=0: nothing moves, RSI and RDI stay. */
	fill_src();
	r = (struct sregs){ (uintptr_t)src, (uintptr_t)dst, 0, 0, 0x2 };
	rep_movsq(&r);
	check_later("REP MOVSQ with RCX=0 does nothing",
		    (r.rsi - (uintptr_t)src) | (r.rdi - (uintptr_t)dst) | all_bytes(dst, 0xee, 16), 0);

	/* Overlapping, destination one byte up, DF=0: element by element,
	 * so the first byte repeats. */
	for (unsigned int i = 0; i < 10; i++)
		dst[i] = (uint8_t)('0' + i);
	r = (struct sregs){ (uintptr_t)dst, (uintptr_t)dst + 1, 8, 0, 0x2 };
	rep_movsb(&r);
	check_later("REP MOVSB overlapping upwards repeats the first byte",
		    all_bytes(dst, '0', 9) | (uint64_t)(dst[9] != '9') << 32, 0);
	/* Destination three bytes up, 200 bytes (more than one host copy can
	 * take at once): element by element, the first three bytes repeat. */
	for (unsigned int i = 0; i < 256; i++)
		dst[i] = (uint8_t)i;
	r = (struct sregs){ (uintptr_t)dst, (uintptr_t)dst + 3, 200, 0, 0x2 };
	rep_movsb(&r);
	{
		uint64_t wrong = 0;

		for (unsigned int i = 0; i < 203; i++)
			wrong += dst[i] != i % 3;
		wrong += dst[203] != 203;
		check_later("REP MOVSB 3 bytes upwards repeats the first three", wrong, 0);
	}
	/* The same with DF=1 from the top: a correct memmove. */
	for (unsigned int i = 0; i < 10; i++)
		dst[i] = (uint8_t)('0' + i);
	r = (struct sregs){ (uintptr_t)dst + 7, (uintptr_t)dst + 8, 8, 0, 0x2 | FL_DF };
	rep_movsb(&r);
	check_later("REP MOVSB overlapping, DF=1, shifts up by one",
		    bytes_differ(dst, (const uint8_t *)"0012345679", 10), 0);

	/* 32-bit address size: the count is ECX, the upper half ignored. */
	fill_src();
	r = (struct sregs){ (uintptr_t)src, (uintptr_t)dst, 0x100000003ull, 0, 0x2 };
	addr32_rep_movsb(&r);
	check_later("67h REP MOVSB counts with ECX only",
		    bytes_differ(src, dst, 3) | (uint64_t)(dst[3] != 0xee) << 32 | (uint32_t)r.rcx, 0);
	check_later("67h REP MOVSB advances ESI and EDI",
		    ((uint32_t)r.rsi - (uint32_t)(uintptr_t)src) << 8 | ((uint32_t)r.rdi - (uint32_t)(uintptr_t)dst),
		    0x303);
}

static void check_stos(const char *name, void (*op)(struct sregs *), unsigned int size, unsigned int count,
		       uint64_t rflags)
{
	uint64_t bytes = (uint64_t)size * count;
	uint64_t start = rflags & FL_DF ? (uintptr_t)dst + 8 + bytes - size : (uintptr_t)dst + 8;
	struct sregs r = { 0, start, count, 0x8877665544332211ull, rflags };
	uint64_t bad = 0;

	fill_src();
	op(&r);
	for (uint64_t i = 0; i < bytes; i++)
		if (dst[8 + i] != (uint8_t)(0x8877665544332211ull >> (8 * (i % size))))
			bad = i + 1;
	check_later(name, bad | (uint64_t)(dst[8 + bytes] != 0xee) << 32 | (uint64_t)(dst[7] != 0xee) << 33, 0);
	check_later(name, r.rdi, rflags & FL_DF ? (uintptr_t)dst + 8 - size : (uintptr_t)dst + 8 + bytes);
	check_later(name, r.rcx, 0);
}

static void check_stores_and_loads(void)
{
	struct sregs r;

	check_stos("REP STOSB", rep_stosb, 1, 21, 0x2);
	check_stos("REP STOSW", rep_stosw, 2, 11, 0x2);
	check_stos("REP STOSD", rep_stosl, 4, 9, 0x2);
	check_stos("REP STOSQ", rep_stosq, 8, 5, 0x2);
	check_stos("REP STOSD, DF=1", rep_stosl, 4, 9, 0x2 | FL_DF);
	check_stos("REP STOSQ, DF=1", rep_stosq, 8, 5, 0x2 | FL_DF);

	fill_src();
	r = (struct sregs){ (uintptr_t)src, 0, 5, ~0ull, 0x2 };
	rep_lodsb(&r);
	check_later("REP LODSB leaves the last byte in AL", r.rax, 0xffffffffffffff00ull | src[4]);
	check_later("REP LODSB: RSI and RCX", (r.rsi - (uintptr_t)src) << 8 | r.rcx, 5 << 8);
	r = (struct sregs){ (uintptr_t)src + 8, 0, 0, 0, 0x2 | FL_DF };
	lodsw(&r);
	check_later("LODSW with DF=1", r.rax << 8 | (r.rsi - (uintptr_t)src),
		    (uint64_t)(src[8] | src[9] << 8) << 8 | 6);
	r = (struct sregs){ (uintptr_t)src, 0, 0, 0, 0x2 };
	lodsq(&r);
	check_later("LODSQ", r.rax, *(const uint64_t *)src);
}

static void check_compares(void)
{
	static const uint8_t a[16] = "abcdefghijklmno";
	static const uint8_t b[16] = "abcdeZghijklmno";
	static const uint64_t qa[4] = { 1, 2, 3, 4 }, qb[4] = { 1, 2, 3, 4 };
	static const uint32_t words[8] = { 10, 20, 30, 40, 50, 60, 70, 80 };
	struct sregs r;

	/* 'f' > 'Z': stops after index 5 with ZF=0, CF=0. */
	r = (struct sregs){ (uintptr_t)a, (uintptr_t)b, 15, 0, 0x2 };
	repe_cmpsb(&r);
	check_later("REPE CMPSB stops after the first difference",
		    (r.rsi - (uintptr_t)a) << 16 | (r.rdi - (uintptr_t)b) << 8 | r.rcx, 6 << 16 | 6 << 8 | 9);
	check_later("REPE CMPSB: flags of 'f' - 'Z'", r.rflags & FL_ARITH, FL_PF | FL_AF);
	r = (struct sregs){ (uintptr_t)b, (uintptr_t)a, 15, 0, 0x2 };
	repe_cmpsb(&r);
	check_later("REPE CMPSB: flags of 'Z' - 'f'", r.rflags & FL_ARITH, FL_CF | FL_SF);
	r = (struct sregs){ (uintptr_t)qa, (uintptr_t)qb, 4, 0, 0x2 };
	repe_cmpsq(&r);
	check_later("REPE CMPSQ over equal data runs out with ZF=1",
		    (r.rsi - (uintptr_t)qa) << 16 | r.rcx << 8 | (r.rflags & FL_ZF), 32 << 16 | FL_ZF);
	r = (struct sregs){ (uintptr_t)a + 14, (uintptr_t)b + 14, 15, 0, 0x2 | FL_DF };
	repe_cmpsw(&r);
	/* From the top pairwise: "no"/"no", "lm"/"lm", ... "eZ"/"ef" at
	 * offsets 4-5 differ: the 6th comparison. */
	check_later("REPE CMPSW, DF=1, stops at the differing word", (a + 14 - (const uint8_t *)r.rsi) << 8 | r.rcx,
		    12 << 8 | 9);

	/* RCX=0: no comparison, so the flags stay as they were. */
	r = (struct sregs){ (uintptr_t)a, (uintptr_t)b, 0, 0, 0x2 | FL_CF | FL_ZF | FL_OF };
	repe_cmpsb(&r);
	check_later("REPE CMPSB with RCX=0 leaves the flags", r.rflags & FL_ARITH, FL_CF | FL_ZF | FL_OF);

	r = (struct sregs){ 0, (uintptr_t)a, 16, 'h', 0x2 };
	repne_scasb(&r);
	check_later("REPNE SCASB stops after the match with ZF=1",
		    (r.rdi - (uintptr_t)a) << 16 | r.rcx << 8 | (r.rflags & FL_ZF), 8 << 16 | 8 << 8 | FL_ZF);
	r = (struct sregs){ 0, (uintptr_t)a, 15, 'z', 0x2 };
	repne_scasb(&r);
	check_later("REPNE SCASB without a match runs out with ZF=0",
		    (r.rdi - (uintptr_t)a) << 16 | r.rcx << 8 | (r.rflags & FL_ZF), 15 << 16);
	r = (struct sregs){ 0, (uintptr_t)words, 8, 0xffffffff00000032ull, 0x2 };
	repne_scasl(&r);
	check_later("REPNE SCASD compares EAX only", (r.rdi - (uintptr_t)words) << 8 | r.rcx, 20 << 8 | 3);
	r = (struct sregs){ 0, (uintptr_t)qa, 4, 3, 0x2 };
	repne_scasq(&r);
	check_later("REPNE SCASQ", (r.rdi - (uintptr_t)qa) << 8 | r.rcx, 24 << 8 | 1);
	/* 10 - 20 as doublewords: borrow, negative. */
	r = (struct sregs){ (uintptr_t)words, (uintptr_t)words + 4, 0, 0, 0x2 };
	cmpsl(&r);
	check_later("CMPSD without REP: flags of 10 - 20", r.rflags & FL_ARITH, FL_CF | FL_SF | FL_PF);
}

/* --- page faults midway ------------------------------------------------- */

static void record_pf(struct trap_frame *f)
{
	pf_regs.rsi = f->rsi;
	pf_regs.rdi = f->rdi;
	pf_regs.rcx = f->rcx;
	pf_rip = f->rip;
	pf_cr2 = read_cr2();
	f->rip = trap_resume;
	trap_resume = 0;
}

static void check_faults(void)
{
	uint8_t *ok = (uint8_t *)FAULT_PAGE_OK;
	uint64_t *q = (uint64_t *)FAULT_PAGE_OK;
	struct sregs r;

	/* MOVSB into the absent page above: 16 of 40 bytes fit. */
	fill_src();
	pf_cr2 = 0;
	r = (struct sregs){ (uintptr_t)src, FAULT_PAGE_ABSENT_UP - 16, 40, 0, 0x2 };
	faulting_rep_movsb(&r);
	check_later("REP MOVSB faulting midway: CR2", pf_cr2, FAULT_PAGE_ABSENT_UP);
	check_later("REP MOVSB faulting midway: RCX, RSI, RDI",
		    pf_regs.rcx << 48 | (pf_regs.rsi - (uintptr_t)src) << 32 |
			(pf_regs.rdi - (FAULT_PAGE_ABSENT_UP - 16)),
		    24ull << 48 | 16ull << 32 | 16);
	check_later("REP MOVSB faulting midway: earlier bytes stored", bytes_differ(src, ok + PAGE_SIZE - 16, 16), 0);

	/* MOVSQ reading from the absent page: 3 of 8 quadwords. */
	for (unsigned int i = 0; i < 3; i++)
		q[PAGE_SIZE / 8 - 3 + i] = 0x1111111111111111ull * (i + 1);
	r = (struct sregs){ FAULT_PAGE_ABSENT_UP - 24, (uintptr_t)dst, 8, 0, 0x2 };
	faulting_rep_movsq(&r);
	check_later("REP MOVSQ faulting on the source: CR2", pf_cr2, FAULT_PAGE_ABSENT_UP);
	check_later("REP MOVSQ faulting on the source: RCX, RSI, RDI",
		    pf_regs.rcx << 48 | (pf_regs.rsi - (FAULT_PAGE_ABSENT_UP - 24)) << 32 |
			(pf_regs.rdi - (uintptr_t)dst),
		    5ull << 48 | 24ull << 32 | 24);
	check_later("REP MOVSQ faulting on the source: earlier quadwords",
		    (((uint64_t *)dst)[0] ^ 0x1111111111111111ull) | (((uint64_t *)dst)[2] ^ 0x3333333333333333ull), 0);

	/* STOSD downwards into the absent page below: 2 of 6 fit. */
	r = (struct sregs){ 0, FAULT_PAGE_OK + 4, 6, 0xabcd1234, 0x2 | FL_DF };
	faulting_rep_stosl(&r);
	check_later("REP STOSD, DF=1, faulting midway: CR2", pf_cr2, FAULT_PAGE_OK - 4);
	check_later("REP STOSD, DF=1, faulting midway: RCX, RDI", pf_regs.rcx << 48 | (FAULT_PAGE_OK + 4 - pf_regs.rdi),
		    4ull << 48 | 8);
	check_later("REP STOSD, DF=1, faulting midway: earlier doublewords",
		    (((uint32_t *)ok)[0] ^ 0xabcd1234) | (((uint32_t *)ok)[1] ^ 0xabcd1234), 0);
}

static uint64_t run_all(uint64_t arg)
{
	(void)arg;
	check_moves();
	check_stores_and_loads();
	check_compares();
	check_faults();
	return 0;
}

int main(void)
{
	kernel64_init();
	printf("String instruction tests\n");
	paging64_pte(FAULT_AREA);
	*paging64_pte(FAULT_PAGE_ABSENT_UP) = 0;
	*paging64_pte(FAULT_PAGE_ABSENT_DOWN) = 0;
	write_cr3(read_cr3());
	trap_set_handler(VEC_PF, record_pf);

	run_all(0);
	print_checks("CPL 0");
	user_call(run_all, 0);
	print_checks("CPL 3");
	test_done();
}
