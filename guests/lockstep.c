/* The guest of the lockstep test (tests/integration/run-cli.sh, "lockstep"):
 * ADC r64, imm8 with the carry set, at the global label lockstep_adc, whose
 * address the test reads from this ELF's symbols. A dbt built with the
 * deliberate translation bug (RINGVISOR_DBT_INJECT_BUG: that ADC copied as ADD)
 * loses the carry here, and `--lockstep interp` must name this instruction.
 * Run plainly, each engine must compute what the SDM's ADC gives: DEST + SRC +
 * CF, so n rounds of STC; ADC $5 add 6 each. Status 1 if the checks passed. */
#include <stdint.h>

#include "kernel64.h"
#include "test.h"

__asm__(".text\n"
	/* uint64_t adc_rounds(uint64_t n), n > 0: n times STC, then RAX += 5 + CF. */
	".globl adc_rounds\n"
	"adc_rounds:\n"
	"xorl %eax, %eax\n"
	"1: stc\n"
	".globl lockstep_adc\n"
	"lockstep_adc:\n"
	"adcq $5, %rax\n"
	"decq %rdi\n"
	"jnz 1b\n"
	"ret\n");

uint64_t adc_rounds(uint64_t n);

int main(void)
{
	kernel64_init();
	printf("lockstep guest\n");
	expect_eq("ADC r64, imm8 adds the carry: 1000 rounds of STC; ADC $5", adc_rounds(1000), 6000);
	test_done();
}
