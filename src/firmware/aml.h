/* A small writer of ACPI Machine Language (ACPI 6.x chapter 20) for the DSDT's
 * device objects: the few encodings it needs, each written out by hand from
 * the grammar, and PkgLength fixed up once a body's size is known.
 *
 * Errors: writing past the buffer sets `overflow` and writes nothing more;
 * the caller checks it once at the end. */
#ifndef RV_AML_H
#define RV_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_bytes(struct aml *a, const void *p, size_t n);

/* Scope (path) { ... } and Device (name) { ... }: begin returns a mark that
 * end takes once the body is written, to put the PkgLength in front of it.
 * path is a NameString as AML spells it ("\\_SB_"); name one NameSeg. */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char name[4]);
void aml_end(struct aml *a, size_t mark);

/* Name (name, "value"), Name (name, value), Name (name, Buffer () {bytes}). */
void aml_name_string(struct aml *a, const char name[4], const char *value);
void aml_name_integer(struct aml *a, const char name[4], uint32_t value);
void aml_name_buffer(struct aml *a, const char name[4], const uint8_t *bytes, uint8_t n);

/* Resource descriptors for a ResourceTemplate (ACPI 6.x 6.4); each writes at
 * p and returns the bytes written. */
#define AML_MEMORY32_FIXED_LEN 12
#define AML_EXT_IRQ_LEN 9
#define AML_END_TAG_LEN 2
size_t aml_res_memory32_fixed(uint8_t *p, uint32_t base, uint32_t len);
/* One interrupt, consumed, level-triggered, active high, exclusive. */
size_t aml_res_ext_irq_level_high(uint8_t *p, uint32_t gsi);
size_t aml_res_end_tag(uint8_t *p);

#endif
