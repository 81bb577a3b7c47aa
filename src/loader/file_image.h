/* The files the loaders read (the kernel, --initrd / Multiboot module 0), and
 * the rule every one of them follows: opened without blocking, checked with
 * fstat — a regular file, no larger than what it may be — before a byte of it
 * is read, and read only then, into host memory bounded by that limit.
 *
 * Read, not mapped: mmap would save the copy, but a file that another process
 * shortens while a loader parses it would kill Ringvisor with SIGBUS. Since the
 * size is checked first against what can fit in guest RAM, reading costs at most
 * the RAM the user asked for, and a shrinking file is one more error line. */
#ifndef RV_FILE_IMAGE_H
#define RV_FILE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* A whole file in host memory (or any buffer a caller fills: the loaders only
 * read path, data and size). */
struct file_image {
	const char *path;
	uint8_t *data;
	size_t size;
};

/* Opens path read-only, close-on-exec, with O_NONBLOCK (a FIFO or a device must
 * not stall start-up in open(); it is then refused, and for a regular file the
 * flag changes nothing) and O_NOCTTY, and checks with fstat that it is a regular
 * file. Returns the descriptor with the file's size in *size, or -1 with a
 * reason in why that starts with what (e.g. "--initrd ") and the path. */
int file_open_regular(const char *what, const char *path, uint64_t *size, char *why, size_t why_len);

/* Reads the size bytes of a file opened by file_open_regular, and closes fd
 * whatever happens. Returns 0, or -1 with a reason (a read error, or a file
 * that shrank meanwhile; a file that grew is read up to size). */
int file_image_read_fd(struct file_image *f, int fd, const char *what, const char *path, uint64_t size, char *why,
		       size_t why_len);

void file_image_free(struct file_image *f);

#endif
