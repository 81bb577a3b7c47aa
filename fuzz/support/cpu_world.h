/* The guest world of fuzz/fuzz_cpu.c: RAM, two memory-like MMIO windows, and the
 * system structures (IDT, GDT, TSS, stack, page tables) of one CPU mode, each
 * placed where the input says: in RAM, straddling the end of RAM, just beyond
 * RAM, in the MMIO hole, or where nothing answers (reads all ones).
 *
 * Guest-physical map:
 *   0 - WORLD_RAM_SIZE               RAM (mapped exactly, guard pages around)
 *   WORLD_BEYOND + 64 KiB            a memory-like MMIO window just beyond RAM
 *   WORLD_HOLE + 64 KiB              a memory-like MMIO window in the 3-4 GiB hole
 *   everything else                  nothing: reads all ones, writes ignored */
#ifndef RV_FUZZ_CPU_WORLD_H
#define RV_FUZZ_CPU_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/vcpu_state.h"
#include "support/guarded_ram.h"

#define WORLD_RAM_SIZE 0x80000ull
#define WORLD_BEYOND WORLD_RAM_SIZE
#define WORLD_HOLE 0xfeb00000ull
#define WORLD_UNBACKED 0x00a00000ull
#define WORLD_WINDOW_SIZE 0x10000ull
#define WORLD_CODE 0x10000ull
#define WORLD_HANDLER 0x20000ull
#define WORLD_DATA 0x30000ull
/* Every gate's target starts with OUT to this port (see world_build). */
#define WORLD_PORT_DELIVERED 0xe5

enum world_mode { WM_REAL, WM_PROT32, WM_PROT32_PAGED, WM_LONG64, WM_COUNT };
enum world_place { PLACE_RAM, PLACE_RAM_END, PLACE_BEYOND, PLACE_HOLE, PLACE_UNBACKED, PLACE_COUNT };
enum world_struct { WS_IDT, WS_GDT, WS_TSS, WS_STACK, WS_PAGING, WS_COUNT };

/* world_spec.flags */
#define WF_IF 0x01	    /* RFLAGS.IF */
#define WF_TF 0x02	    /* RFLAGS.TF: single-step */
#define WF_USER 0x04	    /* start at CPL 3 (not in real mode) */
#define WF_CODE_AT_END 0x08 /* the code ends exactly at the end of RAM */
#define WF_NXE 0x10	    /* EFER.NXE */
#define WF_WP 0x20	    /* CR0.WP */
#define WF_SSE 0x40	    /* CR4.OSFXSR and OSXMMEXCPT */
#define WF_IST 0x80	    /* long mode: gate v uses IST (v % 8) */

struct world_spec {
	uint8_t mode;		   /* enum world_mode */
	uint8_t place[WS_COUNT];   /* enum world_place */
	uint8_t variant[WS_COUNT]; /* 0-7: which part straddles the end of RAM */
	uint8_t flags;
	uint8_t regs[GPR_COUNT]; /* 0-7: index into a palette of interesting values */
	uint8_t cs_limit;	 /* protected modes: 0 flat, else the limit ends 4 * cs_limit bytes into the code */
	uint8_t missing_page;	 /* paging: this 4 KiB page of RAM (bit 7 clear) is not present */
	const uint8_t *code;
	size_t code_len;
	const uint8_t *handler; /* every gate's target, after OUT WORLD_PORT_DELIVERED; none: HLT */
	size_t handler_len;
};

struct world {
	struct guarded_ram ram;
	uint8_t window[2][WORLD_WINDOW_SIZE];
};

void world_init(struct world *w);
/* Empties RAM and the windows, writes the structures and the code, and fills
 * the entry state. */
void world_build(struct world *w, const struct world_spec *s, struct vcpu_state *state);
/* The MMIO device: reads and writes the windows byte by byte; elsewhere reads
 * all ones and ignores writes. */
void world_mmio(struct world *w, uint64_t gpa, unsigned size, bool is_write, uint8_t *data);
bool world_is_ram(const struct world *w, uint64_t gpa, uint64_t len);

#endif
