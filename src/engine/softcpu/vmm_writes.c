#include "engine/softcpu/vmm_writes.h"

#include <string.h>

void vmm_writes_init(struct vmm_writes *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
}

void vmm_writes_fini(struct vmm_writes *w)
{
	pthread_mutex_destroy(&w->lock);
}

/* Extends one of the last few ranges that [gpa, gpa + len) overlaps or
 * touches, as long as it stays within VMM_WRITES_RANGE_MAX; false if none.
 * Called with the lock held, len <= VMM_WRITES_RANGE_MAX. */
static bool merge_recent(struct vmm_writes *w, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (end < gpa)
		return false;
	for (unsigned i = w->count; i > 0 && w->count - i < VMM_WRITES_MERGE_RECENT; i--) {
		struct vmm_write_range *r = &w->range[i - 1];
		uint64_t r_end = r->gpa + r->len, lo, hi;

		if (gpa > r_end || end < r->gpa)
			continue;
		lo = gpa < r->gpa ? gpa : r->gpa;
		hi = end > r_end ? end : r_end;
		if (hi - lo > VMM_WRITES_RANGE_MAX)
			return false;
		*r = (struct vmm_write_range){ lo, hi - lo };
		return true;
	}
	return false;
}

bool vmm_writes_post(struct vmm_writes *w, uint64_t gpa, uint64_t len)
{
	if (!len)
		return false;
	pthread_mutex_lock(&w->lock);
	if (len > VMM_WRITES_RANGE_MAX)
		w->everything = true;
	else if (!w->everything && !merge_recent(w, gpa, len)) {
		if (w->count == VMM_WRITES_RANGES)
			w->everything = true;
		else
			w->range[w->count++] = (struct vmm_write_range){ gpa, len };
	}
	__atomic_store_n(&w->posted, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&w->lock);
	return __atomic_load_n(&w->in_run, __ATOMIC_SEQ_CST) != 0;
}

void vmm_writes_enter(struct vmm_writes *w)
{
	__atomic_store_n(&w->in_run, 1, __ATOMIC_SEQ_CST);
}

bool vmm_writes_pending(struct vmm_writes *w)
{
	return __atomic_load_n(&w->posted, __ATOMIC_SEQ_CST) != 0;
}

void vmm_writes_leave(struct vmm_writes *w)
{
	__atomic_store_n(&w->in_run, 0, __ATOMIC_RELEASE);
}

void vmm_writes_take(struct vmm_writes *w, struct vmm_writes_taken *out)
{
	pthread_mutex_lock(&w->lock);
	out->everything = w->everything;
	out->count = w->everything ? 0 : w->count;
	memcpy(out->range, w->range, out->count * sizeof(out->range[0]));
	w->everything = false;
	w->count = 0;
	__atomic_store_n(&w->posted, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&w->lock);
}
