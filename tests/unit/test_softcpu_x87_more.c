/* FXTRACT, FPTAN, FSINCOS, FBLD, FBSTP, FFREEP, FSTPNCE and the 8087/80287
 * no-ops on the software engines (RINGVISOR_ENGINE picks one; `make
 * unit-test` runs this file on each), compared with the host CPU: results in
 * memory, status words in GPRs. Each body starts with FNINIT (every exception
 * masked) and leaves the host's stack empty. */
#include "softcpu_harness.h"

struct x87_body {
	const char *name;
	const uint8_t *code, *end;
};

#define BODY(n)                                                                                                        \
	{                                                                                                              \
#n, n, n##_end                                                                                         \
	}

/* 80-bit values: significand, then sign and exponent. */
struct f80_value {
	uint64_t sig;
	uint16_t se;
};

static const struct f80_value f80_cases[] = {
	{ 0xc000000000000000ull, 0x3fff }, /* 1.5 */
	{ 0xc000000000000000ull, 0xc000 }, /* -3 */
	{ 0, 0 },			   /* +0 */
	{ 0, 0x8000 },			   /* -0 */
	{ 1, 0 },			   /* smallest denormal */
	{ 0x4000000000000000ull, 0x8000 }, /* negative denormal */
	{ 0x8000000000000000ull, 0x7fff }, /* +infinity */
	{ 0x8000000000000000ull, 0xffff }, /* -infinity */
	{ 0xc000000000000001ull, 0x7fff }, /* QNaN */
	{ 0x8000000000000001ull, 0xffff }, /* SNaN */
	{ 0x8000000000000000ull, 0x3ffe }, /* 0.5: BCD rounds to even */
	{ 0xa000000000000000ull, 0x4000 }, /* 2.5 */
	{ 0xde0b6b3a763ffff0ull, 0x403a }, /* 999999999999999999 */
	{ 0xde0b6b3a76400000ull, 0xc03a }, /* -10^18: beyond 18 digits */
	{ 0x8000000000000000ull, 0x403e }, /* 2^63: FPTAN and FSINCOS out of range */
	{ 0x8000000000000000ull, 0x4045 }, /* 2^70 */
	{ 0xc90fdaa22168c235ull, 0x3fff }, /* pi / 2 */
	{ 0x4000000000000000ull, 0x3fff }, /* an unnormal (integer bit clear) */
	{ 0x123456789abcdef0ull, 0x7fff }, /* a pseudo-NaN */
	{ 0x8000000000000000ull, 0x3c00 }, /* a tiny normal */
};

IH_ASM(x87_fxtract, "fninit\n fld tbyte ptr [rdi]\n fxtract\n fnstsw ax\n fstp tbyte ptr [rdi + 16]\n"
		    "fstp tbyte ptr [rdi + 32]\n fnstsw word ptr [rdi + 48]");
IH_ASM(x87_fptan, "fninit\n fld tbyte ptr [rdi]\n fptan\n fnstsw ax\n fstp tbyte ptr [rdi + 16]\n"
		  "fstp tbyte ptr [rdi + 32]\n fnstsw word ptr [rdi + 48]");
IH_ASM(x87_fsincos, "fninit\n fld tbyte ptr [rdi]\n fsincos\n fnstsw ax\n fstp tbyte ptr [rdi + 16]\n"
		    "fstp tbyte ptr [rdi + 32]\n fnstsw word ptr [rdi + 48]");
/* FBSTP in each rounding mode (RC in bits 11:10 of the control word). */
IH_ASM(
    x87_fbstp,
    "fninit\n fld tbyte ptr [rdi]\n fbstp tbyte ptr [rdi + 16]\n fnstsw ax\n"
    "mov word ptr [rdi + 100], 0x077f\n fldcw [rdi + 100]\n fld tbyte ptr [rdi]\n"
    "fbstp tbyte ptr [rdi + 32]\n fnstsw word ptr [rdi + 140]\n mov word ptr [rdi + 100], 0x0b7f\n fldcw [rdi + 100]\n"
    "fld tbyte ptr [rdi]\n fbstp tbyte ptr [rdi + 48]\n fnstsw word ptr [rdi + 142]\n mov word ptr [rdi + 100], "
    "0x0f7f\n"
    "fldcw [rdi + 100]\n fld tbyte ptr [rdi]\n fbstp tbyte ptr [rdi + 64]\n fnstsw word ptr [rdi + 144]\n fninit");
/* FBLD of the BCD FBSTP made, and of the raw bytes as BCD (digits above 9
 * included: undefined, so the host's answer is the reference). */
IH_ASM(x87_fbld, "fninit\n fld tbyte ptr [rdi]\n fbstp tbyte ptr [rdi + 16]\n fbld tbyte ptr [rdi + 16]\n"
		 "fstp tbyte ptr [rdi + 32]\n fbld tbyte ptr [rdi]\n fnstsw ax\n fstp tbyte ptr [rdi + 48]");

static const struct x87_body value_bodies[] = {
	BODY(x87_fxtract), BODY(x87_fptan), BODY(x87_fsincos), BODY(x87_fbstp), BODY(x87_fbld),
};

static void compare_on_values(struct ih *h, const struct x87_body *b)
{
	for (unsigned k = 0; k < sizeof(f80_cases) / sizeof(f80_cases[0]); k++) {
		struct ih_case c = { .ptr_regs = 1u << GPR_RDI };
		char what[64];

		memcpy(c.data, &f80_cases[k].sig, 8);
		memcpy(c.data + 8, &f80_cases[k].se, 2);
		snprintf(what, sizeof(what), "%s, value %u", b->name, k);
		ih_compare(h, &c, b->code, (size_t)(b->end - b->code), RFLAGS_ARITH_MASK, what);
	}
}

static void compare_bodies(const struct x87_body *b, unsigned n)
{
	struct ih *h = ih_new();

	for (unsigned i = 0; i < n; i++)
		compare_on_values(h, &b[i]);
	ih_free(h);
}

#define COMPARE_BODIES(list) compare_bodies((list), sizeof(list) / sizeof((list)[0]))

static void test_x87_split_and_bcd_instructions_match_host(void **state)
{
	(void)state;
	COMPARE_BODIES(value_bodies);
}

/* A push onto a full stack (masked overflow), and an empty ST(0) (masked
 * underflow): every register stored afterwards. */
#define STORE8                                                                                                         \
	"fstp tbyte ptr [rdi + 16]\n fstp tbyte ptr [rdi + 32]\n fstp tbyte ptr [rdi + 48]\n"                          \
	"fstp tbyte ptr [rdi + 64]\n fstp tbyte ptr [rdi + 80]\n fstp tbyte ptr [rdi + 96]\n"                          \
	"fstp tbyte ptr [rdi + 112]\n fstp tbyte ptr [rdi + 128]\n fnstsw word ptr [rdi + 140]"
#define FILL8 "fninit\n fld1\n fldpi\n fldz\n fld1\n fldl2t\n fld1\n fldln2\n fld tbyte ptr [rdi]\n"
IH_ASM(x87_fxtract_full, FILL8 "fxtract\n fnstsw ax\n" STORE8);
IH_ASM(x87_fptan_full, FILL8 "fptan\n fnstsw ax\n" STORE8);
IH_ASM(x87_fsincos_full, FILL8 "fsincos\n fnstsw ax\n" STORE8);
IH_ASM(x87_fxtract_empty, "fninit\n fxtract\n fnstsw ax\n fstp tbyte ptr [rdi + 16]\n fstp tbyte ptr [rdi + 32]\n"
			  "fnstsw word ptr [rdi + 140]\n fninit");
IH_ASM(x87_fsincos_empty, "fninit\n fsincos\n fnstsw ax\n fstp tbyte ptr [rdi + 16]\n fstp tbyte ptr [rdi + 32]\n"
			  "fnstsw word ptr [rdi + 140]\n fninit");
IH_ASM(x87_fbld_full, FILL8 "fbld tbyte ptr [rdi]\n fnstsw ax\n" STORE8);
IH_ASM(x87_fbstp_empty, "fninit\n fbstp tbyte ptr [rdi + 16]\n fnstsw ax");

/* The same overflows with C3, C2 and C0 set before (FLDENV of a status word
 * with them and a tag word of all valid registers): what the condition codes
 * become. The environment's bytes are cleared afterwards (FNSTENV's pointers
 * differ from the host's). */
#define CC_SET_FULL                                                                                                    \
	"fninit\n fnstenv [rdi + 160]\n mov word ptr [rdi + 164], 0x4500\n mov word ptr [rdi + 168], 0\n"              \
	"fldenv [rdi + 160]\n"
#define CLEAR_ENV                                                                                                      \
	"mov qword ptr [rdi + 160], 0\n mov qword ptr [rdi + 168], 0\n mov qword ptr [rdi + 176], 0\n"                 \
	"mov dword ptr [rdi + 184], 0\n fninit"
IH_ASM(x87_fptan_full_cc, CC_SET_FULL "fptan\n fnstsw ax\n" CLEAR_ENV);
IH_ASM(x87_fsincos_full_cc, CC_SET_FULL "fsincos\n fnstsw ax\n" CLEAR_ENV);
IH_ASM(x87_fxtract_full_cc, CC_SET_FULL "fxtract\n fnstsw ax\n" CLEAR_ENV);

static const struct x87_body stack_bodies[] = {
	BODY(x87_fptan_full_cc), BODY(x87_fsincos_full_cc), BODY(x87_fxtract_full_cc), BODY(x87_fxtract_full),
	BODY(x87_fptan_full),	 BODY(x87_fsincos_full),    BODY(x87_fxtract_empty),   BODY(x87_fsincos_empty),
	BODY(x87_fbld_full),	 BODY(x87_fbstp_empty),
};

static void test_x87_split_and_bcd_stack_faults_match_host(void **state)
{
	(void)state;
	COMPARE_BODIES(stack_bodies);
}

/* Unmasked: IM (and ZM) clear. FXTRACT of zero raises ZE, of an SNaN IE; an
 * unmasked exception keeps every result from being written (the stack as it
 * was), which the stores after FNCLEX show. */
IH_ASM(x87_fxtract_unmasked,
       "fninit\n mov word ptr [rdi + 100], 0x037a\n fldcw [rdi + 100]\n fld tbyte ptr [rdi]\n"
       "fxtract\n fnstsw ax\n fnclex\n fstp tbyte ptr [rdi + 16]\n fnstsw word ptr [rdi + 140]\n fnclex\n fninit");
IH_ASM(x87_fbstp_unmasked,
       "fninit\n mov word ptr [rdi + 100], 0x037e\n fldcw [rdi + 100]\n mov dword ptr [rdi + 16], 0x5a5a5a5a\n"
       "fld tbyte ptr [rdi]\n fbstp tbyte ptr [rdi + 16]\n fnstsw ax\n fnclex\n fninit");

static const struct x87_body unmasked_bodies[] = { BODY(x87_fxtract_unmasked), BODY(x87_fbstp_unmasked) };

static void test_x87_split_and_bcd_unmasked_exceptions_match_host(void **state)
{
	(void)state;
	COMPARE_BODIES(unmasked_bodies);
}

/* FFREEP ST(1) frees ST(1) and pops; FSTPNCE (D9 D8+i) is FSTP ST(i); FNENI,
 * FNDISI and FNSETPM (DB E0, E1, E4) change nothing. FXAM of an empty ST(0)
 * sets C3 and C0. */
IH_ASM(x87_ffreep_fstpnce_nops,
       "fninit\n fld1\n fldz\n ffreep st(1)\n fnstsw ax\n fxam\n fnstsw word ptr [rdi + 140]\n"
       "fld1\n fldpi\n .byte 0xd9, 0xd9\n fnstsw word ptr [rdi + 142]\n fstp tbyte ptr [rdi + 16]\n"
       ".byte 0xdb, 0xe0, 0xdb, 0xe1, 0xdb, 0xe4\n fnstsw word ptr [rdi + 144]\n fninit");

static void test_x87_ffreep_fstpnce_and_legacy_nops_match_host(void **state)
{
	static const struct x87_body b[] = { BODY(x87_ffreep_fstpnce_nops) };

	(void)state;
	COMPARE_BODIES(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x87_split_and_bcd_instructions_match_host),
		cmocka_unit_test(test_x87_split_and_bcd_stack_faults_match_host),
		cmocka_unit_test(test_x87_split_and_bcd_unmasked_exceptions_match_host),
		cmocka_unit_test(test_x87_ffreep_fstpnce_and_legacy_nops_match_host),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
