/* What one kernel format implements (loader/linux.c, multiboot.c, elf.c,
 * flat.c), and the table loader.c chooses from. */
#ifndef RV_LOADER_FORMAT_H
#define RV_LOADER_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/vcpu_state.h"
#include "loader/file_image.h"

struct guest_memory;

enum kernel_format { FORMAT_AUTO, FORMAT_ELF, FORMAT_MULTIBOOT, FORMAT_FLAT, FORMAT_LINUX, FORMAT_COUNT };

struct load_request {
	const char *kernel_path;
	const char *initrd_path; /* NULL if none */
	const char *cmdline;	 /* NULL if none */
	enum kernel_format format;
	uint64_t load_addr; /* flat binaries */
	bool load_addr_set;
};

struct loader {
	const char *name;
	enum kernel_format format;
	/* Does the image look like this format? NULL: never chosen automatically. */
	bool (*detect)(const struct file_image *kernel);
	int (*load)(const struct file_image *kernel, const struct load_request *req, struct guest_memory *mem,
		    struct vcpu_state *state, char *why, size_t why_len);
};

/* The formats, in the order --kernel-format auto tries them. */
extern const struct loader linux_loader;
extern const struct loader multiboot_loader;
extern const struct loader elf_loader;
extern const struct loader flat_loader;

#endif
