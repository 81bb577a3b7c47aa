#include "loader/elf.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "loader/boot_place.h"
#include "loader/boot_setup.h"
#include "vm/memory.h"

bool elf_is_elf(const struct file_image *f)
{
	return f->size >= SELFMAG && memcmp(f->data, ELFMAG, SELFMAG) == 0;
}

/* A program header in the widest form, whatever the class of the file. */
struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static void read_phdr(const struct file_image *f, const struct elf_info *info, uint64_t off, struct phdr *p)
{
	if (info->is64) {
		Elf64_Phdr ph;

		memcpy(&ph, f->data + off, sizeof(ph));
		*p = (struct phdr){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz };
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, f->data + off, sizeof(ph));
		*p = (struct phdr){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz };
	}
}

/* Where the program headers are: offset, count and entry size, from either class. */
static void phdr_table(const struct file_image *f, const struct elf_info *info, uint64_t *off, uint64_t *num,
		       uint64_t *entsize)
{
	if (info->is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, f->data, sizeof(eh));
		*off = eh.e_phoff, *num = eh.e_phnum, *entsize = eh.e_phentsize;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, f->data, sizeof(eh));
		*off = eh.e_phoff, *num = eh.e_phnum, *entsize = eh.e_phentsize;
	}
}

int elf_check(const struct file_image *f, struct elf_info *info, char *why, size_t why_len)
{
	uint64_t phoff, phnum, phentsize;
	uint16_t machine;

	if (!elf_is_elf(f) || f->size < EI_NIDENT) {
		snprintf(why, why_len, "%s: not an ELF file", f->path);
		return -1;
	}
	if (f->data[EI_DATA] != ELFDATA2LSB || (f->data[EI_CLASS] != ELFCLASS32 && f->data[EI_CLASS] != ELFCLASS64)) {
		snprintf(why, why_len, "%s: not a little-endian 32- or 64-bit ELF file", f->path);
		return -1;
	}
	info->is64 = f->data[EI_CLASS] == ELFCLASS64;
	if (f->size < (info->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))) {
		snprintf(why, why_len, "%s: truncated ELF header", f->path);
		return -1;
	}
	if (info->is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, f->data, sizeof(eh));
		machine = eh.e_machine;
		info->entry = eh.e_entry;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, f->data, sizeof(eh));
		machine = eh.e_machine;
		info->entry = eh.e_entry;
	}
	if (machine != (info->is64 ? EM_X86_64 : EM_386)) {
		snprintf(why, why_len, "%s: ELF file for another machine (e_machine %u)", f->path, machine);
		return -1;
	}
	phdr_table(f, info, &phoff, &phnum, &phentsize);
	if (phnum == 0 || phentsize != (info->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) {
		snprintf(why, why_len, "%s: ELF file without usable program headers", f->path);
		return -1;
	}
	if (phoff > f->size || phnum * phentsize > f->size - phoff) {
		snprintf(why, why_len, "%s: truncated ELF file (program headers past the end)", f->path);
		return -1;
	}
	return 0;
}

int load_piece(struct guest_memory *mem, uint64_t gpa, const uint8_t *src, uint64_t len, uint64_t zero_len,
	       const char *what, char *why, size_t why_len)
{
	uint64_t total = len + zero_len;
	uint8_t *dst;

	dst = total < len ? NULL : guest_memory_ptr(mem, gpa, total);
	if (!dst) {
		snprintf(why, why_len, "%s at 0x%llx (%llu bytes) does not fit in guest RAM (see --mem)", what,
			 (unsigned long long)gpa, (unsigned long long)total);
		return -1;
	}
	memcpy(dst, src, len);
	memset(dst + len, 0, zero_len);
	return 0;
}

int elf_load_segments(const struct file_image *f, const struct elf_info *info, struct guest_memory *mem, uint64_t *end,
		      struct boot_used *used, char *why, size_t why_len)
{
	uint64_t phoff, phnum, phentsize;
	unsigned loaded = 0;
	char what[64];

	*end = 0;
	phdr_table(f, info, &phoff, &phnum, &phentsize);
	for (uint64_t i = 0; i < phnum; i++) {
		struct phdr p;

		read_phdr(f, info, phoff + i * phentsize, &p);
		if (p.type != PT_LOAD || p.memsz == 0)
			continue;
		if (p.filesz > p.memsz || p.offset > f->size || p.filesz > f->size - p.offset) {
			snprintf(why, why_len, "%s: truncated or malformed ELF segment %llu", f->path,
				 (unsigned long long)i);
			return -1;
		}
		snprintf(what, sizeof(what), "ELF segment %llu", (unsigned long long)i);
		if (load_piece(mem, p.paddr, f->data + p.offset, p.filesz, p.memsz - p.filesz, what, why, why_len))
			return -1;
		boot_used_add(used, p.paddr, p.memsz);
		if (p.paddr + p.memsz > *end)
			*end = p.paddr + p.memsz;
		loaded++;
	}
	if (!loaded) {
		snprintf(why, why_len, "%s: ELF file has no loadable segment", f->path);
		return -1;
	}
	return 0;
}

static int elf_load(const struct file_image *f, const struct load_request *req, struct guest_memory *mem,
		    struct vcpu_state *state, char *why, size_t why_len)
{
	struct boot_used used = { 0 };
	struct boot_layout layout;
	struct elf_info info;
	uint64_t end;

	if (req->initrd_path || req->cmdline) {
		snprintf(why, why_len, "%s: a plain ELF kernel takes no --initrd or --append (Multiboot kernels do)",
			 f->path);
		return -1;
	}
	if (elf_check(f, &info, why, why_len) || elf_load_segments(f, &info, mem, &end, &used, why, why_len))
		return -1;
	/* A 64-bit entry needs page tables; a 32-bit one only the GDT. */
	if (boot_place(mem, &used, info.is64 ? BOOT_NEED_TABLES : 0, &layout, why, why_len))
		return -1;
	if (boot_write_tables_at(mem, &layout)) {
		snprintf(why, why_len, "guest RAM is too small for the boot page tables");
		return -1;
	}
	if (info.is64) {
		/* The boot page tables map only the first 4 GiB. */
		if (info.entry >= (1ull << 32)) {
			snprintf(why, why_len, "%s: entry point 0x%llx is outside the first 4 GiB mapped at entry",
				 f->path, (unsigned long long)info.entry);
			return -1;
		}
		boot_state_long64(state, info.entry);
	} else {
		boot_state_prot32(state, (uint32_t)info.entry);
	}
	boot_state_set_layout(state, &layout);
	return 0;
}

const struct loader elf_loader = {
	.name = "elf",
	.format = FORMAT_ELF,
	.detect = elf_is_elf,
	.load = elf_load,
};
