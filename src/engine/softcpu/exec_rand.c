/* RDRAND and RDSEED (Intel SDM Vol. 2; AMD APM Vol. 3): a random value from
 * the host's getrandom(2), CF = 1; when none can be had, the architected
 * failure: destination 0, CF = 0, which software retries. OF SF ZF AF PF
 * are cleared either way. The VMM never blocks on the host's entropy pool
 * (GRND_NONBLOCK): an uninitialised pool is a failure.
 *
 * Both draw from the same source: the host kernel's generator is seeded from
 * its own entropy sources and reseeded, which is what RDSEED's "fully
 * conditioned seed" promises a guest in practice; the difference between
 * the two cannot be observed from inside. */
#include <errno.h>
#include <sys/random.h>

#include "engine/softcpu/flags.h"
#include "engine/softcpu/handlers.h"

static bool rand_fails_for_tests;

void exec_rand_fail_for_tests(bool fail)
{
	rand_fails_for_tests = fail;
}

static bool host_random(void *buf, size_t len)
{
	ssize_t n;

	if (rand_fails_for_tests)
		return false;
	do
		n = getrandom(buf, len, GRND_NONBLOCK);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

static void h_rdrand(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t v = 0;
	bool ok = host_random(&v, size);

	reg_write(cpu, in->op[0].reg, size, ok ? v : 0);
	flags_set_arith(cpu, ok ? RFLAGS_CF : 0);
}

const struct dispatch_entry exec_rand_table[] = {
	{ ZYDIS_MNEMONIC_RDRAND, h_rdrand, 0 },
	{ ZYDIS_MNEMONIC_RDSEED, h_rdrand, 0 },
	{ 0, NULL, 0 },
};
