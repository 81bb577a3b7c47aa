/* What the soft-CPU core's unit tests share (they run on each software engine):
 *
 * - IH_ASM: machine code assembled by the compiler's own assembler into .rodata,
 *   so tests read as instructions, not hand-encoded bytes.
 * - A host oracle: the same instruction bytes run natively on the host (an x86-64
 *   CPU) from the same registers and flags; the host's answer is the reference.
 * - An engine harness: the interp engine created through its ops table, guest RAM
 *   with Ringvisor's boot GDT and identity page tables, a 64-bit entry state, an
 *   IDT whose handlers exit on port 0xe5 from an address that names the vector,
 *   and code that ends with `out 0xe9, al`.
 * - A bare vCPU harness for the internals (page walker, soft TLB, segmentation)
 *   with exceptions caught through cpu->unwind, and a page-table builder for the
 *   three paging formats.
 *
 * Everything is static inline so that each test file uses what it needs. */
#ifndef RV_SOFTCPU_HARNESS_H
#define RV_SOFTCPU_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/softcpu/cpu.h"
#include "engine/softcpu/events.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/segment.h"
#include "engine/softcpu/state.h"
#include "loader/boot_setup.h"
#include "unit_helpers.h"
#include "vm/memory.h"
#include "x86/arch.h"
#include "x86/cpu_model.h"
#include "x86/descriptor.h"

/* ---- machine code from the assembler ------------------------------------------ */

/* Declares name[] .. name_end[]: the bytes of `text` (Intel syntax, 64-bit). */
#define IH_ASM(name, text)                                                                                             \
	__asm__(".pushsection .rodata\n.intel_syntax noprefix\n" #name ":\n" text "\n" #name                           \
		"_end:\n.att_syntax prefix\n.popsection\n");                                                           \
	extern const uint8_t name[], name##_end[]

#define IH_LEN(name) ((size_t)(name##_end - name))

/* An IH_ASM body by name, for tables of bodies run alike. */
struct ih_body {
	const char *name;
	const uint8_t *code, *end;
};

#define IH_BODY(n)                                                                                                     \
	{                                                                                                              \
#n, n, n##_end                                                                                         \
	}

/* ---- the host oracle ------------------------------------------------------------ */

/* Registers in encoding order (GPR_RAX..GPR_R15) and RFLAGS. RSP is not loaded:
 * natively the code runs on the host's stack. */
struct ih_regs {
	uint64_t gpr[GPR_COUNT];
	uint64_t rflags;
};

/* Loads every GPR but RSP and RFLAGS from *r, calls code, stores them back.
 * The callee-saved registers are kept on the stack, then r and code; code is
 * called through its stack slot so that every GPR can carry a value in. On the
 * way out RFLAGS and the code's RDI are pushed above them, hence r at [rsp + 24].
 * DF is cleared again before returning to C. */
void ih_native_enter(struct ih_regs *r, const uint8_t *code);
__asm__(".pushsection .text\n"
	".intel_syntax noprefix\n"
	".globl ih_native_enter\n"
	".type ih_native_enter, @function\n"
	"ih_native_enter:\n"
	"push rbx\n push rbp\n push r12\n push r13\n push r14\n push r15\n"
	"push rdi\n"
	"push rsi\n"
	"push qword ptr [rdi + 128]\n"
	"popfq\n"
	"mov rax, [rdi + 0]\n mov rcx, [rdi + 8]\n mov rdx, [rdi + 16]\n mov rbx, [rdi + 24]\n"
	"mov rbp, [rdi + 40]\n mov rsi, [rdi + 48]\n"
	"mov r8, [rdi + 64]\n mov r9, [rdi + 72]\n mov r10, [rdi + 80]\n mov r11, [rdi + 88]\n"
	"mov r12, [rdi + 96]\n mov r13, [rdi + 104]\n mov r14, [rdi + 112]\n mov r15, [rdi + 120]\n"
	"mov rdi, [rdi + 56]\n"
	"call qword ptr [rsp]\n"
	"pushfq\n"
	"push rdi\n"
	"mov rdi, [rsp + 24]\n"
	"pop qword ptr [rdi + 56]\n"
	"pop qword ptr [rdi + 128]\n"
	"mov [rdi + 0], rax\n mov [rdi + 8], rcx\n mov [rdi + 16], rdx\n mov [rdi + 24], rbx\n"
	"mov [rdi + 40], rbp\n mov [rdi + 48], rsi\n"
	"mov [rdi + 64], r8\n mov [rdi + 72], r9\n mov [rdi + 80], r10\n mov [rdi + 88], r11\n"
	"mov [rdi + 96], r12\n mov [rdi + 104], r13\n mov [rdi + 112], r14\n mov [rdi + 120], r15\n"
	"add rsp, 16\n"
	"cld\n"
	"pop r15\n pop r14\n pop r13\n pop r12\n pop rbp\n pop rbx\n"
	"ret\n"
	".size ih_native_enter, . - ih_native_enter\n"
	".att_syntax prefix\n"
	".popsection\n");

/* The flags a user-mode POPFQ may set without side effects: the arithmetic ones
 * and DF (never TF, and never AC, which Linux would turn into #AC). */
#define IH_NATIVE_FLAGS (RFLAGS_ARITH_MASK | RFLAGS_DF)

/* Runs body natively, followed by RET. */
static inline void ih_native_run(struct ih_regs *r, const uint8_t *body, size_t len)
{
	static uint8_t *page;

	if (!page) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		assert_true(p != MAP_FAILED);
		page = p;
	}
	assert_true(len < 4096);
	memcpy(page, body, len);
	page[len] = 0xc3; /* ret */
	r->rflags = (r->rflags & IH_NATIVE_FLAGS) | RFLAGS_FIXED;
	ih_native_enter(r, page);
}

/* ---- the engine harness ---------------------------------------------------------- */

#define IH_MEM_SIZE (16ull << 20)
#define IH_IDT 0x10000ull	 /* 256 long-mode gates */
#define IH_STUBS 0x11000ull	 /* 16 bytes of handler per vector */
#define IH_CODE 0x100000ull	 /* where the test's code runs */
#define IH_DATA 0x200000ull	 /* scratch data */
#define IH_STACK_TOP 0x300000ull /* RSP at entry */
#define IH_PORT_END 0xe9	 /* the code's last instruction: out 0xe9, al */
#define IH_PORT_EXC 0xe5	 /* exception handlers: out 0xe5, al (the stub's address names the vector) */

struct ih {
	const struct engine_ops *ops;
	struct engine *engine;
	struct engine_vcpu *vcpu;
	struct guest_memory mem;
	struct vcpu_state entry; /* the 64-bit entry state at IH_CODE, with the IDT */
	struct vcpu_state state; /* loaded by ih_start, read back by ih_sync */
	struct vm_exit exit;
};

static inline void ih_write(struct ih *h, uint64_t gpa, const void *data, size_t len)
{
	assert_int_equal(guest_memory_write(&h->mem, gpa, data, len), 0);
}

static inline uint64_t ih_read(struct ih *h, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(guest_memory_read(&h->mem, gpa, &v, size), 0);
	return v;
}

static inline void ih_put(struct ih *h, uint64_t gpa, uint64_t v, unsigned size)
{
	ih_write(h, gpa, &v, size);
}

/* A 64-bit interrupt gate (Intel SDM Vol. 3, 7.14.1, figure 7-8): selector,
 * offset, type 0xe (or 0xf for a trap gate), DPL, present. */
static inline void ih_set_gate(struct ih *h, unsigned vector, uint64_t offset, unsigned type, unsigned dpl,
			       bool present)
{
	uint64_t lo = (offset & 0xffff) | ((uint64_t)BOOT_SEL_CODE64 << 16) | ((uint64_t)type << 40) |
		      ((uint64_t)dpl << 45) | ((uint64_t)(present ? 1 : 0) << 47) | ((offset & 0xffff0000ull) << 32);

	ih_put(h, IH_IDT + vector * 16, lo, 8);
	ih_put(h, IH_IDT + vector * 16 + 8, offset >> 32, 8);
}

/* Handler v at IH_STUBS + 16 * v: out 0xe5, al; hlt; jmp $. It changes no
 * register, so the state at its exit is the state the delivery left. */
static inline void ih_install_idt(struct ih *h)
{
	for (unsigned v = 0; v < 256; v++) {
		static const uint8_t stub[] = { 0xe6, IH_PORT_EXC, 0xf4, 0xeb, 0xfe };

		ih_write(h, IH_STUBS + v * 16, stub, sizeof(stub));
		ih_set_gate(h, v, IH_STUBS + v * 16, 0xe, 0, true);
	}
}

/* The software engine the engine harness drives: RINGVISOR_ENGINE, else interp.
 * `make unit-test` runs the engine-level tests once per engine of SOFT_ENGINES. */
static inline const char *ih_engine_name(void)
{
	const char *name = getenv("RINGVISOR_ENGINE");

	return name && *name ? name : "interp";
}

/* The CPU model of ih_new: v2, so that the instruction tests reach v2's
 * instructions (CMPXCHG16B, LAHF in 64-bit mode, and the SSE3 to SSE4.2 and
 * POPCNT handlers as they land) whether or not the software engines claim the
 * whole level yet. ih_new_model gives another, to test the #UD gating. */
#define IH_MODEL "v2"

/* ih_new_model with a model the test made itself (one with flags no named
 * model advertises yet); it must outlive the harness. */
static inline struct ih *ih_new_cpu_model(const struct cpu_model *model)
{
	struct ih *h = calloc(1, sizeof(*h));
	struct engine_env env;
	char why[256];

	assert_non_null(h);
	assert_int_equal(guest_memory_init(&h->mem, IH_MEM_SIZE, why, sizeof(why)), 0);
	assert_int_equal(boot_write_tables(&h->mem), 0);
	h->ops = engine_find(ih_engine_name());
	assert_non_null(h->ops);
	env = (struct engine_env){ .mem = &h->mem, .vcpu_count = 1, .cpu_model = model };
	assert_non_null(env.cpu_model);
	assert_int_equal(h->ops->create(&env, &h->engine, why, sizeof(why)), 0);
	assert_int_equal(h->ops->vcpu_create(h->engine, 0, &h->vcpu), 0);
	boot_state_long64(&h->entry, IH_CODE);
	h->entry.gpr[GPR_RSP] = IH_STACK_TOP;
	h->entry.idtr.base = IH_IDT;
	h->entry.idtr.limit = 256 * 16 - 1;
	ih_install_idt(h);
	h->state = h->entry;
	return h;
}

static inline struct ih *ih_new_model(const char *model)
{
	return ih_new_cpu_model(cpu_model_find(model));
}

static inline struct ih *ih_new(void)
{
	return ih_new_model(IH_MODEL);
}

static inline void ih_free(struct ih *h)
{
	h->ops->vcpu_destroy(h->vcpu);
	h->ops->destroy(h->engine);
	guest_memory_destroy(&h->mem);
	free(h);
}

/* Code at IH_CODE: body, then out 0xe9, al (and a HLT, which ends the decoded
 * block there rather than in whatever bytes follow). */
static inline void ih_load(struct ih *h, const uint8_t *body, size_t len)
{
	static const uint8_t end[] = { 0xe6, IH_PORT_END, 0xf4 };

	ih_write(h, IH_CODE, body, len);
	ih_write(h, IH_CODE + len, end, sizeof(end));
}

/* Loads h->state into the vCPU (which also drops decoded code). */
static inline void ih_start(struct ih *h)
{
	assert_int_equal(h->ops->set_state(h->vcpu, &h->state), 0);
}

static inline enum vm_exit_reason ih_run(struct ih *h)
{
	assert_int_equal(h->ops->run(h->vcpu, &h->exit), 0);
	return h->exit.reason;
}

static inline struct vcpu_state *ih_sync(struct ih *h)
{
	assert_int_equal(h->ops->get_state(h->vcpu, &h->state), 0);
	return &h->state;
}

static inline bool ih_exit_is_out(const struct ih *h, uint16_t port)
{
	return h->exit.reason == EXIT_IO && h->exit.io.is_write && h->exit.io.port == port;
}

/* The vector whose handler made the exit, or -1. */
static inline int ih_exit_vector(const struct ih *h)
{
	if (!ih_exit_is_out(h, IH_PORT_EXC) || h->exit.rip < IH_STUBS || h->exit.rip >= IH_STUBS + 256 * 16)
		return -1;
	return (int)((h->exit.rip - IH_STUBS) / 16);
}

static inline void ih_describe_unexpected_exit(struct ih *h, const char *wanted)
{
	if (ih_exit_vector(h) >= 0)
		fail_msg("wanted %s; the guest took exception %d", wanted, ih_exit_vector(h));
	fail_msg("wanted %s; got exit %s (port 0x%x) at rip 0x%llx", wanted, vm_exit_reason_name(h->exit.reason),
		 h->exit.reason == EXIT_IO ? h->exit.io.port : 0, (unsigned long long)h->exit.rip);
}

/* The run ended at the code's final out 0xe9, al: returns the state there. */
static inline struct vcpu_state *ih_expect_end(struct ih *h)
{
	if (!ih_exit_is_out(h, IH_PORT_END))
		ih_describe_unexpected_exit(h, "the end of the code (out 0xe9)");
	return ih_sync(h);
}

/* Loads body and the state, runs to the end. */
static inline struct vcpu_state *ih_exec(struct ih *h, const uint8_t *body, size_t len)
{
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	return ih_expect_end(h);
}

/* The run stopped in the handler of this vector; returns the state there (RSP at
 * the exception frame). */
static inline struct vcpu_state *ih_expect_exception(struct ih *h, uint8_t vector)
{
	if (ih_exit_vector(h) != vector) {
		char want[64];

		snprintf(want, sizeof(want), "exception %u", vector);
		ih_describe_unexpected_exit(h, want);
	}
	return ih_sync(h);
}

/* Quadword i of the frame on the handler's stack. */
static inline uint64_t ih_frame(struct ih *h, unsigned i)
{
	return ih_read(h, h->state.gpr[GPR_RSP] + 8 * i, 8);
}

/* ---- comparing the engine with the host ----------------------------------------- */

#define IH_CMP_DATA 256

/* One run of the same code on both: registers, flags, and a data buffer that
 * registers in ptr_regs point into (they hold offsets into data). */
struct ih_case {
	struct ih_regs regs;
	uint32_t ptr_regs; /* bit n: GPR n is an offset into data */
	uint8_t data[IH_CMP_DATA];
};

struct ih_result {
	struct ih_regs regs; /* pointer registers converted back to offsets */
	/* 16-byte aligned as IH_DATA is, for the SSE operands that must be. */
	uint8_t data[IH_CMP_DATA] __attribute__((aligned(16)));
};

static inline void ih_case_on_host(const struct ih_case *c, const uint8_t *body, size_t len, struct ih_result *out)
{
	memcpy(out->data, c->data, sizeof(out->data));
	out->regs = c->regs;
	for (unsigned i = 0; i < GPR_COUNT; i++)
		if (c->ptr_regs & (1u << i))
			out->regs.gpr[i] = (uint64_t)(uintptr_t)out->data + c->regs.gpr[i];
	ih_native_run(&out->regs, body, len);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		if (c->ptr_regs & (1u << i))
			out->regs.gpr[i] -= (uint64_t)(uintptr_t)out->data;
}

static inline void ih_case_on_engine(struct ih *h, const struct ih_case *c, const uint8_t *body, size_t len,
				     struct ih_result *out)
{
	struct vcpu_state *s;

	h->state = h->entry;
	for (unsigned i = 0; i < GPR_COUNT; i++) {
		if (i != GPR_RSP)
			h->state.gpr[i] = c->regs.gpr[i] + ((c->ptr_regs & (1u << i)) ? IH_DATA : 0);
	}
	h->state.rflags = (c->regs.rflags & IH_NATIVE_FLAGS) | RFLAGS_FIXED;
	ih_write(h, IH_DATA, c->data, sizeof(c->data));
	s = ih_exec(h, body, len);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		out->regs.gpr[i] = s->gpr[i] - ((c->ptr_regs & (1u << i)) ? IH_DATA : 0);
	out->regs.rflags = s->rflags;
	assert_int_equal(guest_memory_read(&h->mem, IH_DATA, out->data, sizeof(out->data)), 0);
}

/* Runs the case on both and fails on any difference in the GPRs (but RSP), in
 * the flags of flag_mask, or in the data. what names the case in messages. */
static inline void ih_compare(struct ih *h, const struct ih_case *c, const uint8_t *body, size_t len,
			      uint64_t flag_mask, const char *what)
{
	struct ih_result host, guest;

	ih_case_on_host(c, body, len, &host);
	ih_case_on_engine(h, c, body, len, &guest);
	for (unsigned i = 0; i < GPR_COUNT; i++) {
		if (i != GPR_RSP && host.regs.gpr[i] != guest.regs.gpr[i])
			fail_msg("%s: GPR %u is 0x%llx, the host has 0x%llx", what, i,
				 (unsigned long long)guest.regs.gpr[i], (unsigned long long)host.regs.gpr[i]);
	}
	if ((host.regs.rflags ^ guest.regs.rflags) & flag_mask)
		fail_msg("%s: RFLAGS 0x%llx, the host has 0x%llx (compared bits 0x%llx)", what,
			 (unsigned long long)(guest.regs.rflags & flag_mask),
			 (unsigned long long)(host.regs.rflags & flag_mask), (unsigned long long)flag_mask);
	for (unsigned i = 0; i < IH_CMP_DATA; i++) {
		if (host.data[i] != guest.data[i])
			fail_msg("%s: data byte %u is 0x%02x, the host has 0x%02x", what, i, guest.data[i],
				 host.data[i]);
	}
}

/* The operand-size prefix of an instruction: 66 for 16 bits, REX.W for 64 (SDM
 * Vol. 2, 2.1.1 and 2.2.1). Returns its length. */
static inline size_t ih_size_prefix(uint8_t *p, unsigned size)
{
	if (size == 2) {
		p[0] = 0x66;
		return 1;
	}
	if (size == 8) {
		p[0] = 0x48;
		return 1;
	}
	return 0;
}

/* A small deterministic generator (xorshift64*), for operand grids. */
static inline uint64_t ih_random(uint64_t *seed)
{
	*seed ^= *seed >> 12;
	*seed ^= *seed << 25;
	*seed ^= *seed >> 27;
	return *seed * 0x2545f4914f6cdd1dull;
}

/* Runs each body `iterations` times on host and engine (ih_compare, the
 * arithmetic flags in flag_mask compared) from fresh registers, flags and
 * data: the GPRs and the data's quadwords from value(&seed), RDI pointing at
 * the data. */
static inline void ih_compare_bodies_flags(struct ih *h, const struct ih_body *b, unsigned n, unsigned iterations,
					   uint64_t (*value)(uint64_t *seed), uint64_t seed, uint64_t flag_mask)
{
	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < iterations; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };

			for (unsigned q = 0; q < IH_CMP_DATA / 8; q++) {
				uint64_t v = value(&seed);

				memcpy(c.data + 8 * q, &v, 8);
			}
			for (unsigned r = 0; r < GPR_COUNT; r++)
				c.regs.gpr[r] = r == GPR_RDI ? 0 : value(&seed);
			c.regs.rflags = ih_random(&seed);
			ih_compare(h, &c, b[k].code, (size_t)(b[k].end - b[k].code), flag_mask, b[k].name);
		}
	}
}

/* The same with every arithmetic flag compared. */
static inline void ih_compare_bodies(struct ih *h, const struct ih_body *b, unsigned n, unsigned iterations,
				     uint64_t (*value)(uint64_t *seed), uint64_t seed)
{
	ih_compare_bodies_flags(h, b, n, iterations, value, seed, RFLAGS_ARITH_MASK);
}

/* Whether the host is of the models' vendor (cpu_model_host_is_same_vendor),
 * so that what the manuals leave undefined compares too. */
static inline bool ih_host_is_model_vendor(void)
{
	char host[13], model[13];

	return cpu_model_host_is_same_vendor(host, model);
}

/* Edge values (zero, all ones, sign bits, saturation boundaries) a quarter
 * of the time, small ones (often equal) a quarter, random ones the rest. */
static inline uint64_t ih_edge_value(uint64_t *seed)
{
	static const uint64_t edges[] = {
		0,
		~0ull,
		0x8000000080000000ull,
		0x7fffffff7fffffffull,
		0x8080808080808080ull,
		0x7f7f7f7f7f7f7f7full,
		0x8000800080008000ull,
		0x00ff00ff0000ffffull,
		0x0000000100000001ull,
		0xffffffff00000000ull,
	};
	uint64_t r = ih_random(seed);

	switch (r & 3) {
	case 0:
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return ih_random(seed) & 0x0303030303030303ull;
	default:
		return ih_random(seed);
	}
}

/* ---- a bare vCPU for the internals ---------------------------------------------- */

struct icpu {
	struct guest_memory mem;
	struct soft_cpu *cpu;
	uint64_t next_table; /* bump allocator for page tables */
};

#define ICPU_MEM_SIZE (8ull << 20)
#define ICPU_TABLES 0x100000ull /* page tables are allocated from here up */

static inline struct icpu *icpu_new(void)
{
	struct icpu *h = calloc(1, sizeof(*h));
	char why[256];

	assert_non_null(h);
	assert_int_equal(guest_memory_init(&h->mem, ICPU_MEM_SIZE, why, sizeof(why)), 0);
	h->cpu = calloc(1, sizeof(*h->cpu));
	assert_non_null(h->cpu);
	/* The core alone, with no engine's hooks; it flushes the TLB (a zeroed one
	 * would claim linear page 0). */
	assert_int_equal(softcpu_init(h->cpu, &h->mem, cpu_model_find(IH_MODEL), 0, NULL), 0);
	h->next_table = ICPU_TABLES;
	return h;
}

static inline void icpu_free(struct icpu *h)
{
	softcpu_fini(h->cpu);
	free(h->cpu);
	guest_memory_destroy(&h->mem);
	free(h);
}

static inline void *icpu_ptr(struct icpu *h, uint64_t gpa, uint64_t len)
{
	void *p = guest_memory_ptr(&h->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static inline uint64_t icpu_get(struct icpu *h, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, icpu_ptr(h, gpa, size), size);
	return v;
}

static inline void icpu_set(struct icpu *h, uint64_t gpa, uint64_t v, unsigned size)
{
	memcpy(icpu_ptr(h, gpa, size), &v, size);
}

/* What unwound out of the call, if anything. */
struct ih_fault {
	bool raised;
	bool exited; /* cpu_exit_and_replay: an access the VMM must answer */
	uint8_t vector;
	bool has_error;
	uint32_t error;
};

/* Calls fn(cpu, arg) with cpu->unwind set here, as the run loop would. */
static inline struct ih_fault icpu_call(struct soft_cpu *cpu, void (*fn)(struct soft_cpu *, void *), void *arg)
{
	struct ih_fault f = { 0 };
	int why = setjmp(cpu->unwind);

	if (why == UNWIND_EXCEPTION) {
		f.raised = true;
		f.vector = cpu->exc_vector;
		f.has_error = cpu->exc_has_error;
		f.error = cpu->exc_error;
		return f;
	}
	if (why == UNWIND_EXIT) {
		f.exited = true;
		return f;
	}
	fn(cpu, arg);
	return f;
}

static inline void ih_expect_no_fault(struct ih_fault f, const char *what)
{
	if (f.raised)
		fail_msg("%s: unexpected exception %u (error 0x%x)", what, f.vector, f.error);
	if (f.exited)
		fail_msg("%s: unexpected exit", what);
}

static inline void ih_expect_fault(struct ih_fault f, uint8_t vector, uint32_t error, const char *what)
{
	if (!f.raised)
		fail_msg("%s: no exception, wanted %u (error 0x%x)", what, vector, error);
	if (f.vector != vector || !f.has_error || f.error != error)
		fail_msg("%s: exception %u error 0x%x (has_error %d), wanted %u error 0x%x", what, f.vector, f.error,
			 f.has_error, vector, error);
}

/* mmu_translate and mem_read_lin/mem_write_lin under icpu_call. */
struct ih_access {
	uint64_t lin;
	unsigned acc;
	unsigned size;
	uint64_t value; /* in for writes, out for reads and translations */
};

static inline void ih_do_translate(struct soft_cpu *cpu, void *arg)
{
	struct ih_access *a = arg;

	a->value = mmu_translate(cpu, a->lin, a->acc);
}

static inline void ih_do_read(struct soft_cpu *cpu, void *arg)
{
	struct ih_access *a = arg;

	a->value = mem_read_lin(cpu, a->lin, a->size, a->acc);
}

static inline void ih_do_write(struct soft_cpu *cpu, void *arg)
{
	struct ih_access *a = arg;

	mem_write_lin(cpu, a->lin, a->size, a->value, a->acc);
}

static inline struct ih_fault icpu_translate(struct icpu *h, uint64_t lin, unsigned acc, uint64_t *gpa)
{
	struct ih_access a = { .lin = lin, .acc = acc };
	struct ih_fault f = icpu_call(h->cpu, ih_do_translate, &a);

	*gpa = a.value;
	return f;
}

static inline struct ih_fault icpu_read(struct icpu *h, uint64_t lin, unsigned size, uint64_t *value)
{
	struct ih_access a = { .lin = lin, .acc = ACC_READ, .size = size };
	struct ih_fault f = icpu_call(h->cpu, ih_do_read, &a);

	*value = a.value;
	return f;
}

static inline struct ih_fault icpu_write(struct icpu *h, uint64_t lin, unsigned size, uint64_t value)
{
	struct ih_access a = { .lin = lin, .acc = ACC_WRITE, .size = size, .value = value };

	return icpu_call(h->cpu, ih_do_write, &a);
}

/* ---- paging modes and a page-table builder ------------------------------------- */

enum pt_format { PT_4LEVEL, PT_PAE, PT_32BIT };

/* The CPU in one paging mode at CPL 0, CR0.WP set, EFER.NXE as given. */
static inline void icpu_paging(struct icpu *h, enum pt_format fmt, uint64_t cr3, bool nxe)
{
	struct soft_cpu *cpu = h->cpu;

	cpu->cr0 = CR0_PE | CR0_ET | CR0_WP | CR0_PG;
	cpu->cr3 = cr3;
	cpu->cr4 = fmt == PT_32BIT ? 0 : CR4_PAE;
	cpu->efer = (fmt == PT_4LEVEL ? EFER_LME | EFER_LMA : 0) | (nxe ? EFER_NXE : 0);
	x86_segment_flat(&cpu->seg[SREG_CS], BOOT_SEL_CODE64, SEG_TYPE_CODE_RX_ACCESSED, fmt != PT_4LEVEL,
			 fmt == PT_4LEVEL);
	cpu_update_mode(cpu);
	tlb_flush(cpu, false);
}

static inline uint64_t pt_alloc(struct icpu *h)
{
	uint64_t gpa = h->next_table;

	h->next_table += 4096;
	memset(icpu_ptr(h, gpa, 4096), 0, 4096);
	return gpa;
}

static inline unsigned pt_levels(enum pt_format fmt)
{
	return fmt == PT_4LEVEL ? 4 : fmt == PT_PAE ? 3 : 2;
}

static inline unsigned pt_entry_size(enum pt_format fmt)
{
	return fmt == PT_32BIT ? 4 : 8;
}

/* Index of lin in the table at level (1 = page table). */
static inline uint64_t pt_index(enum pt_format fmt, uint64_t lin, unsigned level)
{
	if (fmt == PT_32BIT)
		return (lin >> (12 + 10 * (level - 1))) & 0x3ff;
	if (fmt == PT_PAE && level == 3)
		return (lin >> 30) & 3;
	return (lin >> (12 + 9 * (level - 1))) & 0x1ff;
}

/* Guest-physical address of lin's entry at level, making the tables above it
 * (entries P|W|U, or P alone for PAE PDPTEs, whose other low bits are reserved). */
static inline uint64_t pt_entry(struct icpu *h, enum pt_format fmt, uint64_t root, uint64_t lin, unsigned level)
{
	unsigned esize = pt_entry_size(fmt);
	uint64_t table = root;

	for (unsigned l = pt_levels(fmt); l > level; l--) {
		uint64_t at = table + pt_index(fmt, lin, l) * esize;
		uint64_t e = icpu_get(h, at, esize);

		if (!(e & PTE_P)) {
			e = pt_alloc(h) | PTE_P | ((fmt == PT_PAE && l == 3) ? 0 : PTE_W | PTE_U);
			icpu_set(h, at, e, esize);
		}
		table = e & 0x000ffffffffff000ull & (esize == 4 ? 0xfffff000ull : ~0ull);
	}
	return table + pt_index(fmt, lin, level) * esize;
}

/* Maps lin to gpa with a leaf at level (2 with PS: a large page). Returns the
 * leaf entry's address. */
static inline uint64_t pt_map(struct icpu *h, enum pt_format fmt, uint64_t root, uint64_t lin, uint64_t gpa,
			      unsigned level, uint64_t flags)
{
	uint64_t at = pt_entry(h, fmt, root, lin, level);

	icpu_set(h, at, gpa | flags | (level > 1 ? PTE_PS : 0), pt_entry_size(fmt));
	return at;
}

#endif
