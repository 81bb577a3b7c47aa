/* What the loader tests share: guest RAM, kernel files in temporary files, one
 * call of loader_load(), and checks of the entry state docs/guest-abi.md
 * promises ("Entry state by kernel format"). */
#ifndef RV_LOADER_HARNESS_H
#define RV_LOADER_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/vcpu_state.h"
#include "loader/loader.h"
#include "unit_helpers.h"
#include "vm/memory.h"

#define LH_MAX_FILES 4

struct loader_harness {
	struct guest_memory mem;
	struct load_request req;
	struct vcpu_state state;
	char why[512];
	char paths[LH_MAX_FILES][128];
	unsigned nfiles;
};

static inline struct loader_harness *lh_new(uint64_t mem_size)
{
	struct loader_harness *h = calloc(1, sizeof(*h));
	char why[256];

	if (!h)
		return NULL;
	if (guest_memory_init(&h->mem, mem_size, why, sizeof(why))) {
		free(h);
		return NULL;
	}
	return h;
}

static inline void lh_free(struct loader_harness *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->nfiles; i++)
		unlink(h->paths[i]);
	guest_memory_destroy(&h->mem);
	free(h);
}

/* A temporary file with these bytes; returns its path (owned by the harness). */
static inline const char *lh_file(struct loader_harness *h, const void *data, size_t size)
{
	char *path;

	assert_true(h->nfiles < LH_MAX_FILES);
	path = h->paths[h->nfiles];
	assert_int_equal(temp_file_write(path, sizeof(h->paths[0]), data, size), 0);
	h->nfiles++;
	return path;
}

/* Loads a kernel with these bytes as the request's kernel. Returns loader_load's result. */
static inline int lh_load(struct loader_harness *h, const void *kernel, size_t size)
{
	h->req.kernel_path = lh_file(h, kernel, size);
	h->why[0] = '\0';
	return loader_load(&h->req, &h->mem, &h->state, h->why, sizeof(h->why));
}

/* A refused load must say why in one line. */
static inline void lh_expect_refused(struct loader_harness *h, const void *kernel, size_t size)
{
	int rc = lh_load(h, kernel, size);

	if (rc != -1)
		fail_msg("loader accepted an image it should refuse");
	assert_true(h->why[0] != '\0');
	assert_null(strchr(h->why, '\n'));
}

static inline void lh_expect_loaded(struct loader_harness *h, const void *kernel, size_t size)
{
	int rc = lh_load(h, kernel, size);

	if (rc != 0)
		fail_msg("loader refused the image: %s", h->why);
}

static inline uint8_t *lh_ptr(struct loader_harness *h, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_memory_ptr(&h->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static inline uint32_t lh_u32(struct loader_harness *h, uint64_t gpa)
{
	return get_le32(lh_ptr(h, gpa, 4));
}

static inline uint64_t lh_u64(struct loader_harness *h, uint64_t gpa)
{
	return get_le64(lh_ptr(h, gpa, 8));
}

/* docs/guest-abi.md: "all other general-purpose registers zero unless listed". */
static inline void lh_expect_gprs_zero_except(const struct vcpu_state *s, int except1, int except2)
{
	for (int i = 0; i < GPR_COUNT; i++) {
		if (i == except1 || i == except2)
			continue;
		if (s->gpr[i] != 0)
			fail_msg("GPR %d is 0x%llx at entry, not zero", i, (unsigned long long)s->gpr[i]);
	}
}

/* What every entry mode shares: CPL 0 and RFLAGS = 0x2 (IF clear). */
static inline void lh_expect_common_entry(const struct vcpu_state *s)
{
	assert_int_equal(s->rflags, 0x2);
	assert_int_equal(s->seg[SREG_CS].dpl, 0);
	assert_int_equal(s->seg[SREG_SS].dpl, 0);
}

/* "no IDT (IDTR limit 0), and a GDT that Ringvisor wrote at guest-physical 0x1000". */
static inline void lh_expect_boot_descriptor_tables(const struct vcpu_state *s)
{
	assert_int_equal(s->idtr.limit, 0);
	assert_int_equal(s->gdtr.base, 0x1000);
	assert_true(s->gdtr.limit >= 0x1f); /* covers selector 0x18 */
}

static inline void lh_expect_flat_segment(const struct x86_segment *seg, uint16_t selector, int code, int db, int l)
{
	assert_int_equal(seg->selector, selector);
	assert_int_equal(seg->base, 0);
	assert_int_equal(seg->limit, 0xffffffffu);
	assert_int_equal(seg->present, 1);
	assert_int_equal(seg->s, 1);
	assert_int_equal(seg->dpl, 0);
	assert_int_equal(seg->g, 1);
	assert_int_equal(seg->db, db);
	assert_int_equal(seg->l, l);
	/* Type bit 3 set: code; clear: data. Code must be readable-executable (bit 1),
	 * data writable (bit 1). */
	assert_int_equal((seg->type >> 3) & 1, code);
	assert_int_equal((seg->type >> 1) & 1, 1);
	assert_int_equal(seg->unusable, 0);
}

static inline void lh_expect_data_segments(const struct vcpu_state *s)
{
	static const int data[] = { SREG_DS, SREG_ES, SREG_SS, SREG_FS, SREG_GS };

	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		lh_expect_flat_segment(&s->seg[data[i]], 0x10, 0, 1, 0);
}

/* ELF32 without Multiboot, and Multiboot: "32-bit protected mode, paging off:
 * CS = 0x18, DS = ES = SS = FS = GS = 0x10, CR0 = PE|ET". */
static inline void lh_expect_prot32_entry(const struct vcpu_state *s, uint32_t entry)
{
	lh_expect_common_entry(s);
	assert_int_equal(s->rip, entry);
	lh_expect_flat_segment(&s->seg[SREG_CS], 0x18, 1, 1, 0);
	lh_expect_data_segments(s);
	assert_int_equal(s->cr0, 0x11); /* PE (bit 0) | ET (bit 4); PG (bit 31) clear */
	assert_int_equal(s->cr4, 0);
	assert_int_equal(s->efer, 0);
	lh_expect_boot_descriptor_tables(s);
}

#endif
