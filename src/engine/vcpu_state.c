#include "engine/vcpu_state.h"

#include <string.h>

#include "x86/arch.h"
#include "x86/cpu_model.h"
#include "x86/descriptor.h"

void vcpu_state_reset(struct vcpu_state *s)
{
	memset(s, 0, sizeof(*s));
	s->rflags = RFLAGS_FIXED;
	s->rip = 0xfff0;
	for (int i = 0; i < SREG_COUNT; i++)
		x86_segment_real(&s->seg[i], 0, SEG_TYPE_DATA_RW_ACCESSED);
	/* CS:IP = f000:fff0 with the hidden base at the top of the 4 GiB space. */
	x86_segment_real(&s->seg[SREG_CS], 0xf000, SEG_TYPE_CODE_RX_ACCESSED);
	s->seg[SREG_CS].base = 0xffff0000;
	s->ldtr = (struct x86_segment){ .limit = 0xffff, .type = SEG_TYPE_LDT, .present = 1 };
	s->tr = (struct x86_segment){ .limit = 0xffff, .type = SEG_TYPE_TSS_BUSY, .present = 1 };
	s->gdtr.limit = 0xffff;
	s->idtr.limit = 0xffff;
	s->cr0 = CR0_ET | CR0_NW | CR0_CD;
	s->apic_base = APIC_BASE_DEFAULT;
	s->dr[6] = 0xffff0ff0;
	s->dr[7] = 0x400;
	s->msr.pat = PAT_DEFAULT;
	msr_model_reset(&s->msr.stored);
	s->fpu.fcw = 0x37f; /* as FNINIT leaves it */
	s->fpu.mxcsr = 0x1f80;
	s->xcr0 = XCR0_X87; /* SDM Vol. 1, 13.3: 1 after RESET */
	/* EDX holds the processor signature after reset. */
	s->gpr[GPR_RDX] = CPU_MODEL_SIGNATURE;
}
