#include "engine/dbt/ident.h"

#include <Zydis/Zydis.h>

#include "engine/dbt/host_flags.h"
#include "engine/dbt/ident_simd.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/dispatch.h"
#include "x86/segment.h"

/* The instructions of the x86-64 baseline that compute only from registers and
 * flags, identically on every x86-64 processor (undefined flags aside, which
 * real hardware leaves to the implementation too). Not here, though harmless
 * looking: DIV/IDIV (a host #DE would be SIGFPE), LAHF/SAHF (not in every
 * 64-bit CPU model), anything with a memory operand but LEA, PUSH/POP/CALL/RET
 * (the stack is guest memory), string instructions (DF), anything reading
 * host state (CPUID, RDTSC, SGDT, SMSW, ...). */
static bool allowed(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_SBB:
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_XOR:
	case ZYDIS_MNEMONIC_CMP:
	case ZYDIS_MNEMONIC_TEST:
	case ZYDIS_MNEMONIC_NOT:
	case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_INC:
	case ZYDIS_MNEMONIC_DEC:
	case ZYDIS_MNEMONIC_MOV:
	case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
	case ZYDIS_MNEMONIC_LEA:
	case ZYDIS_MNEMONIC_SHL:
	case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR:
	case ZYDIS_MNEMONIC_ROL:
	case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL:
	case ZYDIS_MNEMONIC_RCR:
	case ZYDIS_MNEMONIC_SHLD:
	case ZYDIS_MNEMONIC_SHRD:
	case ZYDIS_MNEMONIC_IMUL:
	case ZYDIS_MNEMONIC_MUL:
	case ZYDIS_MNEMONIC_BT:
	case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
	case ZYDIS_MNEMONIC_BSF:
	case ZYDIS_MNEMONIC_BSR:
	case ZYDIS_MNEMONIC_SETB:
	case ZYDIS_MNEMONIC_SETBE:
	case ZYDIS_MNEMONIC_SETL:
	case ZYDIS_MNEMONIC_SETLE:
	case ZYDIS_MNEMONIC_SETNB:
	case ZYDIS_MNEMONIC_SETNBE:
	case ZYDIS_MNEMONIC_SETNL:
	case ZYDIS_MNEMONIC_SETNLE:
	case ZYDIS_MNEMONIC_SETNO:
	case ZYDIS_MNEMONIC_SETNP:
	case ZYDIS_MNEMONIC_SETNS:
	case ZYDIS_MNEMONIC_SETNZ:
	case ZYDIS_MNEMONIC_SETO:
	case ZYDIS_MNEMONIC_SETP:
	case ZYDIS_MNEMONIC_SETS:
	case ZYDIS_MNEMONIC_SETZ:
	case ZYDIS_MNEMONIC_CMOVB:
	case ZYDIS_MNEMONIC_CMOVBE:
	case ZYDIS_MNEMONIC_CMOVL:
	case ZYDIS_MNEMONIC_CMOVLE:
	case ZYDIS_MNEMONIC_CMOVNB:
	case ZYDIS_MNEMONIC_CMOVNBE:
	case ZYDIS_MNEMONIC_CMOVNL:
	case ZYDIS_MNEMONIC_CMOVNLE:
	case ZYDIS_MNEMONIC_CMOVNO:
	case ZYDIS_MNEMONIC_CMOVNP:
	case ZYDIS_MNEMONIC_CMOVNS:
	case ZYDIS_MNEMONIC_CMOVNZ:
	case ZYDIS_MNEMONIC_CMOVO:
	case ZYDIS_MNEMONIC_CMOVP:
	case ZYDIS_MNEMONIC_CMOVS:
	case ZYDIS_MNEMONIC_CMOVZ:
	case ZYDIS_MNEMONIC_CBW:
	case ZYDIS_MNEMONIC_CWDE:
	case ZYDIS_MNEMONIC_CDQE:
	case ZYDIS_MNEMONIC_CWD:
	case ZYDIS_MNEMONIC_CDQ:
	case ZYDIS_MNEMONIC_CQO:
	case ZYDIS_MNEMONIC_BSWAP:
	case ZYDIS_MNEMONIC_XCHG:
	case ZYDIS_MNEMONIC_XADD:
	case ZYDIS_MNEMONIC_CMPXCHG:
	case ZYDIS_MNEMONIC_CLC:
	case ZYDIS_MNEMONIC_STC:
	case ZYDIS_MNEMONIC_CMC:
		return true;
	default:
		return false;
	}
}

/* Shifts and rotates leave the flags alone when their masked count is 0, so
 * the flags they "modify" also flow through them. */
static bool is_shift(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR || m == ZYDIS_MNEMONIC_SAR ||
	       m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR || m == ZYDIS_MNEMONIC_RCL ||
	       m == ZYDIS_MNEMONIC_RCR || m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD;
}

/* A shift by an immediate count that is not 0 once masked always writes its flags. */
static bool shift_count_nonzero(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo)
{
	uint64_t mask = zi->operand_width == 64 ? 0x3f : 0x1f;

	for (unsigned i = 0; i < zi->operand_count; i++)
		if (zo[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			return (zo[i].imm.value.u & mask) != 0;
	return false; /* by CL */
}

/* Guest GPR number of a Zydis general register; -1 for anything else, and for
 * RSP, which never lives in a host register (the host's stack is RSP). */
static int gpr_number(ZydisRegister r)
{
	ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);

	if (full < ZYDIS_REGISTER_RAX || full > ZYDIS_REGISTER_R15 || full == ZYDIS_REGISTER_RSP)
		return -1;
	return (int)(full - ZYDIS_REGISTER_RAX);
}

static bool is_rsp(ZydisRegister r)
{
	return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r) == ZYDIS_REGISTER_RSP;
}

static bool is_flags_register(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_FLAGS || r == ZYDIS_REGISTER_EFLAGS || r == ZYDIS_REGISTER_RFLAGS;
}

static bool segment_number(ZydisRegister r, uint8_t *sreg)
{
	switch (r) {
	case ZYDIS_REGISTER_ES:
		*sreg = SREG_ES;
		return true;
	case ZYDIS_REGISTER_CS:
		*sreg = SREG_CS;
		return true;
	case ZYDIS_REGISTER_SS:
		*sreg = SREG_SS;
		return true;
	case ZYDIS_REGISTER_DS:
		*sreg = SREG_DS;
		return true;
	case ZYDIS_REGISTER_FS:
		*sreg = SREG_FS;
		return true;
	case ZYDIS_REGISTER_GS:
		*sreg = SREG_GS;
		return true;
	default:
		return false;
	}
}

/* The explicit memory operand of an allowlisted instruction, as a probe can
 * reach it: 64-bit addressing, a base of any GPR or RIP, an index other than
 * RSP, a 32-bit displacement, 1 to 8 bytes. */
static bool take_memory(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *o, struct ident_use *use)
{
	int n;

	if (use->mem || o->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT || zi->address_width != 64)
		return false;
	if (o->size != 8 && o->size != 16 && o->size != 32 && o->size != 64 &&
	    !(use->simd && (o->size == 128 || o->size == 256)))
		return false;
	if (!segment_number(o->mem.segment, &use->mem_seg))
		return false;
	if (o->mem.disp.value != (int32_t)o->mem.disp.value)
		return false;
	use->mem = true;
	use->mem_size = (uint8_t)(o->size / 8);
	use->mem_write = (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
	use->mem_disp = (int32_t)o->mem.disp.value;
	use->mem_scale = o->mem.scale == 8 ? 3 : o->mem.scale == 4 ? 2 : o->mem.scale == 2 ? 1 : 0;
	use->mem_base = NOREG;
	use->mem_index = NOREG;
	if (o->mem.base == ZYDIS_REGISTER_RIP) {
		use->mem_base = REG_RIP;
	} else if (o->mem.base == ZYDIS_REGISTER_RSP) {
		use->mem_base = GPR_RSP;
	} else if (o->mem.base != ZYDIS_REGISTER_NONE) {
		if ((n = gpr_number(o->mem.base)) < 0)
			return false;
		use->mem_base = (uint8_t)n;
		use->gpr_read |= (uint16_t)(1u << n);
	}
	if (o->mem.index != ZYDIS_REGISTER_NONE) {
		if ((n = gpr_number(o->mem.index)) < 0)
			return false;
		use->mem_index = (uint8_t)n;
		use->gpr_read |= (uint16_t)(1u << n);
	}
	return true;
}

/* PUSH r64 / POP r64 (50+r, 58+r with REX.B; not FF /6, 8F /0, which may take
 * memory): 8 bytes at [RSP - 8] or [RSP], no 66 prefix (a 16-bit push), never
 * RSP itself (PUSH RSP stores the old value, POP RSP loads RSP). */
static bool take_stack(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo, struct ident_use *use)
{
	int n;

	if (zi->operand_width != 64 || zi->operand_count_visible != 1 || zo[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    (zi->attributes & (ZYDIS_ATTRIB_HAS_OPERANDSIZE | ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_LOCK |
			       ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE)) ||
	    zi->address_width != 64)
		return false;
	if ((n = gpr_number(zo[0].reg.value)) < 0 || (int)zo[0].reg.value != (int)ZYDIS_REGISTER_RAX + n)
		return false;
	use->stack = zi->mnemonic == ZYDIS_MNEMONIC_PUSH ? 1 : -1;
	use->stack_reg = (uint8_t)n;
	if (use->stack > 0)
		use->gpr_read = (uint16_t)(1u << n);
	else
		use->gpr_written = (uint16_t)(1u << n);
	use->mem = true;
	use->mem_write = use->stack > 0;
	use->mem_size = 8;
	use->mem_seg = SREG_SS;
	use->mem_base = GPR_RSP;
	use->mem_index = NOREG;
	use->mem_disp = use->stack > 0 ? -8 : 0;
	return true;
}

static bool classify(const struct insn *in, const uint8_t *code, struct ident_use *use, struct ident_mem_request *mem);

bool ident_classify(const struct insn *in, const uint8_t *code, struct ident_use *use)
{
	return classify(in, code, use, NULL);
}

bool ident_classify_mem(const struct insn *in, const uint8_t *code, struct ident_use *use,
			struct ident_mem_request *mem)
{
	mem->ok = false;
	return classify(in, code, use, mem);
}

/* With mem: the request to re-encode an explicit memory operand, from this
 * decode. */
static bool classify(const struct insn *in, const uint8_t *code, struct ident_use *use, struct ident_mem_request *mem)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	const uint16_t arith = 0x8d5; /* CF PF AF ZF SF OF, as RFLAGS bits (Zydis uses them too) */

	*use = (struct ident_use){ 0 };
	/* What the core made of it must be what the host will do: its own handler
	 * (not a #UD or #GP the guest model gives), the same mnemonic and length. */
	if (in->fn == h_ud || in->fn == h_gp0 || (in->flags & (INSN_REP | INSN_REPNE | INSN_END_BLOCK)))
		return false;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code, in->len, &zi, zo)))
		return false;
	if (zi.length != in->len || zi.mnemonic != in->mnemonic)
		return false;
	if (zi.mnemonic == ZYDIS_MNEMONIC_PUSH || zi.mnemonic == ZYDIS_MNEMONIC_POP)
		return take_stack(&zi, zo, use);
	/* NOP in every form: a ModRM operand is never accessed (SDM vol. 2, NOP),
	 * whatever its segment. LOCK makes it #UD, which the core gives. */
	if (zi.mnemonic == ZYDIS_MNEMONIC_NOP)
		return !(zi.attributes & ZYDIS_ATTRIB_HAS_LOCK);
	use->simd = (uint8_t)ident_simd_class(&zi);
	if (!use->simd && !allowed(zi.mnemonic))
		return false;
	if (use->simd) {
		use->ymm = (use->simd & IDENT_SIMD_AVX) != 0;
		use->wide = zi.avx.vector_length == 256;
		if (zi.mnemonic == ZYDIS_MNEMONIC_VZEROUPPER) {
			use->zero_upper = true;
			return true;
		}
	}
	if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE))
		return false;
	/* BSWAP of a 16-bit register is undefined: the host's answer need not be the model's. */
	if (zi.mnemonic == ZYDIS_MNEMONIC_BSWAP && zi.operand_width == 16)
		return false;
	for (unsigned i = 0; i < zi.operand_count; i++) {
		const ZydisDecodedOperand *o = &zo[i];
		int n;

		switch (o->type) {
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			break;
		case ZYDIS_OPERAND_TYPE_REGISTER:
			if (is_flags_register(o->reg.value))
				break; /* the flags: from cpu_flags below */
			if (use->simd && (n = ident_vector_number(o->reg.value)) >= 0) {
				use->vec_used |= (uint16_t)(1u << n);
				if (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
					use->vec_written |= (uint16_t)(1u << n);
				/* A VEX write sets all 256 bits; a legacy one all 128
				 * only at operand size 128 (MOVSD, MOVHLPS: less). */
				if ((o->actions & (ZYDIS_OPERAND_ACTION_MASK_READ | ZYDIS_OPERAND_ACTION_CONDWRITE)) ||
				    ((use->simd & IDENT_SIMD_SSE) && o->size < 128))
					use->vec_read |= (uint16_t)(1u << n);
				break;
			}
			n = gpr_number(o->reg.value);
			if (n < 0 && is_rsp(o->reg.value) && o->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT &&
			    o->size >= 16) {
				/* RSP, which no host register holds: renamed to a
				 * scratch register loaded before and stored after. */
				use->rsp_reg = true;
				use->rsp_read |= (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ) ||
						 (o->actions & ZYDIS_OPERAND_ACTION_CONDWRITE) || o->size < 32;
				use->rsp_written |= (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
				break;
			}
			if (n < 0)
				return false;
			/* What a write may leave of the old value counts as read: a
			 * conditional write, an 8- or 16-bit write (32-bit ones
			 * zero the upper half), and BSF/BSR's destination, which a
			 * zero source leaves as it was on this host (AMD documents
			 * it; Zydis calls it a plain write). */
			if ((o->actions & ZYDIS_OPERAND_ACTION_MASK_READ) ||
			    (o->actions & ZYDIS_OPERAND_ACTION_CONDWRITE) || o->size < 32 ||
			    zi.mnemonic == ZYDIS_MNEMONIC_BSF || zi.mnemonic == ZYDIS_MNEMONIC_BSR)
				use->gpr_read |= (uint16_t)(1u << n);
			if (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
				use->gpr_written |= (uint16_t)(1u << n);
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			if (o->mem.type == ZYDIS_MEMOP_TYPE_MEM && zi.mnemonic != ZYDIS_MNEMONIC_LEA) {
				if (!take_memory(&zi, o, use))
					return false;
				break;
			}
			/* LEA computes and reads nothing. */
			if (zi.mnemonic != ZYDIS_MNEMONIC_LEA || o->mem.type != ZYDIS_MEMOP_TYPE_AGEN)
				return false;
			/* From RSP or RIP, which no host register holds: the
			 * address is computed as a probe computes it, then moved
			 * at LEA's operand size (lea_base). */
			if (o->mem.base == ZYDIS_REGISTER_RSP || o->mem.base == ZYDIS_REGISTER_RIP) {
				if (zi.address_width != 64 || zo[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
				    (n = gpr_number(zo[0].reg.value)) < 0 ||
				    o->mem.disp.value != (int32_t)o->mem.disp.value)
					return false;
				use->lea_base = true;
				use->lea_dst = (uint8_t)n;
				use->lea_bytes = (uint8_t)(zo[0].size / 8);
				use->mem_base = o->mem.base == ZYDIS_REGISTER_RIP ? REG_RIP : GPR_RSP;
				use->mem_index = NOREG;
				use->mem_disp = (int32_t)o->mem.disp.value;
				use->mem_scale = o->mem.scale == 8   ? 3
						 : o->mem.scale == 4 ? 2
						 : o->mem.scale == 2 ? 1
								     : 0;
				if (o->mem.index != ZYDIS_REGISTER_NONE) {
					if ((n = gpr_number(o->mem.index)) < 0)
						return false;
					use->mem_index = (uint8_t)n;
					use->gpr_read |= (uint16_t)(1u << n);
				}
				break;
			}
			if (o->mem.base != ZYDIS_REGISTER_NONE) {
				if ((n = gpr_number(o->mem.base)) < 0)
					return false;
				use->gpr_read |= (uint16_t)(1u << n);
			}
			if (o->mem.index != ZYDIS_REGISTER_NONE) {
				if ((n = gpr_number(o->mem.index)) < 0)
					return false;
				use->gpr_read |= (uint16_t)(1u << n);
			}
			break;
		default:
			return false;
		}
	}
	/* RSP both as a register and in an address: not renamed (a callout). */
	if (use->rsp_reg && (use->mem || use->lea_base))
		return false;
	/* A vector instruction names a vector register (the string MOVSD
	 * shares a mnemonic), and RSP as neither operand (MOVQ XMM0, RSP). */
	if (use->simd && (!use->vec_used || use->rsp_reg))
		return false;
	if (use->simd && use->mem)
		use->mem_align = ident_simd_align(&zi, use->mem_size);
	/* A segment override or LOCK only means something on a memory operand
	 * (LOCK elsewhere is #UD, which the core decodes as such). */
	if (!use->mem && (zi.attributes & (ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_LOCK)))
		return false;
	/* BT, BTS, BTR, BTC with a register bit offset reach memory beyond the
	 * operand (SDM vol. 2, BT: the offset is signed and unbounded). */
	if (use->mem &&
	    (zi.mnemonic == ZYDIS_MNEMONIC_BT || zi.mnemonic == ZYDIS_MNEMONIC_BTS ||
	     zi.mnemonic == ZYDIS_MNEMONIC_BTR || zi.mnemonic == ZYDIS_MNEMONIC_BTC) &&
	    zo[1].type == ZYDIS_OPERAND_TYPE_REGISTER)
		return false;
	if (zi.cpu_flags) {
		uint16_t written = (uint16_t)((zi.cpu_flags->modified | zi.cpu_flags->set_0 | zi.cpu_flags->set_1 |
					       zi.cpu_flags->undefined | ident_simd_flags_cleared(&zi)) &
					      arith);

		/* DF, IF, AC, TF: none on the allowlist touches them; refuse if Zydis says so. */
		if ((zi.cpu_flags->tested | zi.cpu_flags->modified | zi.cpu_flags->set_0 | zi.cpu_flags->set_1) &
		    ~(uint32_t)arith)
			return false;
		/* An undefined flag may be passed through unchanged (AMD does so for
		 * BT* and MUL's SF ZF AF PF): the host must hold the guest's value
		 * before, or the guest would see what host code left there — unless
		 * this host computes it from the operands alone (host_flags.h). */
		use->flags_read = (uint16_t)((zi.cpu_flags->tested | (zi.cpu_flags->undefined &
								      ~(uint32_t)host_flags_independent(zi.mnemonic))) &
					     arith);
		use->flags_written = written;
		if (is_shift(zi.mnemonic) && !shift_count_nonzero(&zi, zo))
			use->flags_read |= written;
	}
	if (mem && use->mem)
		mem->ok = ZYAN_SUCCESS(
		    ZydisEncoderDecodedInstructionToEncoderRequest(&zi, zo, zi.operand_count_visible, &mem->req));
	return true;
}

/* An encoder request for the 64-bit instruction at code, to rewrite. */
static bool request_for(const uint8_t *code, unsigned len, ZydisEncoderRequest *req)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code, len, &zi, zo)) &&
	       ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(&zi, zo, zi.operand_count_visible, req));
}

/* Encodes req into out; its length, 0 if it cannot be encoded. */
static unsigned encode(const ZydisEncoderRequest *req, uint8_t *out)
{
	ZyanUSize n = ZYDIS_MAX_INSTRUCTION_LENGTH;

	return ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(req, out, &n)) ? (unsigned)n : 0;
}

unsigned ident_rewrite_rsp(const uint8_t *code, unsigned len, unsigned host_reg, uint8_t *out)
{
	ZydisEncoderRequest req;

	if (!request_for(code, len, &req))
		return 0;
	for (unsigned i = 0; i < req.operand_count; i++) {
		ZydisEncoderOperand *o = &req.operands[i];

		if (o->type != ZYDIS_OPERAND_TYPE_REGISTER || !is_rsp(o->reg.value))
			continue;
		o->reg.value = ZydisRegisterEncode(ZydisRegisterGetClass(o->reg.value), (ZyanU8)host_reg);
		if (o->reg.value == ZYDIS_REGISTER_NONE)
			return 0;
	}
	return encode(&req, out);
}

unsigned ident_encode_mem_at(const struct ident_mem_request *mem, unsigned host_base, unsigned host_index, int32_t disp,
			     uint8_t *out)
{
	return ident_encode_mem_scaled(mem, host_base, host_index, 0, disp, out);
}

unsigned ident_encode_mem_scaled(const struct ident_mem_request *mem, unsigned host_base, unsigned host_index,
				 unsigned shift, int32_t disp, uint8_t *out)
{
	ZydisEncoderRequest req = mem->req;

	if (!mem->ok)
		return 0;
	req.prefixes &= ~(ZydisInstructionAttributes)ZYDIS_ATTRIB_HAS_SEGMENT;
	for (unsigned i = 0; i < req.operand_count; i++) {
		ZydisEncoderOperand *o = &req.operands[i];

		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		o->mem.base = (ZydisRegister)(ZYDIS_REGISTER_RAX + host_base);
		o->mem.index = host_index == IDENT_NO_INDEX ? ZYDIS_REGISTER_NONE
							    : (ZydisRegister)(ZYDIS_REGISTER_RAX + host_index);
		o->mem.scale = host_index == IDENT_NO_INDEX ? 0 : (uint8_t)(1u << (shift & 3));
		o->mem.displacement = disp;
	}
	return encode(&req, out);
}

unsigned ident_encode_mem(const struct ident_mem_request *mem, unsigned host_base, uint8_t *out)
{
	return ident_encode_mem_at(mem, host_base, IDENT_NO_INDEX, 0, out);
}

/* CALL rel32 and RET [imm16] in 64-bit code: the return address moves
 * through the stack in SS, probed like PUSH and POP (take_stack). */
static bool take_call_ret(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo, struct ident_use *use)
{
	if (zi->meta.branch_type != ZYDIS_BRANCH_TYPE_NEAR || zi->address_width != 64 ||
	    (zi->attributes & (ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_LOCK)))
		return false;
	if (zi->mnemonic == ZYDIS_MNEMONIC_CALL) {
		if (zi->operand_count_visible != 1 || zo[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
		    !zo[0].imm.is_relative || zo[0].imm.value.s != (int32_t)zo[0].imm.value.s)
			return false;
		use->call = true;
		use->stack = 1;
		use->rel = (int32_t)zo[0].imm.value.s;
	} else if (zi->mnemonic == ZYDIS_MNEMONIC_RET) {
		if (zi->operand_count_visible > 1 ||
		    (zi->operand_count_visible == 1 && zo[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE))
			return false;
		use->ret = true;
		use->stack = -1;
		use->ret_pop = zi->operand_count_visible ? (uint16_t)zo[0].imm.value.u : 0;
	} else {
		return false;
	}
	use->branch = true;
	use->cc = 0xff;
	use->stack_reg = NOREG;
	use->mem = true;
	use->mem_write = use->call;
	use->mem_size = 8;
	use->mem_seg = SREG_SS;
	use->mem_base = GPR_RSP;
	use->mem_index = NOREG;
	use->mem_disp = use->call ? -8 : 0;
	return true;
}

bool ident_branch(const struct insn *in, const uint8_t *code, struct ident_use *use)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];

	*use = (struct ident_use){ 0 };
	if (in->fn == h_ud || in->fn == h_gp0 || in->opsize != 8)
		return false;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code, in->len, &zi, zo)) || zi.length != in->len ||
	    zi.mnemonic != in->mnemonic)
		return false;
	/* A 66 prefix: AMD truncates the target to 16 bits, Intel ignores it. */
	if (zi.operand_width != 64 || (zi.attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE))
		return false;
	if (zi.mnemonic == ZYDIS_MNEMONIC_CALL || zi.mnemonic == ZYDIS_MNEMONIC_RET)
		return take_call_ret(&zi, zo, use);
	if ((zi.meta.branch_type != ZYDIS_BRANCH_TYPE_SHORT && zi.meta.branch_type != ZYDIS_BRANCH_TYPE_NEAR) ||
	    zi.operand_count_visible != 1 || zo[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !zo[0].imm.is_relative)
		return false;
	if (zi.meta.category == ZYDIS_CATEGORY_UNCOND_BR && zi.mnemonic == ZYDIS_MNEMONIC_JMP) {
		use->cc = 0xff;
	} else if (decode_is_jcc(zi.mnemonic)) {
		use->cc = in->cc; /* the core's: the low nibble of 7x / 0F 8x */
		if (zi.cpu_flags)
			use->flags_read = (uint16_t)(zi.cpu_flags->tested & 0x8d5);
	} else {
		return false;
	}
	if (zo[0].imm.value.s != (int32_t)zo[0].imm.value.s)
		return false;
	use->branch = true;
	use->rel = (int32_t)zo[0].imm.value.s;
	return true;
}
