/* Kernel loaders: one file per format, chosen from an explicit table.
 *
 * A loader checks the image, copies it (and any initrd or modules) into guest
 * RAM and sets the vCPU state the format's boot protocol promises
 * (docs/guest-abi.md). Every problem with the files is a configuration error:
 * one line of reason, and the VM never starts. */
#ifndef RV_LOADER_H
#define RV_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/vcpu_state.h"

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

/* A whole file read into host memory. */
struct file_image {
	const char *path;
	uint8_t *data;
	size_t size;
};

struct loader {
	const char *name;
	enum kernel_format format;
	/* Does the image look like this format? NULL: never chosen automatically. */
	bool (*detect)(const struct file_image *kernel);
	int (*load)(const struct file_image *kernel, const struct load_request *req, struct guest_memory *mem,
		    struct vcpu_state *state, char *why, size_t why_len);
};

/* Returns 0, or -1 with a one-line reason in why. */
int loader_load(const struct load_request *req, struct guest_memory *mem, struct vcpu_state *state, char *why,
		size_t why_len);

const char *kernel_format_name(enum kernel_format format);
/* 0 and *out set, or -1 if the name is unknown. */
int kernel_format_parse(const char *name, enum kernel_format *out);

/* Reads a regular file whole; limit bounds its size. -1 with a reason on failure. */
int file_image_read(struct file_image *f, const char *path, size_t limit, char *why, size_t why_len);
void file_image_free(struct file_image *f);
/* file_image_read for the --initrd file: a failure's reason starts "--initrd ",
 * so the one line says which of the two files it is about. */
int initrd_image_read(struct file_image *f, const char *path, size_t limit, char *why, size_t why_len);

#endif
