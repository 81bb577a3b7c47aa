/* Kernel loaders: one file per format, chosen from an explicit table.
 *
 * A loader checks the image, copies it (and any initrd or modules) into guest
 * RAM and sets the vCPU state the format's boot protocol promises
 * (docs/guest-abi.md). Every problem with the files is a configuration error:
 * one line of reason, and the VM never starts. The interface a format implements
 * is in loader/format.h. */
#ifndef RV_LOADER_H
#define RV_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/format.h"

/* Reads the kernel file (refused before it is read if it is not a regular file
 * or larger than guest RAM: no format loads more than that) and loads it.
 * Returns 0, or -1 with a one-line reason in why. */
int loader_load(const struct load_request *req, struct guest_memory *mem, struct vcpu_state *state, char *why,
		size_t why_len);

/* loader_load for a kernel image already in host memory (kernel->path names it
 * in messages); req->kernel_path is not used. */
int loader_load_image(const struct file_image *kernel, const struct load_request *req, struct guest_memory *mem,
		      struct vcpu_state *state, char *why, size_t why_len);

const char *kernel_format_name(enum kernel_format format);
/* 0 and *out set, or -1 if the name is unknown. */
int kernel_format_parse(const char *name, enum kernel_format *out);

#endif
