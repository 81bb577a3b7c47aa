#include "engine/softcpu/code_pages.h"

#include <stdlib.h>

static unsigned page_hash(uint64_t gpa_page)
{
	return (unsigned)(((gpa_page >> 12) ^ (gpa_page >> 24)) & (CODE_PAGE_BUCKETS - 1));
}

int code_pages_init(struct code_pages *cp, uint64_t max_gpa)
{
	*cp = (struct code_pages){ .bitmap_pages = (max_gpa >> 12) + 1 };
	/* calloc of a large zeroed area costs pages only where bits get set. */
	cp->bitmap = calloc(cp->bitmap_pages / 8 + 1, 1);
	return cp->bitmap ? 0 : -1;
}

void code_pages_clear(struct code_pages *cp)
{
	for (unsigned i = 0; i < CODE_PAGE_BUCKETS; i++) {
		for (struct code_page *p = cp->bucket[i], *n; p; p = n) {
			n = p->next;
			if (p->gpa_page >> 12 < cp->bitmap_pages)
				cp->bitmap[p->gpa_page >> 15] &= (uint8_t) ~(1u << ((p->gpa_page >> 12) & 7));
			free(p);
		}
		cp->bucket[i] = NULL;
	}
}

void code_pages_fini(struct code_pages *cp)
{
	if (!cp->bitmap)
		return;
	code_pages_clear(cp);
	free(cp->bitmap);
	cp->bitmap = NULL;
}

struct code_page *code_pages_get(struct code_pages *cp, uint64_t gpa_page, bool create)
{
	unsigned h = page_hash(gpa_page);
	struct code_page *p;

	for (p = cp->bucket[h]; p; p = p->next)
		if (p->gpa_page == gpa_page)
			return p;
	if (!create || !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->gpa_page = gpa_page;
	p->next = cp->bucket[h];
	cp->bucket[h] = p;
	if ((gpa_page >> 12) < cp->bitmap_pages)
		cp->bitmap[gpa_page >> 15] |= (uint8_t)(1u << ((gpa_page >> 12) & 7));
	return p;
}

struct code_page *code_pages_hit(struct code_pages *cp, uint64_t gpa, unsigned size, uint64_t *hit)
{
	struct code_page *p = code_pages_get(cp, gpa & ~0xfffull, false);
	unsigned first = (unsigned)((gpa & 0xfff) >> 6), last = (unsigned)(((gpa & 0xfff) + size - 1) >> 6);

	*hit = 0;
	if (!p)
		return NULL;
	for (unsigned i = first; i <= last && i < 64; i++)
		*hit |= 1ull << i;
	*hit &= p->code_mask;
	return *hit ? p : NULL; /* else data beside code on the same page */
}
