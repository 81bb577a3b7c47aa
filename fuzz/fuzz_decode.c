/* The decoder front end (src/engine/softcpu/decode.c: Zydis output turned into
 * struct insn) and interp's blocks (src/engine/interp/block.c) on random bytes, in
 * every CPU mode, at every page offset and at the edges of the fetch window and of
 * RAM.
 *
 * Input: mode, page offset, layout, then the code bytes:
 *   [0]    CPU mode (enum cpu_mode, modulo MODE_COUNT)
 *   [1..2] offset of the first byte in the code page (little endian, 12 bits)
 *   [3]    layout: bits 0-1 what follows the code page (0 RAM, 1 the end of RAM,
 *          2 a not-present page, 3 a page mapped to the MMIO hole; 2 and 3 need
 *          paging), bit 2 paging in the protected modes (long modes always
 *          page, real mode never), bit 3 the code ends exactly at the page end,
 *          bit 4 the code page itself is not RAM
 *   [4..]  code, up to a page and an instruction
 *
 * Guest RAM is mapped exactly with guard pages (fuzz/support/guarded_ram.c), so
 * a read past RAM faults even inside libZydis. Blocks are decoded one after the
 * other, as the vCPU would fetch them, until the code is used up. Invariants: a
 * block is never empty (the vCPU would spin at one RIP); an instruction never
 * extends past the bytes the decoder had (the page, or the page and the next
 * for a lone page-crossing instruction); its length is Zydis's.
 *
 * Every instruction Zydis decodes that ends up on the "not implemented" #UD
 * path and that the CPU model advertises (docs/cpu-model.md) is printed once
 * per process and mode, "UNIMPLEMENTED: MNEMONIC (ISA set) mode N", on stderr.
 * If FUZZ_DECODE_REPORT names a file, those lines are appended to it, with the
 * unimplemented instructions the model does not advertise ("not in the model").
 * fuzz/seeds/decode.py --full writes inputs that sweep every opcode. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "engine/softcpu/block.h"
#include "engine/softcpu/cpu.h"
#include "engine/softcpu/dispatch.h"
#include "engine/softcpu/mem.h"
#include "support/guarded_ram.h"
#include "x86/arch.h"
#include "x86/cpu_model.h"
#include "x86/descriptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE 4096ull
/* Page tables from gpa 0 (at most four pages), then the code page and the next. */
#define PT_BASE 0x0000ull
#define CODE 0x5000ull
#define NEXT (CODE + PAGE)
#define MMIO_GPA 0xfee00000ull
#define HEADER 4
#define MAX_CODE (PAGE + ZYDIS_MAX_INSTRUCTION_LENGTH)

enum next_page { NEXT_RAM, NEXT_END_OF_RAM, NEXT_NOT_PRESENT, NEXT_MMIO };

/* Two RAMs: one that goes on after the code page, one that ends with it. */
static struct guarded_ram ram_long, ram_short;
/* The interp engine's vCPU, whose block builder is fuzzed, and its soft CPU. */
static struct block_vcpu *vcpu;
static struct soft_cpu *cpu;
static ZydisDecoder zydis[MODE_COUNT];

static void finding(const char *what, unsigned mode, uint64_t gpa)
{
	fprintf(stderr, "FINDING: decoder: %s (mode %u, gpa 0x%llx)\n", what, mode, (unsigned long long)gpa);
	abort();
}

static void setup(void)
{
	static const struct guarded_region lng = { 0, NEXT + PAGE }, shrt = { 0, NEXT };
	static const struct {
		ZydisMachineMode machine;
		ZydisStackWidth stack;
	} modes[MODE_COUNT] = {
		[MODE_REAL] = { ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16 },
		[MODE_PROT16] = { ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16 },
		[MODE_PROT32] = { ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32 },
		[MODE_LONG_COMPAT16] = { ZYDIS_MACHINE_MODE_LONG_COMPAT_16, ZYDIS_STACK_WIDTH_16 },
		[MODE_LONG_COMPAT32] = { ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32 },
		[MODE_LONG64] = { ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64 },
	};

	guarded_ram_init(&ram_long, &lng, 1);
	guarded_ram_init(&ram_short, &shrt, 1);
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		abort();
	cpu = &vcpu->cpu;
	/* The baseline: what advertised() below lists. */
	cpu->model = cpu_model_find("baseline");
	vcpu->decode_scratch = decode_scratch_new();
	for (int m = 0; m < MODE_COUNT; m++)
		ZydisDecoderInit(&zydis[m], modes[m].machine, modes[m].stack);
}

static void put(struct guarded_ram *r, uint64_t gpa, uint64_t v, unsigned size)
{
	memcpy(guarded_ram_ptr(r, gpa, size), &v, size);
}

/* Page tables mapping CODE to itself and NEXT as the layout says: 4-level for
 * long mode, 32-bit paging otherwise. */
static uint64_t build_page_tables(struct guarded_ram *r, bool four_level, enum next_page next)
{
	const uint64_t flags = PTE_P | PTE_W | PTE_U;
	uint64_t next_pte = next == NEXT_NOT_PRESENT ? 0 : (next == NEXT_MMIO ? MMIO_GPA : NEXT) | flags;
	uint64_t pt;

	memset(guarded_ram_ptr(r, PT_BASE, 4 * PAGE), 0, 4 * PAGE);
	if (four_level) {
		put(r, PT_BASE, (PT_BASE + PAGE) | flags, 8);
		put(r, PT_BASE + PAGE, (PT_BASE + 2 * PAGE) | flags, 8);
		put(r, PT_BASE + 2 * PAGE, (PT_BASE + 3 * PAGE) | flags, 8);
		pt = PT_BASE + 3 * PAGE;
		put(r, pt + (CODE >> 12) * 8, CODE | flags, 8);
		put(r, pt + (NEXT >> 12) * 8, next_pte, 8);
	} else {
		put(r, PT_BASE, (PT_BASE + PAGE) | flags, 4);
		pt = PT_BASE + PAGE;
		put(r, pt + (CODE >> 12) * 4, CODE | flags, 4);
		put(r, pt + (NEXT >> 12) * 4, next_pte, 4);
	}
	return PT_BASE;
}

/* The vCPU in mode at CPL 0, with or without paging; CS base 0. */
static void set_mode(unsigned mode, bool paging, uint64_t cr3)
{
	bool lng = mode >= MODE_LONG_COMPAT16;

	memset(&cpu->seg, 0, sizeof(cpu->seg));
	x86_segment_flat(&cpu->seg[SREG_CS], 8, SEG_TYPE_CODE_RX_ACCESSED,
			 mode == MODE_PROT32 || mode == MODE_LONG_COMPAT32, mode == MODE_LONG64);
	cpu->rflags = RFLAGS_FIXED;
	cpu->cr0 = mode == MODE_REAL ? CR0_ET : CR0_PE | CR0_ET | (paging ? CR0_PG : 0);
	cpu->cr3 = cr3;
	cpu->cr4 = lng ? CR4_PAE : 0;
	cpu->efer = lng ? EFER_LME | EFER_LMA : 0;
	cpu_update_mode(cpu);
	tlb_flush(cpu, false);
	if (cpu->mode != mode)
		finding("the harness did not reach the mode it asked for", mode, 0);
}

static bool advertised(const ZydisDecodedInstruction *zi, unsigned mode)
{
	if (zi->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
		return false; /* VEX, EVEX, XOP, 3DNow!, MVEX */
	switch (zi->meta.isa_set) {
	case ZYDIS_ISA_SET_I86:
	case ZYDIS_ISA_SET_I186:
	case ZYDIS_ISA_SET_I286REAL:
	case ZYDIS_ISA_SET_I286PROTECTED:
	case ZYDIS_ISA_SET_I386:
	case ZYDIS_ISA_SET_I486REAL:
	case ZYDIS_ISA_SET_I486:
	case ZYDIS_ISA_SET_PENTIUMREAL:
	case ZYDIS_ISA_SET_PPRO:
	case ZYDIS_ISA_SET_CMOV:
	case ZYDIS_ISA_SET_FCMOV:
	case ZYDIS_ISA_SET_X87:
	case ZYDIS_ISA_SET_FXSAVE:
	case ZYDIS_ISA_SET_FXSAVE64:
	case ZYDIS_ISA_SET_SSE:
	case ZYDIS_ISA_SET_SSE2:
	case ZYDIS_ISA_SET_PENTIUMMMX:
	case ZYDIS_ISA_SET_SSE2MMX:
	case ZYDIS_ISA_SET_SSEMXCSR:
	case ZYDIS_ISA_SET_SSE_PREFETCH:
	case ZYDIS_ISA_SET_CLFSH:
	case ZYDIS_ISA_SET_LONGMODE:
	case ZYDIS_ISA_SET_PAUSE:
	case ZYDIS_ISA_SET_FAT_NOP:
	case ZYDIS_ISA_SET_PREFETCH_NOP:
	case ZYDIS_ISA_SET_RDPMC:
		return true;
	case ZYDIS_ISA_SET_LAHF: /* LAHF/SAHF in 64-bit mode: CPUID 0x80000001 ECX bit 0, clear */
		return mode != MODE_LONG64;
	default:
		return false;
	}
}

static void report_unimplemented(const ZydisDecodedInstruction *zi, unsigned mode, bool in_model)
{
	static bool seen[MODE_COUNT][ZYDIS_MNEMONIC_MAX_VALUE + 1][ZYDIS_ISA_SET_MAX_VALUE + 1];
	const char *path = getenv("FUZZ_DECODE_REPORT");
	const char *what = in_model ? "UNIMPLEMENTED" : "not in the model";
	FILE *f;

	if (seen[mode][zi->mnemonic][zi->meta.isa_set])
		return;
	seen[mode][zi->mnemonic][zi->meta.isa_set] = true;
	if (in_model)
		fprintf(stderr, "%s: %s (%s) mode %u\n", what, ZydisMnemonicGetString(zi->mnemonic),
			ZydisISASetGetString(zi->meta.isa_set), mode);
	if (path && (f = fopen(path, "a"))) {
		fprintf(f, "%s: %s (%s) mode %u\n", what, ZydisMnemonicGetString(zi->mnemonic),
			ZydisISASetGetString(zi->meta.isa_set), mode);
		fclose(f);
	}
}

/* The bytes the decoder could fetch for an instruction at gpa: to the end of its
 * page, and on into the next page when the instruction is alone and the next
 * page is RAM. */
struct window {
	uint8_t bytes[PAGE + ZYDIS_MAX_INSTRUCTION_LENGTH];
	size_t len;
};

/* Checks one instruction of a block against Zydis decoding the same bytes. */
static void check_insn(const struct insn *in, const uint8_t *bytes, size_t avail, unsigned mode, uint64_t gpa)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanStatus st = ZydisDecoderDecodeFull(&zydis[mode], bytes, avail, &zi, zops);
	bool ok = ZYAN_SUCCESS(st);
	/* Invalid bytes are #UD; an instruction over 15 bytes is #GP(0). */
	void (*refused)(struct soft_cpu *, const struct insn *) =
	    st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG ? h_gp0 : h_ud;
	const struct dispatch_entry *d;

	if (in->len < 1 || in->len > ZYDIS_MAX_INSTRUCTION_LENGTH || in->len > avail)
		finding("an instruction longer than the bytes fetched", mode, gpa);
	if (!ok) {
		if (in->fn != refused || in->len != 1)
			finding("bytes Zydis rejects reach a handler other than #UD (#GP if too long)", mode, gpa);
		return;
	}
	if (in->fn != h_ud) {
		if (in->len != zi.length)
			finding("an instruction's length differs from Zydis's", mode, gpa);
		return;
	}
	if ((zi.attributes & ZYDIS_ATTRIB_HAS_LOCK) && !(zi.attributes & ZYDIS_ATTRIB_ACCEPTS_LOCK))
		return; /* LOCK where it is not allowed: #UD is right */
	d = dispatch_find_decoded(&zi, zops);
	if (d && d->fn == h_ud)
		return; /* dispatched to #UD on purpose */
	report_unimplemented(&zi, mode, advertised(&zi, mode));
}

/* The page of a block's last byte: the next one only for a lone
 * instruction that crosses into it (the fuzzer's blocks are no traces). */
static uint64_t last_page(const struct block *b)
{
	return b->crosses ? b->pages[1].gpa : b->gpa & ~0xfffull;
}

static void check_block(const struct block *b, uint64_t gpa, const uint8_t *page, enum next_page next, unsigned mode)
{
	bool next_is_ram = next == NEXT_RAM;
	uint64_t next_gpa = next == NEXT_MMIO ? MMIO_GPA : NEXT;
	unsigned off = (unsigned)(gpa & 0xfff);
	bool crosses = last_page(b) != (gpa & ~0xfffull);
	uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];

	if (b->count == 0)
		finding("an empty block: the vCPU would spin at one RIP", mode, gpa);
	if (b->gpa != gpa || b->mode != mode || !b->valid)
		finding("a block that does not describe its address and mode", mode, gpa);
	if (crosses && (b->count != 1 || last_page(b) != next_gpa))
		finding("a page-crossing block that is not one instruction", mode, gpa);
	for (unsigned i = 0; i < b->count; i++) {
		const struct insn *in = &b->insns[i];

		if (off >= PAGE)
			finding("a block goes on past its page", mode, gpa);
		if (crosses) {
			size_t first = PAGE - off;

			/* Beyond RAM the bus reads all ones. */
			memcpy(buf, page + off, first);
			if (next_is_ram)
				memcpy(buf + first, page + PAGE, sizeof(buf) - first);
			else
				memset(buf + first, 0xff, sizeof(buf) - first);
			check_insn(in, buf, sizeof(buf), mode, gpa);
		} else {
			check_insn(in, page + off, PAGE - off, mode, gpa);
		}
		off += in->len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode, off, layout;
	enum next_page next;
	bool paging, page_is_ram;
	struct guarded_ram *r;
	size_t len;
	uint64_t gpa, end;

	if (!cpu)
		setup();
	if (size < HEADER)
		return 0;
	mode = data[0] % MODE_COUNT;
	off = (data[1] | data[2] << 8) & 0xfff;
	layout = data[3];
	next = (enum next_page)(layout & 3);
	paging = mode >= MODE_LONG_COMPAT16 || (mode != MODE_REAL && (layout & 4));
	if (!paging && next >= NEXT_NOT_PRESENT)
		next = NEXT_END_OF_RAM;
	page_is_ram = !(layout & 16);
	len = size - HEADER < MAX_CODE ? size - HEADER : MAX_CODE;
	if (layout & 8)
		off = (unsigned)(len >= PAGE ? 0 : PAGE - len);
	r = next == NEXT_RAM ? &ram_long : &ram_short;

	/* The code page and (if RAM) the next: code, then HLTs, which end a block. */
	memset(guarded_ram_ptr(r, CODE, PAGE), 0xf4, PAGE);
	if (next == NEXT_RAM)
		memset(guarded_ram_ptr(r, NEXT, PAGE), 0xf4, PAGE);
	if (len > PAGE - off && next != NEXT_RAM)
		len = PAGE - off; /* the rest would be beyond RAM */
	memcpy(guarded_ram_ptr(r, CODE + off, len), data + HEADER, len);
	cpu->mem = &r->mem;
	set_mode(mode, paging, paging ? build_page_tables(r, mode >= MODE_LONG_COMPAT16, next) : 0);

	if (!page_is_ram) {
		struct block *b = decode_block(vcpu, MMIO_GPA + off, MMIO_GPA + off);

		if (b->count != 1 || b->insns[0].fn != h_ud)
			finding("code outside RAM does not raise #UD", mode, MMIO_GPA + off);
		free(b);
		return 0;
	}
	/* Decode block after block, as the vCPU fetches them, to the end of the code. */
	gpa = CODE + off;
	end = CODE + off + len;
	/* Blocks that start on the code page; the next page is tested as a code page
	 * of its own by other inputs. */
	if (end > NEXT)
		end = NEXT;
	for (unsigned n = 0; n < PAGE && gpa < end; n++) {
		const uint8_t *page = guarded_ram_ptr(r, CODE, PAGE);
		struct block *b;
		uint64_t used = 0;

		if (setjmp(cpu->unwind))
			break; /* a fetch fault on the next page: the vCPU would take it */
		b = decode_block(vcpu, gpa, gpa);
		check_block(b, gpa, page, next, mode);
		for (unsigned i = 0; i < b->count; i++)
			used += b->insns[i].len;
		if (last_page(b) != CODE)
			gpa = end; /* the next instruction is on the next page */
		gpa += used;
		free(b);
	}
	return 0;
}
