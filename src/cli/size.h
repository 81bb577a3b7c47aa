/* Parsing of the sizes and addresses users type. */
#ifndef RV_SIZE_H
#define RV_SIZE_H

#include <stdint.h>

/* "512M", "2G", "64MiB", "1048576B"; a bare number is MiB, as with QEMU's -m.
 * Returns 0, or -1 if malformed or it overflows. */
int parse_size(const char *text, uint64_t *out);
/* A number in C notation (decimal, 0x hex). Returns 0, or -1. */
int parse_u64(const char *text, uint64_t *out);

#endif
