#include "engine/dbt/code_cache.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

int code_cache_init(struct code_cache *cc, unsigned mib, char *why, size_t why_len)
{
	size_t size = (size_t)mib << 20;
	int fd;

	memset(cc, 0, sizeof(*cc));
	if (mib < CODE_CACHE_MIN_MIB || mib > CODE_CACHE_MAX_MIB) {
		snprintf(why, why_len, "dbt cache size %u MiB is outside %u..%u MiB", mib, CODE_CACHE_MIN_MIB,
			 CODE_CACHE_MAX_MIB);
		return -1;
	}
	fd = memfd_create("ringvisor-dbt", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		snprintf(why, why_len, "dbt cache: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cc->rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cc->rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	close(fd); /* the mappings keep the memory */
	if (cc->rw == MAP_FAILED || cc->rx == MAP_FAILED) {
		snprintf(why, why_len, "dbt cache: %s", strerror(errno));
		if (cc->rw != MAP_FAILED)
			munmap(cc->rw, size);
		if (cc->rx != MAP_FAILED)
			munmap(cc->rx, size);
		cc->rw = cc->rx = NULL;
		return -1;
	}
	cc->size = size;
	return 0;
}

void code_cache_destroy(struct code_cache *cc)
{
	if (cc->rw) {
		munmap(cc->rw, cc->size);
		munmap(cc->rx, cc->size);
	}
	memset(cc, 0, sizeof(*cc));
}

/* Pages are mapped into both views a chunk at a time, ahead of use: two
 * madvise calls instead of a fault per new page in each view (about 20,000
 * in a Linux boot, a sixth of all its host page faults, each costly in a
 * nested VM). A kernel without MADV_POPULATE_* (before 5.14) faults them in
 * as before. */
#define POPULATE_CHUNK (1u << 20)

static void populate_to(struct code_cache *cc, size_t end)
{
	while (cc->populated < end && cc->populated < cc->size) {
		size_t len = cc->size - cc->populated < POPULATE_CHUNK ? cc->size - cc->populated : POPULATE_CHUNK;

		(void)madvise(cc->rw + cc->populated, len, MADV_POPULATE_WRITE);
		(void)madvise(cc->rx + cc->populated, len, MADV_POPULATE_READ);
		cc->populated += len;
	}
}

uint8_t *code_cache_alloc(struct code_cache *cc, size_t len, size_t align)
{
	size_t start = (cc->used + align - 1) & ~(align - 1);

	if (start > cc->size || len > cc->size - start)
		return NULL;
	cc->used = start + len;
	populate_to(cc, cc->used);
	return cc->rw + start;
}

void code_cache_shrink_last(struct code_cache *cc, const uint8_t *rw, size_t len)
{
	size_t end = (size_t)(rw - cc->rw) + len;

	if (end < cc->used)
		cc->used = end;
}

void code_cache_reset(struct code_cache *cc)
{
	code_cache_wrote(cc, cc->rw, cc->used);
	cc->used = 0;
}

void code_cache_wrote(struct code_cache *cc, const uint8_t *rw, size_t len)
{
	cc->written = true;
#ifdef VALGRIND_DISCARD_TRANSLATIONS
	/* Valgrind sees no write to the executable view, so it must be told. */
	VALGRIND_DISCARD_TRANSLATIONS(code_cache_rx(cc, rw), len);
#else
	(void)rw;
	(void)len;
#endif
}

/* IRETQ to the next instruction at the same privilege level: serializing, and
 * about 40 ns here against 1.5 us for CPUID, which traps to the hypervisor in a
 * VM. The frame goes below the red zone, which the compiler may be using. */
static void serialize(void)
{
	__asm__ volatile("subq $128, %%rsp\n\t"
			 "movq %%rsp, %%rcx\n\t"
			 "movl %%ss, %%eax\n\t"
			 "pushq %%rax\n\t"
			 "pushq %%rcx\n\t"
			 "pushfq\n\t"
			 "movl %%cs, %%eax\n\t"
			 "pushq %%rax\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "iretq\n\t"
			 "1:\n\t"
			 "addq $128, %%rsp"
			 :
			 :
			 : "rax", "rcx", "memory", "cc");
}

void code_cache_serialize(struct code_cache *cc)
{
	if (!cc->written)
		return;
	cc->written = false;
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return; /* valgrind re-translates what it was told about; IRETQ it may not emulate */
#endif
	serialize();
}
