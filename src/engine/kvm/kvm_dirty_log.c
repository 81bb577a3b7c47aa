/* Dirty-page logging on kvm (engine_ops, vm/dirty_log.h): the guest's own
 * stores are recorded by KVM per memory slot (KVM_MEM_LOG_DIRTY_PAGES);
 * KVM_GET_DIRTY_LOG hands a slot's bitmap over and clears it, write-
 * protecting the pages again, so a store after the call is in the next one.
 * Writes by the VMM itself (devices, hypercalls) are not KVM's: guest RAM's
 * own log has them (vm/memory.h). */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/kvm/kvm_internal.h"
#include "vm/memory.h"

int kvm_dirty_log_start(struct engine *e, char *why, size_t why_len)
{
	return kvm_map_memory(e, KVM_MEM_LOG_DIRTY_PAGES, why, why_len);
}

/* ORs the slot's bitmap (its pages from bit 0) into bitmap at bit first. */
static void or_bits(uint64_t *bitmap, uint64_t first, const uint64_t *slot, uint64_t pages)
{
	for (uint64_t w = 0; w < (pages + 63) / 64; w++)
		for (uint64_t bits = slot[w]; bits; bits &= bits - 1) {
			uint64_t n = first + w * 64 + (uint64_t)__builtin_ctzll(bits);

			bitmap[n / 64] |= 1ull << (n % 64);
		}
}

int kvm_dirty_log_collect(struct engine *e, uint64_t *bitmap, char *why, size_t why_len)
{
	for (unsigned i = 0; i < e->mem->nregions; i++) {
		const struct mem_region *r = &e->mem->region[i];
		uint64_t pages = r->size >> 12;
		uint64_t *slot = calloc((pages + 63) / 64, sizeof(uint64_t));
		struct kvm_dirty_log log = { .slot = i, .dirty_bitmap = slot };

		if (!slot) {
			snprintf(why, why_len, "kvm: out of memory for the dirty log");
			return -1;
		}
		if (ioctl(e->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
			snprintf(why, why_len, "kvm: KVM_GET_DIRTY_LOG: %s", strerror(errno));
			free(slot);
			return -1;
		}
		or_bits(bitmap, (uint64_t)(r->hva - e->mem->base) >> 12, slot, pages);
		free(slot);
	}
	return 0;
}

void kvm_dirty_log_stop(struct engine *e)
{
	char why[200];

	/* The slots as they were; if KVM refuses, logging only costs time. */
	(void)kvm_map_memory(e, 0, why, sizeof(why));
}
