/* ELF executables (System V ABI; the x86-64 supplement): checking and loading. */
#ifndef RV_ELF_H
#define RV_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/boot_place.h"
#include "loader/format.h"

struct elf_info {
	bool is64;
	uint64_t entry;
};

bool elf_is_elf(const struct file_image *f);
/* Checks the headers: an x86 or x86-64 executable whose program headers lie inside
 * the file. Returns 0, or -1 with a reason. */
int elf_check(const struct file_image *f, struct elf_info *info, char *why, size_t why_len);
/* Copies every PT_LOAD segment to its physical address and zero-fills the rest of
 * its memory size, recording each in used. *end is the highest address loaded
 * (exclusive). */
int elf_load_segments(const struct file_image *f, const struct elf_info *info, struct guest_memory *mem, uint64_t *end,
		      struct boot_used *used, char *why, size_t why_len);
/* Copies a piece of an image to guest RAM, refusing anything outside RAM.
 * zero_len more bytes after it are cleared. */
int load_piece(struct guest_memory *mem, uint64_t gpa, const uint8_t *src, uint64_t len, uint64_t zero_len,
	       const char *what, char *why, size_t why_len);

#endif
