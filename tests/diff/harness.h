/* Runs one test input on one engine, driven directly through struct engine_ops,
 * and records what came out. One VM per engine is reused for every input: the
 * tables are written once, and each run rewrites the code, data and stack pages
 * and sets the whole vCPU state. */
#ifndef DIFF_HARNESS_H
#define DIFF_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "vm/memory.h"

#define PAGE 4096

struct test_input {
	uint64_t gpr[GPR_COUNT];
	uint64_t rflags; /* only the arithmetic flags and DF are taken */
	uint8_t data[PAGE];
	uint8_t stack[PAGE];
	const uint8_t *code;
	size_t code_len;
};

/* The exception frame the CPU pushed on the kernel stack. */
struct exc_frame {
	uint64_t error; /* 0 when the vector has none */
	uint64_t rip, cs, rflags, rsp, ss;
};

enum outcome_kind {
	OC_END,	      /* reached the `out` that ends the sequence */
	OC_EXCEPTION, /* an exception handler's `out` */
	OC_OTHER,     /* any other exit: reason and port say which */
	OC_FAILED,    /* the engine failed (note says why) */
	OC_TIMEOUT,   /* the guest ran past the watchdog */
};

struct outcome {
	enum outcome_kind kind;
	bool has_handler; /* state is the guest handler's (an engine), not only the frame's (native) */
	enum vm_exit_reason reason;
	uint16_t port;
	unsigned vector;
	struct vcpu_state state;
	struct exc_frame frame;
	uint8_t data[PAGE];
	uint8_t stack[PAGE];
	char note[160];
};

struct native_ref;

/* An engine driven through struct engine_ops, or (name "native") the host CPU
 * itself (native.h). */
struct engine_box {
	char name[16];
	struct native_ref *native; /* set for "native"; then ops is NULL */
	const struct engine_ops *ops;
	struct guest_memory mem;
	struct engine *engine;
	struct engine_vcpu *vcpu;
	uint64_t runs;
	double seconds; /* wall time inside box_run */
};

/* Opens an engine by name, or "native". Returns 0, or -1 with a one-line reason
 * (e.g. the kvm engine's probe answer). */
int box_open(struct engine_box *b, const char *engine_name, char *why, size_t why_len);
void box_close(struct engine_box *b);
/* Runs the input to its first exit. Returns 0 with *out filled (even when the
 * engine failed: out->kind says so). */
int box_run(struct engine_box *b, const struct test_input *in, struct outcome *out);

#endif
