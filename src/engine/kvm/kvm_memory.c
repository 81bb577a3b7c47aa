/* Guest RAM as KVM's memory slots: one per region (vm/memory.h), set at
 * create and set again when dirty logging turns on or off
 * (kvm_dirty_log.c). */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/kvm/kvm_internal.h"
#include "vm/memory.h"

int kvm_map_memory(struct engine *e, uint32_t flags, char *why, size_t why_len)
{
	for (unsigned i = 0; i < e->mem->nregions; i++) {
		const struct mem_region *r = &e->mem->region[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.flags = flags,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
		};

		if (ioctl(e->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
			snprintf(why, why_len, "kvm: cannot map guest RAM at 0x%llx: %s", (unsigned long long)r->gpa,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}
