#include "firmware/aml.h"

#include <string.h>

/* Opcodes and prefixes (ACPI 6.x 20.2). */
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after the ExtOpPrefix */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01

/* Large resource items (6.4.3) and the small End Tag (6.4.2.9). */
#define RES_MEMORY32_FIXED 0x86
#define RES_EXT_IRQ 0x89
#define RES_END_TAG 0x79
#define MEMORY32_READ_WRITE 0x01
/* Extended Interrupt flags (6.4.3.6): bit 0 consumer, bit 1 edge (clear:
 * level), bit 2 active low (clear: high), bit 3 shared (clear: exclusive). */
#define EXT_IRQ_CONSUMER 0x01

/* PkgLength (20.2.4): one byte up to 63; else bits 7-6 of the lead byte count
 * the 1-3 bytes that follow, its bits 3-0 hold the low nibble and the bytes
 * that follow the rest. The length counts the PkgLength itself. */
#define PKG_ONE_BYTE_MAX 0x3f
#define PKG_MAX 0x0fffffff

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	*a = (struct aml){ .buf = buf, .cap = cap };
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_dword(struct aml *a, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	aml_bytes(a, b, 4);
}

/* The bytes a PkgLength takes in front of a body of `body` bytes. */
static unsigned pkg_length_size(size_t body)
{
	if (body + 1 <= PKG_ONE_BYTE_MAX)
		return 1;
	if (body + 2 < (1u << 12))
		return 2;
	if (body + 3 < (1u << 20))
		return 3;
	return 4;
}

void aml_end(struct aml *a, size_t mark)
{
	size_t body = a->len - mark;
	unsigned n = pkg_length_size(body);
	size_t total = body + n;
	uint8_t *p;

	if (a->overflow || total > PKG_MAX || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	p = a->buf + mark;
	memmove(p + n, p, body);
	a->len += n;
	if (n == 1) {
		p[0] = (uint8_t)total;
		return;
	}
	p[0] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
	for (unsigned i = 1; i < n; i++)
		p[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_SCOPE_OP);
	mark = a->len;
	aml_bytes(a, path, strlen(path));
	return mark;
}

size_t aml_device_begin(struct aml *a, const char name[4])
{
	size_t mark;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	mark = a->len;
	aml_bytes(a, name, 4);
	return mark;
}

void aml_name_string(struct aml *a, const char name[4], const char *value)
{
	aml_byte(a, AML_NAME_OP);
	aml_bytes(a, name, 4);
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, value, strlen(value) + 1); /* with its NullChar */
}

/* The shortest of ZeroOp, OneOp, BytePrefix and DWordPrefix (20.2.3). */
void aml_name_integer(struct aml *a, const char name[4], uint32_t value)
{
	aml_byte(a, AML_NAME_OP);
	aml_bytes(a, name, 4);
	if (value == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (value == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (value <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, (uint8_t)value);
	} else {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_dword(a, value);
	}
}

/* DefBuffer := BufferOp PkgLength BufferSize ByteList. */
void aml_name_buffer(struct aml *a, const char name[4], const uint8_t *bytes, uint8_t n)
{
	size_t mark;

	aml_byte(a, AML_NAME_OP);
	aml_bytes(a, name, 4);
	aml_byte(a, AML_BUFFER_OP);
	mark = a->len;
	aml_byte(a, AML_BYTE_PREFIX);
	aml_byte(a, n);
	aml_bytes(a, bytes, n);
	aml_end(a, mark);
}

size_t aml_res_memory32_fixed(uint8_t *p, uint32_t base, uint32_t len)
{
	p[0] = RES_MEMORY32_FIXED;
	p[1] = AML_MEMORY32_FIXED_LEN - 3; /* the length after the 3-byte header */
	p[2] = 0;
	p[3] = MEMORY32_READ_WRITE;
	put32(p + 4, base);
	put32(p + 8, len);
	return AML_MEMORY32_FIXED_LEN;
}

size_t aml_res_ext_irq_level_high(uint8_t *p, uint32_t gsi)
{
	p[0] = RES_EXT_IRQ;
	p[1] = AML_EXT_IRQ_LEN - 3;
	p[2] = 0;
	p[3] = EXT_IRQ_CONSUMER;
	p[4] = 1; /* interrupt table length */
	put32(p + 5, gsi);
	return AML_EXT_IRQ_LEN;
}

/* Checksum 0: "treated as if the checksum operation succeeded" (6.4.2.9). */
size_t aml_res_end_tag(uint8_t *p)
{
	p[0] = RES_END_TAG;
	p[1] = 0;
	return AML_END_TAG_LEN;
}
