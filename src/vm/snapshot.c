#include "vm/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/atomic_dir.h"
#include "host/clock.h"
#include "vm/machine.h"
#include "vm/snapshot_config.h"
#include "vm/snapshot_memory.h"
#include "vm/vm_control.h"

int vm_state_save(struct vm *vm, struct state_writer *w, char *why, size_t why_len)
{
	state_write_header(w);
	device_registry_save(&vm->devices, w, vm->pc.clock.now_ns(vm->pc.clock.opaque));
	state_write_end(w);
	if (w->failed) {
		snprintf(why, why_len, "cannot save the VM's state (out of memory, or the %s engine refused)",
			 vm->ops ? vm->ops->name : "");
		return -1;
	}
	return 0;
}

static int write_memory(struct vm *vm, struct atomic_dir *d, struct snapshot_stats *st, char *why, size_t why_len)
{
	int fd = atomic_dir_create(d, SNAPSHOT_MEMORY_FILE, why, why_len);

	if (fd < 0)
		return -1;
	if (snapshot_memory_write(&vm->mem, fd, &st->memory_data_bytes, why, why_len)) {
		close(fd);
		return -1;
	}
	st->memory_bytes = vm->mem.size;
	return atomic_dir_close_file(fd, SNAPSHOT_MEMORY_FILE, why, why_len);
}

/* The three files into d; the state first, the cheapest to fail. */
static int write_files(struct vm *vm, struct atomic_dir *d, struct snapshot_stats *st, char *why, size_t why_len)
{
	struct state_writer w;
	char *config;
	int rc = -1;

	state_writer_init(&w);
	if (vm_state_save(vm, &w, why, why_len))
		goto out;
	st->state_bytes = w.len;
	config = snapshot_config_json(&vm->cfg, why, why_len);
	if (!config)
		goto out;
	rc = atomic_dir_write(d, SNAPSHOT_STATE_FILE, w.buf, w.len, why, why_len) ||
		     atomic_dir_write(d, SNAPSHOT_CONFIG_FILE, config, strlen(config), why, why_len) ||
		     write_memory(vm, d, st, why, why_len)
		 ? -1
		 : 0;
	free(config);
out:
	state_writer_free(&w);
	return rc;
}

int vm_snapshot_measured(struct vm *vm, const char *dir, struct snapshot_stats *st, char *why, size_t why_len)
{
	uint64_t t0 = monotonic_ns();
	struct atomic_dir d;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!vm_paused(vm)) {
		snprintf(why, why_len, "the VM is not paused");
		return -1;
	}
	rc = atomic_dir_begin(&d, dir, why, why_len) || write_files(vm, &d, st, why, why_len) ||
		     atomic_dir_commit(&d, why, why_len)
		 ? -1
		 : 0;
	atomic_dir_end(&d);
	st->ns = monotonic_ns() - t0;
	return rc;
}

int vm_snapshot(struct vm *vm, const char *dir, char *why, size_t why_len)
{
	struct snapshot_stats st;

	return vm_snapshot_measured(vm, dir, &st, why, why_len);
}

int vm_snapshot_pausing(struct vm *vm, const char *dir, char *why, size_t why_len)
{
	bool was_running = !vm_paused(vm);
	int rc;

	if (was_running && vm_pause(vm, why, why_len))
		return -1;
	rc = vm_snapshot(vm, dir, why, why_len);
	if (was_running)
		vm_resume(vm);
	return rc;
}
