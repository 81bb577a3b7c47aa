/* MMX and its aliasing onto the x87 registers, with values worked out by hand
 * from the manuals (Intel SDM Vol. 1, 9.5 and table 9-3; Vol. 2 for each
 * instruction; AMD APM Vol. 1, 5.1): wrapping, saturating and multiplying
 * arithmetic, packs and unpacks, shifts; the MMX registers as the low 64 bits
 * of physical registers R0-R7 whatever TOP is; TOP = 0 and every tag valid
 * after an MMX instruction; bits 79:64 set to ones by a write; EMMS emptying
 * every tag. The state is read back with FNSTSW and FXSAVE (its abridged tag
 * byte and its ST(i) fields).
 *
 * Everything runs at CPL 3, so that on the kvm engine the processor runs it
 * (the SDM's rules checked against silicon too). Status 1 through the debug
 * exit if every check passed. */
#include <stdint.h>

#include "deferred.h"
#include "kernel64.h"
#include "sysreg.h"
#include "test.h"

#define FSW_TOP 0x3800u

struct fxsave_area {
	uint16_t fcw, fsw;
	uint8_t ftw, reserved1;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	struct {
		uint64_t sig;
		uint16_t se;
		uint8_t reserved[6];
	} st[8];
	uint8_t rest[320];
} __attribute__((aligned(16)));

static struct fxsave_area fx;

static void save_state(void)
{
	__asm__ volatile("fxsave %0" : "=m"(fx));
}

/* --- arithmetic ---------------------------------------------------------- */

#define MMX_OP(insn, a, b)                                                                                             \
	({                                                                                                             \
		uint64_t r_ = (a);                                                                                     \
		__asm__ volatile("movq %0, %%mm0\n\tmovq %1, %%mm1\n\t" insn " %%mm1, %%mm0\n\tmovq %%mm0, %0"         \
				 : "+r"(r_)                                                                            \
				 : "r"((uint64_t)(b)));                                                                \
		r_;                                                                                                    \
	})

static void check_arithmetic(void)
{
	check_later("PADDB wraps", MMX_OP("paddb", 0x7f80ff0102030405ull, 0x0180010101010101ull),
		    0x8000000203040506ull);
	check_later("PADDSB saturates", MMX_OP("paddsb", 0x7f80ff0102030405ull, 0x0180010101010101ull),
		    0x7f80000203040506ull);
	check_later("PADDUSB saturates", MMX_OP("paddusb", 0xff80ff0102030405ull, 0x0180010101010101ull),
		    0xffffff0203040506ull);
	check_later("PSUBUSW floors at 0", MMX_OP("psubusw", 0x0001000580000000ull, 0x0002000300010001ull),
		    0x000000027fff0000ull);
	check_later("PSUBQ", MMX_OP("psubq", 0ull, 1ull), ~0ull);
	check_later("PMULLW", MMX_OP("pmullw", 0x0003ffff12340100ull, 0x0005000200100100ull), 0x000ffffe23400000ull);
	check_later("PMULHW", MMX_OP("pmulhw", 0x0003ffff12340100ull, 0x0005000200100100ull), 0x0000ffff00010001ull);
	check_later("PMADDWD", MMX_OP("pmaddwd", 0x0002000380000001ull, 0x0004000580000002ull), 0x0000001740000002ull);
	check_later("PMULUDQ", MMX_OP("pmuludq", 0x12345678ffffffffull, 0x87654321ffffffffull), 0xfffffffe00000001ull);
	check_later("PCMPGTW signed", MMX_OP("pcmpgtw", 0x0001ffff80007fffull, 0x00000000ffff7ffeull),
		    0xffff00000000ffffull);
	check_later("PACKSSWB", MMX_OP("packsswb", 0x0100ff80007fff7full, 0x0001000200030004ull),
		    0x010203047f807f80ull);
	check_later("PACKUSWB", MMX_OP("packuswb", 0x0100ff80007f0001ull, 0x0001000200030004ull),
		    0x01020304ff007f01ull);
	check_later("PACKSSDW", MMX_OP("packssdw", 0x00010000fffe0000ull, 0x0000000100000002ull),
		    0x000100027fff8000ull);
	check_later("PUNPCKLBW", MMX_OP("punpcklbw", 0x0706050403020100ull, 0x1716151413121110ull),
		    0x1303120211011000ull);
	check_later("PUNPCKHBW", MMX_OP("punpckhbw", 0x0706050403020100ull, 0x1716151413121110ull),
		    0x1707160615051404ull);
	check_later("PUNPCKHDQ", MMX_OP("punpckhdq", 0x0706050403020100ull, 0x1716151413121110ull),
		    0x1716151407060504ull);
	check_later("PSRAW by 4 (register count)", MMX_OP("psraw", 0x80007fff0010fff0ull, 4ull), 0xf80007ff0001ffffull);
	check_later("PSLLQ by 64 clears", MMX_OP("psllq", 0x0123456789abcdefull, 64ull), 0);
	check_later("PSADBW", MMX_OP("psadbw", 0x00ff000a05000000ull, 0xff00000005000001ull), 0x209);
	check_later("PAVGB rounds up", MMX_OP("pavgb", 0x00ff000100000000ull, 0x00ff000200000000ull),
		    0x00ff000200000000ull);
}

/* --- aliasing ------------------------------------------------------------ */

static void check_aliasing(void)
{
	uint64_t mm7, fsw;

	/* Two pushes: TOP = 6, R7 and R6 hold 1.0 (significand 1 << 63), every
	 * other register empty. MM7 is R7, not ST(7). */
	__asm__ volatile("fninit\n\tfld1\n\tfld1\n\tmovq %%mm7, %0\n\tfnstsw %%ax\n\tmovzwl %%ax, %k1"
			 : "=r"(mm7), "=r"(fsw)
			 :
			 : "rax");
	check_later("MM7 reads physical register R7 (TOP was 6)", mm7, 0x8000000000000000ull);
	check_later("an MMX read sets TOP to 0", fsw & FSW_TOP, 0);
	save_state();
	check_later("an MMX read tags every register valid", fx.ftw, 0xff);
	check_later("an MMX read leaves R7's exponent alone", fx.st[7].se, 0x3fff);

	__asm__ volatile("movq %0, %%mm2" : : "r"(0x0123456789abcdefull));
	save_state();
	check_later("MOVQ to MM2 writes R2's significand", fx.st[2].sig, 0x0123456789abcdefull);
	check_later("a write to MM2 sets R2's bits 79:64 to ones", fx.st[2].se, 0xffff);
	check_later("R6 keeps the 1.0 pushed before", fx.st[6].sig, 0x8000000000000000ull);
	check_later("R6 keeps the 1.0 pushed before", fx.st[6].se, 0x3fff);

	__asm__ volatile("emms");
	save_state();
	check_later("EMMS empties every tag", fx.ftw, 0);
	check_later("EMMS leaves TOP 0", fx.fsw & FSW_TOP, 0);
	check_later("EMMS keeps the registers' contents", fx.st[2].sig, 0x0123456789abcdefull);

	/* After EMMS the x87 works again: FLD1 goes to R7. */
	__asm__ volatile("fld1\n\tfnstsw %%ax\n\tmovzwl %%ax, %k0\n\tfstp %%st(0)" : "=r"(fsw) : : "rax");
	check_later("x87 after EMMS: FLD1 pushes without overflow, TOP 7", fsw & (FSW_TOP | 0x41), 0x3800);

	/* Without EMMS every tag stays valid: FLD1 overflows (IE, SF, C1). */
	__asm__ volatile("movq %%mm0, %%mm1\n\tfld1\n\tfnstsw %%ax\n\tmovzwl %%ax, %k0\n\tfninit"
			 : "=r"(fsw)
			 :
			 : "rax");
	check_later("FLD1 on the MMX state: stack overflow (IE, SF, C1)", fsw & 0x0241, 0x0241);
	__asm__ volatile("emms");
}

static uint64_t user_mmx_tests(uint64_t arg)
{
	(void)arg;
	check_arithmetic();
	check_aliasing();
	return 0;
}

int main(void)
{
	kernel64_init();
	printf("MMX tests (run at CPL 3)\n");
	/* MMX needs CR0.EM clear (SDM Vol. 3A, table 12-1); FXSAVE needs OSFXSR. */
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR);
	user_call(user_mmx_tests, 0);
	print_checks(0);
	test_done();
}
