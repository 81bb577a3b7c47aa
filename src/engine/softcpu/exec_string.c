/* String instructions with REP/REPE/REPNE: MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS.
 * A repeated instruction runs at most STRING_BATCH iterations per dispatch and then
 * runs again from the same address, so interrupts and exits are seen in between;
 * each iteration commits RCX/RSI/RDI, so it can be interrupted after any of them. */
#include <string.h>

#include "engine/softcpu/debug.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/io.h"
#include "engine/softcpu/replay.h"

#define STRING_BATCH 4096

enum string_op { S_MOVS, S_STOS, S_LODS, S_CMPS, S_SCAS, S_INS, S_OUTS };

/* I/O permission (io.c shares it with IN/OUT). */

static unsigned element_size(const struct insn *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_MOVSB:
	case ZYDIS_MNEMONIC_STOSB:
	case ZYDIS_MNEMONIC_LODSB:
	case ZYDIS_MNEMONIC_CMPSB:
	case ZYDIS_MNEMONIC_SCASB:
	case ZYDIS_MNEMONIC_INSB:
	case ZYDIS_MNEMONIC_OUTSB:
		return 1;
	case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_LODSW:
	case ZYDIS_MNEMONIC_CMPSW:
	case ZYDIS_MNEMONIC_SCASW:
	case ZYDIS_MNEMONIC_INSW:
	case ZYDIS_MNEMONIC_OUTSW:
		return 2;
	case ZYDIS_MNEMONIC_MOVSQ:
	case ZYDIS_MNEMONIC_STOSQ:
	case ZYDIS_MNEMONIC_LODSQ:
	case ZYDIS_MNEMONIC_CMPSQ:
	case ZYDIS_MNEMONIC_SCASQ:
		return 8;
	default:
		return 4;
	}
}

/* The host address of the page holding lin if the soft TLB has it for kind
 * (RAM only: no MMIO, no code page for writes, no watched page), else NULL. */
static uint8_t *tlb_host_page(struct soft_cpu *cpu, uint64_t lin, unsigned kind)
{
	const struct tlb_entry *e = tlb_find(cpu, lin, kind);

	if (!e)
		return NULL;
	return (uint8_t *)(uintptr_t)((lin & ~0xfffull) + e->host_minus_linear);
}

/* Whether the low size bytes of v are one byte repeated. */
static bool rax_bytes_alike(uint64_t v, unsigned size)
{
	uint64_t mask = size_mask(size);

	return (v & mask) == ((v & 0xff) * 0x0101010101010101ull & mask);
}

/* REP MOVS / REP STOS going up in 64-bit code, as many whole elements as lie
 * in the current page of the destination (and source) at once, by host
 * copies, where the soft TLB holds those pages: the result is the element-by-
 * element one (a destination ahead of the source within reach is copied in
 * steps no longer than their distance). Returns the elements done, at most
 * max; 0 when this cannot go in bulk (the caller steps one element). */
static uint64_t string_bulk(struct soft_cpu *cpu, enum string_op op, unsigned size, uint64_t max)
{
	uint64_t di = cpu->gpr[GPR_RDI], si = cpu->gpr[GPR_RSI], n = cpu->gpr[GPR_RCX];
	uint8_t *dst, *src = NULL;

	if (n > max)
		n = max;
	if ((4096 - (di & 0xfff)) / size < n)
		n = (4096 - (di & 0xfff)) / size;
	if (op == S_MOVS && (4096 - (si & 0xfff)) / size < n)
		n = (4096 - (si & 0xfff)) / size;
	if (n < 2 || !(dst = tlb_host_page(cpu, di, ACC_WRITE)) ||
	    (op == S_MOVS && !(src = tlb_host_page(cpu, si, ACC_READ))))
		return 0;
	dst += di & 0xfff;
	if (op == S_MOVS) {
		src += si & 0xfff;
		/* Element by element, a destination just ahead of the source
		 * repeats what was just written: copy no further than their gap. */
		if (dst > src && dst < src + n * size) {
			if ((uint64_t)(dst - src) < size)
				return 0;
			n = (uint64_t)(dst - src) / size;
		}
		memmove(dst, src, n * size);
		cpu->gpr[GPR_RSI] = si + n * size;
	} else if (size == 1 || rax_bytes_alike(cpu->gpr[GPR_RAX], size)) {
		/* STOSB, and STOSW/D/Q of one byte repeated (the kernel's
		 * clear_user stores zeros with REP STOSQ): one memset. */
		memset(dst, (int)(cpu->gpr[GPR_RAX] & 0xff), n * size);
	} else {
		for (uint64_t i = 0; i < n; i++)
			memcpy(dst + i * size, &cpu->gpr[GPR_RAX], size);
	}
	cpu->gpr[GPR_RDI] = di + n * size;
	cpu->gpr[GPR_RCX] -= n;
	cpu->tlb.hits += n;
	return n;
}

static void string_op(struct soft_cpu *cpu, const struct insn *in, enum string_op op)
{
	unsigned size = element_size(in), as = in->addrsize;
	uint64_t am = size_mask(as);
	int64_t delta = (cpu->rflags & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
	bool rep = in->flags & (INSN_REP | INSN_REPNE);
	uint16_t port = (uint16_t)cpu->gpr[GPR_RDX];
	/* Single-step traps after each iteration (debug.c). */
	unsigned batch = (cpu->rflags & RFLAGS_TF) ? 1 : STRING_BATCH;
	/* In bulk where nothing between elements can matter: 64-bit code and
	 * addressing (ES and DS based at 0), going up, no single-step. */
	bool bulk = rep && (op == S_MOVS || op == S_STOS) && delta > 0 && as == 8 && cpu->mode == MODE_LONG64 &&
		    (op == S_STOS || in->seg < SREG_FS) && batch > 1;

	cpu->dbg.rep_unfinished = false;
	if (op == S_INS || op == S_OUTS)
		io_check_permission(cpu, port, size);
	for (unsigned n = 0; !rep || n < batch; n++) {
		uint64_t si = cpu->gpr[GPR_RSI] & am, di = cpu->gpr[GPR_RDI] & am, a, b;

		if (rep && (cpu->gpr[GPR_RCX] & am) == 0)
			return;
		if (bulk) {
			uint64_t done = string_bulk(cpu, op, size, batch - n);

			if (done) {
				n += (unsigned)done - 1; /* and the loop's own one */
				if (cpu->gpr[GPR_RCX] == 0)
					return;
				continue;
			}
		}
		switch (op) {
		case S_MOVS:
			a = mem_read(cpu, in->seg, si, size);
			mem_write(cpu, SREG_ES, di, size, a);
			break;
		case S_STOS:
			mem_write(cpu, SREG_ES, di, size, cpu->gpr[GPR_RAX]);
			break;
		case S_LODS:
			reg_write(cpu, GPR_RAX, size, mem_read(cpu, in->seg, si, size));
			break;
		case S_CMPS:
			a = mem_read(cpu, in->seg, si, size);
			b = mem_read(cpu, SREG_ES, di, size);
			flags_lazy(cpu, LF_SUB, size, (a - b) & size_mask(size), a, b);
			break;
		case S_SCAS:
			a = reg_read(cpu, GPR_RAX, size);
			b = mem_read(cpu, SREG_ES, di, size);
			flags_lazy(cpu, LF_SUB, size, (a - b) & size_mask(size), a, b);
			break;
		case S_INS:
			/* Check the destination before the port is read. */
			(void)mmu_translate(cpu, seg_linear(cpu, SREG_ES, di, size, ACC_WRITE), ACC_WRITE);
			mem_write(cpu, SREG_ES, di, size, io_port_read(cpu, port, size));
			break;
		case S_OUTS:
			io_port_write(cpu, port, size, mem_read(cpu, in->seg, si, size));
			break;
		}
		/* Commit this iteration. */
		if (op == S_MOVS || op == S_LODS || op == S_CMPS || op == S_OUTS)
			reg_write(cpu, GPR_RSI, as, (si + (uint64_t)delta) & am);
		if (op != S_LODS && op != S_OUTS)
			reg_write(cpu, GPR_RDI, as, (di + (uint64_t)delta) & am);
		replay_commit(cpu);
		if (!rep)
			return;
		reg_write(cpu, GPR_RCX, as, (cpu->gpr[GPR_RCX] - 1) & am);
		if ((cpu->gpr[GPR_RCX] & am) == 0)
			return;
		if (op == S_CMPS || op == S_SCAS) {
			bool zf = flags_arith(cpu) & RFLAGS_ZF;

			if ((in->flags & INSN_REP) ? !zf : zf)
				return;
		}
		/* A data breakpoint traps after the iteration that hit it. */
		if (__builtin_expect(cpu->dbg.hits, 0))
			break;
	}
	/* Batch done with iterations left: run this instruction again. */
	cpu->dbg.rep_unfinished = true;
	cpu->rip_next = cpu->rip;
	cpu->leave_block = true;
}

static void h_movs(struct soft_cpu *cpu, const struct insn *in)
{
	string_op(cpu, in, S_MOVS);
}
static void h_stos(struct soft_cpu *cpu, const struct insn *in)
{
	string_op(cpu, in, S_STOS);
}
static void h_lods(struct soft_cpu *cpu, const struct insn *in)
{
	string_op(cpu, in, S_LODS);
}
static void h_cmps(struct soft_cpu *cpu, const struct insn *in)
{
	string_op(cpu, in, S_CMPS);
}
static void h_scas(struct soft_cpu *cpu, const struct insn *in)
{
	string_op(cpu, in, S_SCAS);
}
static void h_ins(struct soft_cpu *cpu, const struct insn *in)
{
	string_op(cpu, in, S_INS);
}
static void h_outs(struct soft_cpu *cpu, const struct insn *in)
{
	string_op(cpu, in, S_OUTS);
}

const struct dispatch_entry exec_string_table[] = {
	{ ZYDIS_MNEMONIC_MOVSB, h_movs, 0 }, { ZYDIS_MNEMONIC_MOVSW, h_movs, 0 }, { ZYDIS_MNEMONIC_MOVSD, h_movs, 0 },
	{ ZYDIS_MNEMONIC_MOVSQ, h_movs, 0 }, { ZYDIS_MNEMONIC_STOSB, h_stos, 0 }, { ZYDIS_MNEMONIC_STOSW, h_stos, 0 },
	{ ZYDIS_MNEMONIC_STOSD, h_stos, 0 }, { ZYDIS_MNEMONIC_STOSQ, h_stos, 0 }, { ZYDIS_MNEMONIC_LODSB, h_lods, 0 },
	{ ZYDIS_MNEMONIC_LODSW, h_lods, 0 }, { ZYDIS_MNEMONIC_LODSD, h_lods, 0 }, { ZYDIS_MNEMONIC_LODSQ, h_lods, 0 },
	{ ZYDIS_MNEMONIC_CMPSB, h_cmps, 0 }, { ZYDIS_MNEMONIC_CMPSW, h_cmps, 0 }, { ZYDIS_MNEMONIC_CMPSD, h_cmps, 0 },
	{ ZYDIS_MNEMONIC_CMPSQ, h_cmps, 0 }, { ZYDIS_MNEMONIC_SCASB, h_scas, 0 }, { ZYDIS_MNEMONIC_SCASW, h_scas, 0 },
	{ ZYDIS_MNEMONIC_SCASD, h_scas, 0 }, { ZYDIS_MNEMONIC_SCASQ, h_scas, 0 }, { ZYDIS_MNEMONIC_INSB, h_ins, 0 },
	{ ZYDIS_MNEMONIC_INSW, h_ins, 0 },   { ZYDIS_MNEMONIC_INSD, h_ins, 0 },	  { ZYDIS_MNEMONIC_OUTSB, h_outs, 0 },
	{ ZYDIS_MNEMONIC_OUTSW, h_outs, 0 }, { ZYDIS_MNEMONIC_OUTSD, h_outs, 0 }, { 0, NULL, 0 },
};
