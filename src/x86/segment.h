/* Segment registers as the processor holds them: the selector and the hidden
 * (descriptor cache) part, and the descriptor-table registers. */
#ifndef RV_X86_SEGMENT_H
#define RV_X86_SEGMENT_H

#include <stdint.h>

/* Segment registers in the order of the ModRM reg encoding (Intel SDM Vol. 2, 3.1.1). */
enum x86_sreg { SREG_ES, SREG_CS, SREG_SS, SREG_DS, SREG_FS, SREG_GS, SREG_COUNT };

/* A segment register with its hidden (descriptor cache) part. */
struct x86_segment {
	uint64_t base;
	uint32_t limit; /* byte granular: already scaled when G=1 */
	uint16_t selector;
	uint8_t type; /* descriptor type field, 4 bits */
	uint8_t s;    /* 1 = code/data, 0 = system */
	uint8_t dpl;
	uint8_t present;
	uint8_t avl;
	uint8_t l;  /* 64-bit code */
	uint8_t db; /* default operation size */
	uint8_t g;
	uint8_t unusable; /* null selector loaded (VMX "unusable") */
};

struct x86_dtable {
	uint64_t base;
	uint16_t limit;
};

#endif
