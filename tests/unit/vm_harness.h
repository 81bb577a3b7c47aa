/* The whole machine as vm_create() builds it for the unit tests that reach
 * its buses: the interp engine, 16 MiB of RAM and a one-byte flat kernel
 * (HLT). Nothing runs the vCPU; a test reaches the buses as the vCPU loop
 * does after an exit. vm_harness_create builds one of any configuration
 * and flat kernel, for tests that run the vCPU themselves. */
#ifndef RV_VM_HARNESS_H
#define RV_VM_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit_helpers.h"
#include "vm/vm.h"
#include "x86/cpu_model.h"

struct vm_harness {
	struct vm vm;
	char kernel[128];
};

/* The machine cfg describes (engine and CPU model set) booting the flat
 * kernel code (len bytes, at 0x7c00 in real mode); NULL if it cannot be made.
 * vm_harness_teardown ends it. */
static inline struct vm_harness *vm_harness_create(struct vm_config *cfg, const void *code, size_t len)
{
	struct vm_harness *h = calloc(1, sizeof(*h));
	char why[512];

	if (!h || temp_file_write(h->kernel, sizeof(h->kernel), code, len)) {
		free(h);
		return NULL;
	}
	cfg->boot = (struct load_request){ .kernel_path = h->kernel, .format = FORMAT_FLAT };
	if (!cfg->engine || vm_create(&h->vm, cfg, why, sizeof(why))) {
		fprintf(stderr, "vm_create: %s\n", why);
		vm_destroy(&h->vm);
		unlink(h->kernel);
		free(h);
		return NULL;
	}
	return h;
}

/* A cmocka setup's work: *state gets the harness; -1 if it cannot be made.
 * rng: whether the machine has its virtio-rng (the command line's default);
 * disks: --disk images (ndisks of them, may be 0); edit, if given, changes
 * the configuration (the command line's defaults otherwise) before the
 * machine is built. */
static inline int vm_harness_setup_with(void **state, bool rng, const struct disk_config *disks, unsigned ndisks,
					void (*edit)(struct vm_config *cfg))
{
	static const uint8_t hlt = 0xf4;
	struct vm_config cfg = { .mem_size = 16ull << 20, .rng = rng, .ndisks = ndisks };
	struct vm_harness *h;

	for (unsigned i = 0; i < ndisks; i++)
		cfg.disks[i] = disks[i];
	cfg.engine = engine_find("interp");
	cfg.cpu_model = cpu_model_find("baseline");
	if (edit)
		edit(&cfg);
	h = vm_harness_create(&cfg, &hlt, 1);
	if (!h)
		return -1;
	*state = h;
	return 0;
}

static inline int vm_harness_setup_disks(void **state, bool rng, const struct disk_config *disks, unsigned ndisks)
{
	return vm_harness_setup_with(state, rng, disks, ndisks, NULL);
}

static inline int vm_harness_setup_edit(void **state, bool rng, void (*edit)(struct vm_config *cfg))
{
	return vm_harness_setup_with(state, rng, NULL, 0, edit);
}

static inline int vm_harness_setup(void **state, bool rng)
{
	return vm_harness_setup_with(state, rng, NULL, 0, NULL);
}

static inline int vm_harness_teardown(void **state)
{
	struct vm_harness *h = *state;

	vm_destroy(&h->vm);
	unlink(h->kernel);
	free(h);
	return 0;
}

#endif
