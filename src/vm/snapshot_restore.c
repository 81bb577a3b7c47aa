#include "vm/snapshot_restore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader/file_image.h"
#include "vm/snapshot.h"
#include "vm/snapshot_memory.h"
#include "vm/vm.h"

#define PATH_LEN 4096

/* Puts dir/name in path; -1 with a reason if it does not fit. */
static int join(char *path, const char *dir, const char *name, char *why, size_t why_len)
{
	if ((size_t)snprintf(path, PATH_LEN, "%s/%s", dir, name) < PATH_LEN)
		return 0;
	snprintf(why, why_len, "snapshot directory name too long");
	return -1;
}

/* path (which f keeps pointing to), read whole if it is a regular file of at
 * most max bytes. */
static int read_file(const char *path, size_t max, struct file_image *f, char *why, size_t why_len)
{
	char reason[PATH_LEN + 128];
	uint64_t size;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = file_open_regular("", path, &size, reason, sizeof(reason));
	if (fd < 0) {
		snprintf(why, why_len, "snapshot %s", reason);
		return -1;
	}
	if (size > max) {
		snprintf(why, why_len, "snapshot %s: %llu bytes, more than %zu", path, (unsigned long long)size, max);
		close(fd);
		return -1;
	}
	return file_image_read_fd(f, fd, "snapshot ", path, size, why, why_len);
}

int snapshot_config_load(const char *dir, struct snapshot_config *c, char *why, size_t why_len)
{
	char path[PATH_LEN];
	struct file_image f;
	int rc;

	memset(c, 0, sizeof(*c));
	if (join(path, dir, SNAPSHOT_CONFIG_FILE, why, why_len) ||
	    read_file(path, SNAPSHOT_CONFIG_MAX_BYTES, &f, why, why_len))
		return -1;
	rc = snapshot_config_parse((const char *)f.data, f.size, c, why, why_len);
	file_image_free(&f);
	return rc;
}

int vm_state_load(struct vm *vm, const void *buf, size_t len, char *why, size_t why_len)
{
	struct state_reader r;

	if (state_open(&r, buf, len, why, why_len))
		return -1;
	return device_registry_load(&vm->devices, &r, vm->pc.clock.now_ns(vm->pc.clock.opaque), why, why_len);
}

/* The state read and its header and CRC checked, and the memory file
 * opened and its length checked: all before the VM is built. */
static int open_files(const char *dir, const struct vm_config *cfg, char *state_path, struct file_image *state,
		      int *ram_fd, char *why, size_t why_len)
{
	char mem_path[PATH_LEN], reason[256];
	struct state_reader r;

	if (join(state_path, dir, SNAPSHOT_STATE_FILE, why, why_len) ||
	    join(mem_path, dir, SNAPSHOT_MEMORY_FILE, why, why_len) ||
	    read_file(state_path, SNAPSHOT_STATE_MAX_BYTES, state, why, why_len))
		return -1;
	if (state_open(&r, state->data, state->size, reason, sizeof(reason))) {
		snprintf(why, why_len, "snapshot %s: %s", state_path, reason);
		file_image_free(state);
		return -1;
	}
	*ram_fd = snapshot_memory_open(mem_path, cfg->mem_size, why, why_len);
	if (*ram_fd < 0) {
		file_image_free(state);
		return -1;
	}
	return 0;
}

/* A reason may quote the state file (a section's name): its control bytes
 * become '?', so that it stays one line. */
static int one_line(char *why)
{
	for (; *why; why++)
		if ((unsigned char)*why < 0x20 || *why == 0x7f)
			*why = '?';
	return -1;
}

int vm_restore(struct vm *vm, const struct vm_config *cfg, const char *dir, char *why, size_t why_len)
{
	char state_path[PATH_LEN], reason[512];
	struct file_image state;
	int ram_fd, rc;

	if (open_files(dir, cfg, state_path, &state, &ram_fd, why, why_len))
		return one_line(why);
	rc = vm_create_restored(vm, cfg, ram_fd, why, why_len);
	if (rc == 0 && vm_state_load(vm, state.data, state.size, reason, sizeof(reason))) {
		snprintf(why, why_len, "snapshot %s: %s", state_path, reason);
		rc = -1;
	}
	file_image_free(&state);
	if (rc) {
		vm_destroy(vm);
		return one_line(why);
	}
	return 0;
}
