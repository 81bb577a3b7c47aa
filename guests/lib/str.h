/* The few C library string functions guests use; gcc may also emit calls
 * to memcpy/memset/memcmp on its own, even freestanding. */
#ifndef GUEST_STR_H
#define GUEST_STR_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
