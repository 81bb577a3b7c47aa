/* The SHA extensions (Intel SDM Vol. 2, SHA1RNDS4 ... SHA256MSG2, whose
 * Operation sections define them on FIPS 180-4's functions): four SHA-1
 * rounds, SHA-1's next E, the SHA-1 message schedule in two steps, two
 * SHA-256 rounds and the SHA-256 message schedule in two steps. Legacy SSE
 * encodings only, with the SSE checks; a 16-byte memory source may lie at
 * any address, as on the modelled AMD processor: the Zen 3 host runs every
 * SHA instruction on a misaligned m128 without #GP(0), where AES-NI and
 * PCLMULQDQ take it (tests/unit/test_softcpu_beyond_v3.c). Computed here, so
 * that the host needs no SHA extensions.
 *
 * Dwords are named as the SDM names them: SRC[127:96] is d[3]. */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/sse.h"

static uint32_t rol32(uint32_t v, unsigned n)
{
	return (v << n) | (v >> (32 - n));
}

static uint32_t ror32(uint32_t v, unsigned n)
{
	return (v >> n) | (v << (32 - n));
}

/* dst = op[0] (also the first source), src = op[1], at any alignment. */
static void sources(struct soft_cpu *cpu, const struct insn *in, xmm_t *dst, xmm_t *src)
{
	sse_check(cpu);
	*src = sse_src(cpu, in, &in->op[1], true);
	*dst = xmm_get(cpu, in->op[0].reg);
}

/* ---- SHA-1 ------------------------------------------------------------------------ */

/* f and K of SHA-1's rounds 0-19, 20-39, 40-59, 60-79 (FIPS 180-4, 4.1.1
 * and 4.2.1), chosen by imm8[1:0]. */
static uint32_t sha1_f(unsigned which, uint32_t b, uint32_t c, uint32_t d)
{
	switch (which) {
	case 0:
		return (b & c) ^ (~b & d);
	case 2:
		return (b & c) ^ (b & d) ^ (c & d);
	default:
		return b ^ c ^ d;
	}
}

static void h_sha1rnds4(struct soft_cpu *cpu, const struct insn *in)
{
	static const uint32_t k[4] = { 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6 };
	xmm_t s, w;
	unsigned f;
	uint32_t a, b, c, d, e = 0;

	sources(cpu, in, &s, &w);
	f = (unsigned)in->op[2].imm & 3;
	a = s.d[3];
	b = s.d[2];
	c = s.d[1];
	d = s.d[0];
	/* W0 already holds E (SHA1NEXTE): the first round adds no E. */
	for (unsigned i = 0; i < 4; i++) {
		uint32_t t = sha1_f(f, b, c, d) + rol32(a, 5) + w.d[3 - i] + e + k[f];

		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = t;
	}
	s.d[3] = a;
	s.d[2] = b;
	s.d[1] = c;
	s.d[0] = d;
	xmm_set(cpu, in->op[0].reg, &s);
}

static void h_sha1nexte(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s;

	sources(cpu, in, &d, &s);
	s.d[3] += rol32(d.d[3], 30);
	xmm_set(cpu, in->op[0].reg, &s);
}

static void h_sha1msg1(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s, r;

	sources(cpu, in, &d, &s);
	r.d[3] = d.d[1] ^ d.d[3];
	r.d[2] = d.d[0] ^ d.d[2];
	r.d[1] = s.d[3] ^ d.d[1];
	r.d[0] = s.d[2] ^ d.d[0];
	xmm_set(cpu, in->op[0].reg, &r);
}

static void h_sha1msg2(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s, r;

	sources(cpu, in, &d, &s);
	r.d[3] = rol32(d.d[3] ^ s.d[2], 1);
	r.d[2] = rol32(d.d[2] ^ s.d[1], 1);
	r.d[1] = rol32(d.d[1] ^ s.d[0], 1);
	r.d[0] = rol32(d.d[0] ^ r.d[3], 1);
	xmm_set(cpu, in->op[0].reg, &r);
}

/* ---- SHA-256 ------------------------------------------------------------------------ */

/* FIPS 180-4, 4.1.2: the four functions of SHA-256 and Ch, Maj. */
static uint32_t big_sigma0(uint32_t x)
{
	return ror32(x, 2) ^ ror32(x, 13) ^ ror32(x, 22);
}
static uint32_t big_sigma1(uint32_t x)
{
	return ror32(x, 6) ^ ror32(x, 11) ^ ror32(x, 25);
}
static uint32_t small_sigma0(uint32_t x)
{
	return ror32(x, 7) ^ ror32(x, 18) ^ (x >> 3);
}
static uint32_t small_sigma1(uint32_t x)
{
	return ror32(x, 17) ^ ror32(x, 19) ^ (x >> 10);
}

/* SHA256RNDS2 xmm1, xmm2/m128, <XMM0>: two rounds. xmm1 holds C D G H,
 * xmm2 A B E F (from the high dword down), XMM0's low two dwords W+K. */
static void h_sha256rnds2(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t s1, s2, wk, r;
	uint32_t a, b, c, d, e, f, g, h;

	sources(cpu, in, &s1, &s2);
	wk = xmm_get(cpu, 0);
	a = s2.d[3];
	b = s2.d[2];
	c = s1.d[3];
	d = s1.d[2];
	e = s2.d[1];
	f = s2.d[0];
	g = s1.d[1];
	h = s1.d[0];
	for (unsigned i = 0; i < 2; i++) {
		uint32_t t1 = ((e & f) ^ (~e & g)) + big_sigma1(e) + wk.d[i] + h;
		uint32_t t2 = ((a & b) ^ (a & c) ^ (b & c)) + big_sigma0(a);

		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	r.d[3] = a;
	r.d[2] = b;
	r.d[1] = e;
	r.d[0] = f;
	xmm_set(cpu, in->op[0].reg, &r);
}

static void h_sha256msg1(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s, r;

	sources(cpu, in, &d, &s);
	r.d[3] = d.d[3] + small_sigma0(s.d[0]);
	r.d[2] = d.d[2] + small_sigma0(d.d[3]);
	r.d[1] = d.d[1] + small_sigma0(d.d[2]);
	r.d[0] = d.d[0] + small_sigma0(d.d[1]);
	xmm_set(cpu, in->op[0].reg, &r);
}

static void h_sha256msg2(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s, r;

	sources(cpu, in, &d, &s);
	r.d[0] = d.d[0] + small_sigma1(s.d[2]);
	r.d[1] = d.d[1] + small_sigma1(s.d[3]);
	r.d[2] = d.d[2] + small_sigma1(r.d[0]);
	r.d[3] = d.d[3] + small_sigma1(r.d[1]);
	xmm_set(cpu, in->op[0].reg, &r);
}

const struct dispatch_entry exec_sha_table[] = {
	{ ZYDIS_MNEMONIC_SHA1RNDS4, h_sha1rnds4, 0 },	  { ZYDIS_MNEMONIC_SHA1NEXTE, h_sha1nexte, 0 },
	{ ZYDIS_MNEMONIC_SHA1MSG1, h_sha1msg1, 0 },	  { ZYDIS_MNEMONIC_SHA1MSG2, h_sha1msg2, 0 },
	{ ZYDIS_MNEMONIC_SHA256RNDS2, h_sha256rnds2, 0 }, { ZYDIS_MNEMONIC_SHA256MSG1, h_sha256msg1, 0 },
	{ ZYDIS_MNEMONIC_SHA256MSG2, h_sha256msg2, 0 },	  { 0, NULL, 0 },
};
