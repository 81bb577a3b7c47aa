/* AES-NI (Intel SDM Vol. 2, AESENC ... AESKEYGENASSIST; the AES rounds as
 * FIPS-197 defines them): AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC and
 * AESKEYGENASSIST, and their VEX.128 forms (xmm_forms.h). Computed here, so
 * that the host needs no AES-NI.
 *
 * The state is the XMM register's 16 bytes in FIPS-197's column order: byte i
 * is row i % 4 of column i / 4 (SDM Vol. 2, "AESENC"; Intel's AES-NI white
 * paper uses the same). */
#include <pthread.h>
#include <string.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/xmm_forms.h"

static uint8_t sbox[256], inv_sbox[256];
static pthread_once_t sbox_once = PTHREAD_ONCE_INIT;

/* Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197, 4.2). */
static uint8_t gf_mul(uint8_t a, uint8_t b)
{
	uint8_t p = 0;

	while (b) {
		if (b & 1)
			p ^= a;
		a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
		b >>= 1;
	}
	return p;
}

static uint8_t rotl8(uint8_t v, unsigned n)
{
	return (uint8_t)((v << n) | (v >> (8 - n)));
}

/* The S-box of FIPS-197, 5.1.1: the multiplicative inverse (0 for 0), then
 * the affine transformation b ^ rotl(b,1..4) ^ 0x63. */
static void sbox_build(void)
{
	for (unsigned x = 0; x < 256; x++) {
		uint8_t inv = 0;

		for (unsigned y = 1; y < 256 && x; y++) {
			if (gf_mul((uint8_t)x, (uint8_t)y) == 1) {
				inv = (uint8_t)y;
				break;
			}
		}
		sbox[x] = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
	}
	for (unsigned x = 0; x < 256; x++)
		inv_sbox[sbox[x]] = (uint8_t)x;
}

static void sub_bytes(xmm_t *s, const uint8_t *box)
{
	for (unsigned i = 0; i < 16; i++)
		s->b[i] = box[s->b[i]];
}

/* Row r moves left by r columns (ShiftRows), or right (InvShiftRows). */
static void shift_rows(xmm_t *s, bool inverse)
{
	xmm_t t = *s;

	for (unsigned c = 0; c < 4; c++)
		for (unsigned r = 0; r < 4; r++)
			s->b[r + 4 * c] = t.b[r + 4 * ((inverse ? c + 4 - r : c + r) % 4)];
}

/* Each column times {03}x^3 + {01}x^2 + {01}x + {02} (MixColumns) or
 * {0b}x^3 + {0d}x^2 + {09}x + {0e} (InvMixColumns), FIPS-197 5.1.3, 5.3.3. */
static void mix_columns(xmm_t *s, bool inverse)
{
	static const uint8_t fwd[4] = { 2, 3, 1, 1 }, inv[4] = { 14, 11, 13, 9 };
	const uint8_t *m = inverse ? inv : fwd;

	for (unsigned c = 0; c < 4; c++) {
		uint8_t col[4];

		memcpy(col, &s->b[4 * c], 4);
		for (unsigned r = 0; r < 4; r++)
			s->b[4 * c + r] = gf_mul(col[r], m[0]) ^ gf_mul(col[(r + 1) % 4], m[1]) ^
					  gf_mul(col[(r + 2) % 4], m[2]) ^ gf_mul(col[(r + 3) % 4], m[3]);
	}
}

enum aes_round { AES_ENC, AES_ENC_LAST, AES_DEC, AES_DEC_LAST };

/* One round on the state (first source) with the round key (last source):
 * AESENC: ShiftRows, SubBytes, MixColumns, AddRoundKey; AESDEC: InvShiftRows,
 * InvSubBytes, InvMixColumns, AddRoundKey; the LAST forms without the
 * column mixing (SDM Vol. 2, the instructions' Operation sections). */
static void do_round(struct soft_cpu *cpu, const struct insn *in, bool vex, enum aes_round round)
{
	bool dec = round == AES_DEC || round == AES_DEC_LAST;
	xmm_t s, key;

	pthread_once(&sbox_once, sbox_build);
	xmm_forms_sources(cpu, in, vex, &s, &key);
	shift_rows(&s, dec);
	sub_bytes(&s, dec ? inv_sbox : sbox);
	if (round == AES_ENC || round == AES_DEC)
		mix_columns(&s, dec);
	s.q[0] ^= key.q[0];
	s.q[1] ^= key.q[1];
	xmm_forms_result(cpu, in, vex, &s);
}

/* AESIMC: InvMixColumns of the source (a round key for the decryption's
 * equivalent inverse cipher). */
static void do_imc(struct soft_cpu *cpu, const struct insn *in, bool vex)
{
	xmm_t s;

	xmm_forms_sources(cpu, in, vex, NULL, &s);
	mix_columns(&s, true);
	xmm_forms_result(cpu, in, vex, &s);
}

static uint32_t sub_word(uint32_t w)
{
	return (uint32_t)sbox[w & 0xff] | (uint32_t)sbox[(w >> 8) & 0xff] << 8 |
	       (uint32_t)sbox[(w >> 16) & 0xff] << 16 | (uint32_t)sbox[w >> 24] << 24;
}

/* AESKEYGENASSIST: from dwords 1 and 3 of the source, SubWord(X) and
 * RotWord(SubWord(X)) ^ RCON, RCON being imm8 zero-extended (RotWord: the
 * dword rotated right by 8 bits, FIPS-197's [a0,a1,a2,a3] -> [a1,a2,a3,a0]). */
static void do_keygen(struct soft_cpu *cpu, const struct insn *in, bool vex)
{
	xmm_t s, r;
	uint32_t rcon;
	unsigned imm;

	pthread_once(&sbox_once, sbox_build);
	imm = xmm_forms_sources(cpu, in, vex, NULL, &s);
	rcon = (uint32_t)(in->op[imm].imm & 0xff);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t x = sub_word(s.d[1 + 2 * i]);

		r.d[2 * i] = x;
		r.d[2 * i + 1] = ((x >> 8) | (x << 24)) ^ rcon;
	}
	xmm_forms_result(cpu, in, vex, &r);
}

static void h_aesenc(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, false, AES_ENC);
}
static void h_aesenclast(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, false, AES_ENC_LAST);
}
static void h_aesdec(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, false, AES_DEC);
}
static void h_aesdeclast(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, false, AES_DEC_LAST);
}
static void h_aesimc(struct soft_cpu *cpu, const struct insn *in)
{
	do_imc(cpu, in, false);
}
static void h_aeskeygenassist(struct soft_cpu *cpu, const struct insn *in)
{
	do_keygen(cpu, in, false);
}
static void h_vaesenc(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, true, AES_ENC);
}
static void h_vaesenclast(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, true, AES_ENC_LAST);
}
static void h_vaesdec(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, true, AES_DEC);
}
static void h_vaesdeclast(struct soft_cpu *cpu, const struct insn *in)
{
	do_round(cpu, in, true, AES_DEC_LAST);
}
static void h_vaesimc(struct soft_cpu *cpu, const struct insn *in)
{
	do_imc(cpu, in, true);
}
static void h_vaeskeygenassist(struct soft_cpu *cpu, const struct insn *in)
{
	do_keygen(cpu, in, true);
}

const struct dispatch_entry exec_aes_table[] = {
	{ ZYDIS_MNEMONIC_AESENC, h_aesenc, 0 },
	{ ZYDIS_MNEMONIC_AESENCLAST, h_aesenclast, 0 },
	{ ZYDIS_MNEMONIC_AESDEC, h_aesdec, 0 },
	{ ZYDIS_MNEMONIC_AESDECLAST, h_aesdeclast, 0 },
	{ ZYDIS_MNEMONIC_AESIMC, h_aesimc, 0 },
	{ ZYDIS_MNEMONIC_AESKEYGENASSIST, h_aeskeygenassist, 0 },
	{ ZYDIS_MNEMONIC_VAESENC, h_vaesenc, 0 },
	{ ZYDIS_MNEMONIC_VAESENCLAST, h_vaesenclast, 0 },
	{ ZYDIS_MNEMONIC_VAESDEC, h_vaesdec, 0 },
	{ ZYDIS_MNEMONIC_VAESDECLAST, h_vaesdeclast, 0 },
	{ ZYDIS_MNEMONIC_VAESIMC, h_vaesimc, 0 },
	{ ZYDIS_MNEMONIC_VAESKEYGENASSIST, h_vaeskeygenassist, 0 },
	{ 0, NULL, 0 },
};
