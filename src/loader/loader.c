#include "loader/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct loader linux_loader;
extern const struct loader multiboot_loader;
extern const struct loader elf_loader;
extern const struct loader flat_loader;

/* Order matters for detection: a Multiboot kernel is usually an ELF file too. */
static const struct loader *const loaders[] = {
	&linux_loader, &multiboot_loader, &elf_loader, &flat_loader, NULL,
};

static const char *const format_names[FORMAT_COUNT] = {
	[FORMAT_AUTO] = "auto", [FORMAT_ELF] = "elf",	  [FORMAT_MULTIBOOT] = "multiboot",
	[FORMAT_FLAT] = "flat", [FORMAT_LINUX] = "linux",
};

const char *kernel_format_name(enum kernel_format format)
{
	return (unsigned)format < FORMAT_COUNT ? format_names[format] : "unknown";
}

int kernel_format_parse(const char *name, enum kernel_format *out)
{
	for (int i = 0; i < FORMAT_COUNT; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

int file_image_read(struct file_image *f, const char *path, size_t limit, char *why, size_t why_len)
{
	struct stat st;
	size_t done = 0;
	int fd;

	memset(f, 0, sizeof(*f));
	f->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s: not a regular file", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > limit) {
		snprintf(why, why_len, "%s: too large (%lld bytes; at most %zu)", path, (long long)st.st_size, limit);
		goto fail;
	}
	f->size = (size_t)st.st_size;
	f->data = malloc(f->size ? f->size : 1);
	if (!f->data) {
		snprintf(why, why_len, "%s: out of memory", path);
		goto fail;
	}
	while (done < f->size) {
		ssize_t n = read(fd, f->data + done, f->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, why_len, "%s: read failed: %s", path, n ? strerror(errno) : "file shrank");
			goto fail;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	file_image_free(f);
	return -1;
}

void file_image_free(struct file_image *f)
{
	free(f->data);
	f->data = NULL;
	f->size = 0;
}

int initrd_image_read(struct file_image *f, const char *path, size_t limit, char *why, size_t why_len)
{
	char reason[384];

	if (!file_image_read(f, path, limit, reason, sizeof(reason)))
		return 0;
	snprintf(why, why_len, "--initrd %s", reason);
	return -1;
}

static const struct loader *choose(const struct file_image *kernel, enum kernel_format format)
{
	for (const struct loader *const *l = loaders; *l; l++) {
		if (format == FORMAT_AUTO ? (*l)->detect && (*l)->detect(kernel) : (*l)->format == format)
			return *l;
	}
	return NULL;
}

int loader_load(const struct load_request *req, struct guest_memory *mem, struct vcpu_state *state, char *why,
		size_t why_len)
{
	struct file_image kernel;
	const struct loader *l;
	int rc;

	/* No kernel can be larger than the largest guest RAM. */
	if (file_image_read(&kernel, req->kernel_path, (size_t)1 << 40, why, why_len))
		return -1;
	l = choose(&kernel, req->format);
	if (!l) {
		snprintf(why, why_len,
			 "%s: not a kernel ringvisor can load (Linux bzImage, ELF, Multiboot; --format flat for a raw "
			 "binary)",
			 req->kernel_path);
		file_image_free(&kernel);
		return -1;
	}
	if (req->load_addr_set && l->format != FORMAT_FLAT) {
		snprintf(why, why_len, "--load-addr applies only to --format flat");
		file_image_free(&kernel);
		return -1;
	}
	rc = l->load(&kernel, req, mem, state, why, why_len);
	file_image_free(&kernel);
	return rc;
}
