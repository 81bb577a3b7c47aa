#include "native.h"

#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "guest_image.h"
#include "x86/arch.h"

#define TIMEOUT_MS 2000	      /* no sequence runs for anything like this long */
#define ALTSTACK_SIZE 65536   /* the signal handler's stack: never the test's stack page */
#define ARITH_AND_DF 0xcd5ull /* CF PF AF ZF SF DF OF */
#define PF_INSTRUCTION (1ull << 4)

/* What the parent and the child share: one memfd, mapped by both. The child
 * also maps its first pages at the guest addresses the test code uses. */
struct native_ctl {
	/* in: the layout diff_native_enter reads (offsets are used in the asm) */
	uint64_t gpr[GPR_COUNT]; /* offset 0 */
	uint64_t rflags;	 /* offset 128 */
	/* out: the CPU state the signal frame held */
	uint64_t out_gpr[GPR_COUNT];
	uint64_t rip, out_rflags, cs, ss, err, trapno, cr2;
	uint32_t signo;
	char note[120]; /* the child's reason when it cannot start */
};

struct native_shared {
	uint8_t code[GI_CODE_SIZE];
	uint8_t data[PAGE];
	uint8_t stack[PAGE];
	struct native_ctl ctl;
};

#define OFF_DATA offsetof(struct native_shared, data)
#define OFF_STACK offsetof(struct native_shared, stack)
_Static_assert(OFF_DATA % PAGE == 0 && OFF_STACK % PAGE == 0, "pages of the memfd are page-aligned");
_Static_assert(offsetof(struct native_ctl, rflags) == 128, "diff_native_enter reads rflags at 128");

struct native_ref {
	int memfd;
	struct native_shared *shared;
	pid_t child;
	int cmd_fd, ack_fd; /* parent's ends: it writes commands, reads acknowledgements */
	uint16_t host_cs, host_ss;
};

/* ---- the child: entering the test code and coming back -----------------------
 *
 * native_entry.S enters the test code (diff_native_enter) and comes back from
 * the signal that ends it (diff_native_landing); the handler below records the
 * state and sends sigreturn to the landing pad. These are shared with it. */
uint64_t diff_native_saved_rsp, diff_native_host_fs, diff_native_test_fs = GI_FS_BASE, diff_native_test_gs = GI_GS_BASE,
						     diff_native_code = GI_CODE;
struct native_ctl *diff_native_ctl;

void diff_native_enter(struct native_ctl *ctl);
void diff_native_landing(void);
void diff_native_on_signal(int sig, siginfo_t *si, void *uc);
void diff_native_record(int sig, siginfo_t *si, void *ctx);

/* Runs with the test's FS base: no sanitizer runtime, no C library. The GPR
 * order of REG_* (ucontext.h) is not the encoding order, hence the table. */
__attribute__((no_sanitize("address", "undefined"))) void diff_native_record(int sig, siginfo_t *si, void *ctx)
{
	static const int reg_of_gpr[GPR_COUNT] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
						   REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
						   REG_R12, REG_R13, REG_R14, REG_R15 };
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	struct native_ctl *c = diff_native_ctl;

	(void)si;
	for (unsigned i = 0; i < GPR_COUNT; i++)
		c->out_gpr[i] = (uint64_t)g[reg_of_gpr[i]];
	c->rip = (uint64_t)g[REG_RIP];
	c->out_rflags = (uint64_t)g[REG_EFL];
	c->err = (uint64_t)g[REG_ERR];
	c->trapno = (uint64_t)g[REG_TRAPNO];
	c->cr2 = (uint64_t)g[REG_CR2];
	/* REG_CSGSFS holds CS, GS, FS and (Linux's uc_flags UC_SIGCONTEXT_SS) SS. */
	c->cs = (uint64_t)g[REG_CSGSFS] & 0xffff;
	c->ss = ((uint64_t)g[REG_CSGSFS] >> 48) & 0xffff;
	c->signo = (uint32_t)sig;
	g[REG_RIP] = (greg_t)(uintptr_t)diff_native_landing;
	g[REG_RSP] = (greg_t)diff_native_saved_rsp;
	g[REG_EFL] = (greg_t)(RFLAGS_FIXED | RFLAGS_IF);
}

__attribute__((format(printf, 2, 3), noreturn)) static void child_fail(struct native_shared *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->ctl.note, sizeof(sh->ctl.note), fmt, ap);
	va_end(ap);
	_exit(1);
}

static void child_map(struct native_shared *sh, int fd, uint64_t addr, size_t len, off_t off, int prot)
{
	void *p = mmap((void *)(uintptr_t)addr, len, prot, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, off);

	if (p == MAP_FAILED || p != (void *)(uintptr_t)addr)
		child_fail(sh, "cannot map the test page at %#llx: %s", (unsigned long long)addr,
			   p == MAP_FAILED ? strerror(errno) : "the kernel chose another address");
}

static void child_setup(struct native_shared *sh, int fd)
{
	static const int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	stack_t alt = { .ss_size = ALTSTACK_SIZE };
	struct sigaction sa = { .sa_sigaction = diff_native_on_signal, .sa_flags = SA_SIGINFO | SA_ONSTACK };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	child_map(sh, fd, GI_CODE, GI_CODE_SIZE, 0, PROT_READ | PROT_EXEC);
	child_map(sh, fd, GI_DATA, PAGE, OFF_DATA, PROT_READ | PROT_WRITE);
	child_map(sh, fd, GI_STACK, PAGE, OFF_STACK, PROT_READ | PROT_WRITE);
	alt.ss_sp = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt.ss_sp == MAP_FAILED || sigaltstack(&alt, NULL))
		child_fail(sh, "cannot set up the signal stack: %s", strerror(errno));
	sigfillset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (sigaction(signals[i], &sa, NULL))
			child_fail(sh, "sigaction: %s", strerror(errno));
	/* The C library keeps its thread data at FS, but nothing at GS (which
	 * diff_native_enter sets for each test). */
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &diff_native_host_fs))
		child_fail(sh, "arch_prctl: %s", strerror(errno));
	diff_native_ctl = &sh->ctl;
}

/* The code page was written through the parent's mapping: CPUID serializes,
 * as the SDM asks of a processor executing cross-modified code. Touching each
 * page makes it present, so a write to the read-only code page is a protection
 * fault (P = 1), as in the guest. */
static void child_prepare(void)
{
	unsigned a = 0, b, c = 0, d;

	for (uint64_t p = GI_CODE; p < GI_CODE + GI_CODE_SIZE; p += PAGE)
		(void)*(volatile uint8_t *)(uintptr_t)p;
	(void)*(volatile uint8_t *)(uintptr_t)GI_DATA;
	(void)*(volatile uint8_t *)(uintptr_t)GI_STACK;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
}

__attribute__((noreturn)) static void child_main(struct native_shared *sh, int fd, int cmd, int ack)
{
	char c = 'R';

	child_setup(sh, fd);
	if (write(ack, &c, 1) != 1)
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		sh->ctl.signo = 0;
		child_prepare();
		diff_native_enter(&sh->ctl);
		if (write(ack, &c, 1) != 1)
			break;
	}
	_exit(0);
}

/* ---- the parent ---------------------------------------------------------------- */

static void stop_child(struct native_ref *n)
{
	if (n->child > 0) {
		kill(n->child, SIGKILL);
		waitpid(n->child, NULL, 0);
	}
	if (n->cmd_fd >= 0)
		close(n->cmd_fd);
	if (n->ack_fd >= 0)
		close(n->ack_fd);
	n->child = -1;
	n->cmd_fd = n->ack_fd = -1;
}

/* Waits for one byte from the child; -1 on timeout or if it died. */
static int await_child(struct native_ref *n)
{
	struct pollfd p = { .fd = n->ack_fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, TIMEOUT_MS) != 1)
		return -1;
	return read(n->ack_fd, &c, 1) == 1 ? 0 : -1;
}

static int start_child(struct native_ref *n, char *why, size_t why_len)
{
	int cmd[2], ack[2];

	if (pipe2(cmd, O_CLOEXEC))
		goto fail;
	if (pipe2(ack, O_CLOEXEC)) {
		close(cmd[0]), close(cmd[1]);
		goto fail;
	}
	fflush(NULL);
	n->shared->ctl.note[0] = 0;
	n->child = fork();
	if (n->child == 0) {
		close(cmd[1]), close(ack[0]);
		child_main(n->shared, n->memfd, cmd[0], ack[1]);
	}
	close(cmd[0]), close(ack[1]);
	n->cmd_fd = cmd[1];
	n->ack_fd = ack[0];
	if (n->child < 0 || await_child(n)) {
		snprintf(why, why_len, "the native runner did not start: %s",
			 n->shared->ctl.note[0] ? n->shared->ctl.note : "no answer");
		stop_child(n);
		return -1;
	}
	return 0;
fail:
	snprintf(why, why_len, "pipe: %s", strerror(errno));
	return -1;
}

static void read_host_selectors(struct native_ref *n)
{
	__asm__("mov %%cs, %0" : "=r"(n->host_cs));
	__asm__("mov %%ss, %0" : "=r"(n->host_ss));
}

struct native_ref *native_open(char *why, size_t why_len)
{
	struct native_ref *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	n->child = n->cmd_fd = n->ack_fd = -1;
	n->memfd = memfd_create("diff-native", MFD_CLOEXEC);
	if (n->memfd < 0 || ftruncate(n->memfd, sizeof(struct native_shared))) {
		snprintf(why, why_len, "memfd: %s", strerror(errno));
		goto fail;
	}
	n->shared = mmap(NULL, sizeof(struct native_shared), PROT_READ | PROT_WRITE, MAP_SHARED, n->memfd, 0);
	if (n->shared == MAP_FAILED) {
		n->shared = NULL;
		snprintf(why, why_len, "mmap: %s", strerror(errno));
		goto fail;
	}
	read_host_selectors(n);
	if (start_child(n, why, why_len))
		goto fail;
	return n;
fail:
	native_close(n);
	return NULL;
}

/* Only with 5-level paging can a process map a page at 2^47 and above. */
bool native_host_la57(void)
{
	void *probe = (void *)(1ull << 47), *p;

	p = mmap(probe, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	munmap(p, PAGE);
	return p == probe;
}

void native_close(struct native_ref *n)
{
	if (!n)
		return;
	stop_child(n);
	if (n->shared)
		munmap(n->shared, sizeof(struct native_shared));
	if (n->memfd >= 0)
		close(n->memfd);
	free(n);
}

/* The host reports a #PF the way its own page tables give it; the guest's differ
 * where the child cannot copy them. P: a guest supervisor page is simply absent
 * in the child (P = 0 natively, P = 1 in the guest), and Linux reports every user
 * fault at or above its TASK_SIZE_MAX (the top page of the lower half) as a
 * protection fault (P = 1), where the guest maps nothing. So P follows the
 * guest's page table. The I/D bit is reported only with EFER.NXE = 1 (SDM Vol. 3,
 * 4.7), which the host has and the guest image does not. */
static uint64_t guest_pf_error(uint64_t err, uint64_t cr2)
{
	err &= ~(PF_INSTRUCTION | PTE_P);
	if (guest_image_page_flags(cr2 & ~(uint64_t)(PAGE - 1)) & PTE_P)
		err |= PTE_P;
	return err;
}

static uint16_t guest_selector(uint64_t host, uint16_t host_user, uint16_t guest)
{
	return host == host_user ? guest : (uint16_t)host;
}

static void fill_outcome(const struct native_ref *n, struct outcome *out)
{
	const struct native_ctl *c = &n->shared->ctl;
	unsigned v = (unsigned)c->trapno;

	if (!c->signo || v >= GI_VECTORS) {
		out->kind = OC_FAILED;
		snprintf(out->note, sizeof(out->note), "native: signal %u with trap number %llu", c->signo,
			 (unsigned long long)c->trapno);
		return;
	}
	out->vector = v;
	out->kind = v == GI_VECTOR_END ? OC_END : OC_EXCEPTION;
	out->frame.error = guest_image_has_error_code(v) ? c->err : 0;
	if (v == 14) {
		out->frame.error = guest_pf_error(c->err, c->cr2);
		out->state.cr2 = c->cr2;
	}
	out->frame.rip = c->rip;
	out->frame.cs = guest_selector(c->cs, n->host_cs, GI_SEL_UCODE);
	out->frame.rflags = c->out_rflags;
	out->frame.rsp = c->out_gpr[GPR_RSP];
	out->frame.ss = guest_selector(c->ss, n->host_ss, GI_SEL_UDATA);
	memcpy(out->state.gpr, c->out_gpr, sizeof(out->state.gpr));
	out->state.rip = c->rip;
}

void native_run(struct native_ref *n, const struct test_input *in, struct outcome *out)
{
	struct native_shared *sh = n->shared;
	char why[160], c = 'g';

	memset(out, 0, sizeof(*out));
	if (n->child < 0 && start_child(n, why, sizeof(why))) {
		out->kind = OC_FAILED;
		snprintf(out->note, sizeof(out->note), "%s", why);
		return;
	}
	/* Unused code bytes are HLT, a privileged instruction: #GP if ever reached. */
	memset(sh->code, 0xf4, sizeof(sh->code));
	memcpy(sh->code, in->code, in->code_len < sizeof(sh->code) ? in->code_len : sizeof(sh->code));
	memcpy(sh->data, in->data, PAGE);
	memcpy(sh->stack, in->stack, PAGE);
	memcpy(sh->ctl.gpr, in->gpr, sizeof(sh->ctl.gpr));
	sh->ctl.rflags = RFLAGS_FIXED | RFLAGS_IF | (in->rflags & ARITH_AND_DF);
	if (write(n->cmd_fd, &c, 1) != 1 || await_child(n)) {
		bool alive = n->child > 0 && waitpid(n->child, NULL, WNOHANG) == 0;

		out->kind = alive ? OC_TIMEOUT : OC_FAILED;
		snprintf(out->note, sizeof(out->note), "native: %s",
			 alive ? "still running after 2 s" : "the child died");
		stop_child(n);
		return;
	}
	fill_outcome(n, out);
	memcpy(out->data, sh->data, PAGE);
	memcpy(out->stack, sh->stack, PAGE);
}
