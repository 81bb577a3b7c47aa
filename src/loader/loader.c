#include "loader/loader.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm/memory.h"

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

static const struct loader *choose(const struct file_image *kernel, enum kernel_format format)
{
	for (const struct loader *const *l = loaders; *l; l++) {
		if (format == FORMAT_AUTO ? (*l)->detect && (*l)->detect(kernel) : (*l)->format == format)
			return *l;
	}
	return NULL;
}

int loader_load_image(const struct file_image *kernel, const struct load_request *req, struct guest_memory *mem,
		      struct vcpu_state *state, char *why, size_t why_len)
{
	const struct loader *l = choose(kernel, req->format);

	if (!l) {
		snprintf(why, why_len,
			 "%s: not a kernel ringvisor can load (Linux bzImage, ELF, Multiboot; --format flat for a raw "
			 "binary)",
			 kernel->path);
		return -1;
	}
	if (req->load_addr_set && l->format != FORMAT_FLAT) {
		snprintf(why, why_len, "--load-addr applies only to --format flat");
		return -1;
	}
	return l->load(kernel, req, mem, state, why, why_len);
}

int loader_load(const struct load_request *req, struct guest_memory *mem, struct vcpu_state *state, char *why,
		size_t why_len)
{
	struct file_image kernel;
	uint64_t size;
	int fd = file_open_regular("", req->kernel_path, &size, why, why_len), rc;

	if (fd < 0)
		return -1;
	/* Every format loads the kernel into guest RAM; a file larger than all
	 * of it (a huge or sparse file) is refused before it is read. */
	if (size > mem->size) {
		snprintf(why, why_len, "%s: %llu bytes, more than the guest's RAM (%llu bytes; see --mem)",
			 req->kernel_path, (unsigned long long)size, (unsigned long long)mem->size);
		close(fd);
		return -1;
	}
	if (file_image_read_fd(&kernel, fd, "", req->kernel_path, size, why, why_len))
		return -1;
	rc = loader_load_image(&kernel, req, mem, state, why, why_len);
	file_image_free(&kernel);
	return rc;
}
