/* Helpers shared by the unit tests: temporary files, capture of stderr, and small
 * ELF images built in memory. Everything is static inline so that a test file
 * uses only what it needs without unused-function warnings. Include it in every
 * test file: it also completes the link (below). */
#ifndef RV_UNIT_HELPERS_H
#define RV_UNIT_HELPERS_H

#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"

/* A file under $TMPDIR (or /tmp) holding `size` bytes; its path is written to
 * path (at least 64 bytes). Returns 0, or -1 if it could not be created. */
static inline int temp_file_write(char *path, size_t path_len, const void *data, size_t size)
{
	const char *dir = getenv("TMPDIR");
	const uint8_t *p = data;
	int fd;

	snprintf(path, path_len, "%s/ringvisor-unit-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		p += n;
		size -= (size_t)n;
	}
	close(fd);
	return 0;
}

/* Redirects stderr into a temporary file until stderr_capture_end(), which
 * restores it and returns what was written (NUL-terminated, caller frees). */
struct stderr_capture {
	int saved_fd;
	FILE *file;
};

static inline int stderr_capture_begin(struct stderr_capture *c)
{
	fflush(stderr);
	c->saved_fd = -1;
	c->file = tmpfile();
	if (!c->file)
		return -1;
	c->saved_fd = dup(STDERR_FILENO);
	if (c->saved_fd < 0 || dup2(fileno(c->file), STDERR_FILENO) < 0) {
		if (c->saved_fd >= 0)
			close(c->saved_fd);
		c->saved_fd = -1;
		fclose(c->file);
		c->file = NULL;
		return -1;
	}
	return 0;
}

static inline char *stderr_capture_end(struct stderr_capture *c)
{
	long size;
	char *text;

	if (!c->file)
		return NULL;
	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	fseek(c->file, 0, SEEK_END);
	size = ftell(c->file);
	rewind(c->file);
	text = calloc(1, (size_t)(size > 0 ? size : 0) + 1);
	if (text && size > 0 && fread(text, 1, (size_t)size, c->file) != (size_t)size)
		text[0] = '\0';
	fclose(c->file);
	return text;
}

/* Lines of text that contain needle. */
static inline unsigned count_lines_containing(const char *text, const char *needle)
{
	unsigned n = 0;

	while (text && *text) {
		const char *eol = strchr(text, '\n');
		size_t len = eol ? (size_t)(eol - text) : strlen(text);
		char *line = strndup(text, len);

		if (line && strstr(line, needle))
			n++;
		free(line);
		text += len + (eol ? 1 : 0);
	}
	return n;
}

static inline unsigned count_lines(const char *text)
{
	return count_lines_containing(text, "");
}

/* One program header of an image to build. The segments' file bytes follow the
 * headers in the file, in order. */
struct test_segment {
	uint32_t type;
	uint64_t paddr;
	uint64_t vaddr;
	const void *data;
	uint64_t filesz;
	uint64_t memsz;
};

/* Builds an ELF executable of either class (ELF spec, "ELF Header" and "Program
 * Header") into buf. Returns its size, or 0 if buf is too small. */
static inline size_t build_elf(uint8_t *buf, size_t cap, int is64, uint16_t machine, uint64_t entry,
			       const struct test_segment *segs, unsigned nsegs)
{
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t off = ehsize + nsegs * phsize;

	if (off > cap)
		return 0;
	memset(buf, 0, off);
	memcpy(buf, ELFMAG, SELFMAG);
	buf[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	buf[EI_DATA] = ELFDATA2LSB;
	buf[EI_VERSION] = EV_CURRENT;
	if (is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		eh.e_type = ET_EXEC;
		eh.e_machine = machine;
		eh.e_version = EV_CURRENT;
		eh.e_entry = entry;
		eh.e_phoff = ehsize;
		eh.e_ehsize = (uint16_t)ehsize;
		eh.e_phentsize = (uint16_t)phsize;
		eh.e_phnum = (uint16_t)nsegs;
		memcpy(buf, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		eh.e_type = ET_EXEC;
		eh.e_machine = machine;
		eh.e_version = EV_CURRENT;
		eh.e_entry = (uint32_t)entry;
		eh.e_phoff = (uint32_t)ehsize;
		eh.e_ehsize = (uint16_t)ehsize;
		eh.e_phentsize = (uint16_t)phsize;
		eh.e_phnum = (uint16_t)nsegs;
		memcpy(buf, &eh, sizeof(eh));
	}
	for (unsigned i = 0; i < nsegs; i++) {
		const struct test_segment *s = &segs[i];
		uint8_t *ph = buf + ehsize + i * phsize;

		if (off + s->filesz > cap)
			return 0;
		if (s->filesz)
			memcpy(buf + off, s->data, s->filesz);
		if (is64) {
			Elf64_Phdr p = { .p_type = s->type,
					 .p_flags = PF_R | PF_W | PF_X,
					 .p_offset = off,
					 .p_vaddr = s->vaddr,
					 .p_paddr = s->paddr,
					 .p_filesz = s->filesz,
					 .p_memsz = s->memsz,
					 .p_align = 8 };
			memcpy(ph, &p, sizeof(p));
		} else {
			Elf32_Phdr p = { .p_type = s->type,
					 .p_flags = PF_R | PF_W | PF_X,
					 .p_offset = (uint32_t)off,
					 .p_vaddr = (uint32_t)s->vaddr,
					 .p_paddr = (uint32_t)s->paddr,
					 .p_filesz = (uint32_t)s->filesz,
					 .p_memsz = (uint32_t)s->memsz,
					 .p_align = 4 };
			memcpy(ph, &p, sizeof(p));
		}
		off += s->filesz;
	}
	return off;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

#endif
