/* The kernel loaders (src/loader/): the input is a kernel image, loaded into a
 * fresh guest RAM by loader_load_image() with the format chosen by the input's
 * first byte, and optionally with an --initrd / Multiboot module taken from the
 * input's tail (written to a memfd, which the loaders open by path, as they
 * open the user's file). A loader must accept or refuse with one line of
 * reason; never crash, write outside guest RAM (ASan watches the host side:
 * guest RAM is one mapping, anything else a loader touches is not), hang or
 * leak.
 *
 * Input: byte 0 = format (bits 0-2: auto, elf, multiboot, flat, linux), an
 * initrd (bit 3), a command line (bit 4), guest RAM size (bits 5-6: 2, 4, 16 or
 * 64 MiB), a flat load address (bit 7: 0x8000 instead of the default); with an
 * initrd, bytes 1-2 give its length, taken from the end of the input; the rest
 * is the kernel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "loader/loader.h"
#include "log.h"
#include "vm/memory.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	return 0;
}

static void finding(const char *what, const char *why)
{
	fprintf(stderr, "FINDING: %s: %s\n", what, why);
	abort();
}

/* A memfd holding the initrd; its path, /proc/self/fd/N, goes in path. */
static int initrd_file(const uint8_t *data, size_t size, char *path, size_t path_len)
{
	int fd = memfd_create("fuzz-initrd", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		data += n;
		size -= (size_t)n;
	}
	snprintf(path, path_len, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum kernel_format formats[8] = { FORMAT_AUTO,  FORMAT_ELF,  FORMAT_MULTIBOOT, FORMAT_FLAT,
						       FORMAT_LINUX, FORMAT_AUTO, FORMAT_MULTIBOOT, FORMAT_LINUX };
	static const uint64_t mem_sizes[4] = { 2ull << 20, 4ull << 20, 16ull << 20, 64ull << 20 };
	struct load_request req = { .kernel_path = "fuzz-kernel" };
	struct file_image kernel = { .path = "fuzz-kernel" };
	struct guest_memory mem;
	struct vcpu_state state;
	char why[512], initrd_path[64];
	size_t initrd_len = 0;
	int initrd_fd = -1, rc;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	req.format = formats[mode & 7];
	if (mode & 0x08) {
		if (size < 2)
			return 0;
		initrd_len = (size_t)(data[0] | data[1] << 8);
		data += 2;
		size -= 2;
		if (initrd_len > size)
			initrd_len = size;
		initrd_fd = initrd_file(data + size - initrd_len, initrd_len, initrd_path, sizeof(initrd_path));
		if (initrd_fd < 0)
			return 0;
		req.initrd_path = initrd_path;
		size -= initrd_len;
	}
	if (mode & 0x10)
		req.cmdline = "console=ttyS0 root=/dev/ram0 fuzz";
	if (mode & 0x80) {
		req.load_addr = 0x8000;
		req.load_addr_set = true;
	}
	/* The kernel in a buffer of its own size, so ASan sees any read past it. */
	kernel.size = size;
	kernel.data = malloc(size ? size : 1);
	if (!kernel.data) {
		if (initrd_fd >= 0)
			close(initrd_fd);
		return 0;
	}
	memcpy(kernel.data, data, size);
	if (guest_memory_init(&mem, mem_sizes[(mode >> 5) & 3], why, sizeof(why)))
		finding("guest_memory_init failed", why);
	why[0] = '\0';
	rc = loader_load_image(&kernel, &req, &mem, &state, why, sizeof(why));
	if (rc != 0 && rc != -1)
		finding("loader returned neither 0 nor -1", why);
	if (rc == -1 && (why[0] == '\0' || strchr(why, '\n')))
		finding("a refusal without its one line of reason", why);
	guest_memory_destroy(&mem);
	free(kernel.data);
	if (initrd_fd >= 0)
		close(initrd_fd);
	return 0;
}
