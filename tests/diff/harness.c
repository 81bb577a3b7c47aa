#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_image.h"
#include "native.h"
#include "x86/arch.h"
#include "x86/cpu_model.h"

#define WATCHDOG_NS 2000000000ll /* no sequence runs for anything like this long */
#define ARITH_AND_DF 0xcd5ull	 /* CF PF AF ZF SF DF OF */

/* ---- the watchdog: kicks a run that takes too long ------------------------- */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static struct engine_box *wd_box; /* the box inside run(), or NULL */
static long long wd_deadline;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		usleep(50000);
		pthread_mutex_lock(&wd_lock);
		if (wd_box && now_ns() > wd_deadline)
			wd_box->ops->kick(wd_box->vcpu);
		pthread_mutex_unlock(&wd_lock);
	}
	return NULL;
}

static void start_watchdog(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, watchdog, NULL) == 0)
		pthread_detach(t);
}

static void watch(struct engine_box *b)
{
	pthread_mutex_lock(&wd_lock);
	wd_box = b;
	wd_deadline = now_ns() + WATCHDOG_NS;
	pthread_mutex_unlock(&wd_lock);
}

static bool overdue(void)
{
	bool late;

	pthread_mutex_lock(&wd_lock);
	late = now_ns() > wd_deadline;
	pthread_mutex_unlock(&wd_lock);
	return late;
}

/* ---- opening and closing ------------------------------------------------------ */

int box_open(struct engine_box *b, const char *engine_name, char *why, size_t why_len)
{
	struct engine_env env;

	memset(b, 0, sizeof(*b));
	b->mem.fd = -1;
	snprintf(b->name, sizeof(b->name), "%s", engine_name);
	if (!strcmp(engine_name, "native")) {
		b->native = native_open(why, why_len);
		return b->native ? 0 : -1;
	}
	b->ops = engine_find(engine_name);
	if (!b->ops) {
		snprintf(why, why_len, "%s: no such engine", engine_name);
		return -1;
	}
	if (b->ops->probe(why, why_len))
		return -1;
	if (guest_memory_init(&b->mem, GI_RAM_SIZE, why, why_len))
		return -1;
	if (guest_image_write_tables(&b->mem)) {
		snprintf(why, why_len, "cannot write the guest tables");
		goto fail;
	}
	/* max: the sequences include v3's instructions, v2's CMPXCHG16B and
	 * LAHF/SAHF, and ADX, AES, PCLMULQDQ and SHA (gen_crypto.c), all of which
	 * the host CPU (the native reference) runs. */
	env = (struct engine_env){ .mem = &b->mem, .vcpu_count = 1, .cpu_model = cpu_model_find("max") };
	if (b->ops->create(&env, &b->engine, why, why_len))
		goto fail;
	if (b->ops->vcpu_create(b->engine, 0, &b->vcpu)) {
		snprintf(why, why_len, "%s: cannot create a vCPU", engine_name);
		goto fail;
	}
	pthread_once(&wd_once, start_watchdog);
	return 0;
fail:
	box_close(b);
	return -1;
}

void box_close(struct engine_box *b)
{
	native_close(b->native);
	if (b->vcpu)
		b->ops->vcpu_destroy(b->vcpu);
	if (b->engine)
		b->ops->destroy(b->engine);
	if (b->mem.fd >= 0)
		guest_memory_destroy(&b->mem);
	memset(b, 0, sizeof(*b));
	b->mem.fd = -1;
}

/* ---- one run --------------------------------------------------------------------- */

static int load(struct engine_box *b, const struct test_input *in)
{
	uint8_t code[GI_CODE_SIZE];
	struct vcpu_state s;

	if (in->code_len > sizeof(code))
		return -1;
	/* Unused code bytes are HLT, a privileged instruction: #GP if ever reached. */
	memset(code, 0xf4, sizeof(code));
	memcpy(code, in->code, in->code_len);
	if (guest_memory_write(&b->mem, GI_CODE, code, sizeof(code)) ||
	    guest_memory_write(&b->mem, GI_DATA, in->data, PAGE) ||
	    guest_memory_write(&b->mem, GI_STACK, in->stack, PAGE))
		return -1;
	guest_image_user_state(&s);
	memcpy(s.gpr, in->gpr, sizeof(s.gpr));
	s.rflags |= in->rflags & ARITH_AND_DF;
	return b->ops->set_state(b->vcpu, &s);
}

static void read_frame(struct engine_box *b, struct outcome *out)
{
	uint64_t words[6] = { 0 };
	unsigned skip = guest_image_has_error_code(out->vector) ? 0 : 1;

	/* The frame is at the kernel RSP; without an error code it starts one word
	 * higher in our struct. */
	if (guest_memory_read(&b->mem, out->state.gpr[GPR_RSP], words + skip, sizeof(words) - skip * 8))
		return;
	memcpy(&out->frame, words, sizeof(words));
}

static void classify(struct engine_box *b, const struct vm_exit *exit, struct outcome *out)
{
	out->reason = exit->reason;
	out->kind = OC_OTHER;
	if (exit->reason == EXIT_INTERNAL_ERROR)
		snprintf(out->note, sizeof(out->note), "internal error: %s (%llu)", exit->internal.what,
			 (unsigned long long)exit->internal.code);
	if (exit->reason != EXIT_IO || !exit->io.is_write)
		return;
	out->port = exit->io.port;
	if (out->port >= GI_PORT_VECTOR && out->port < GI_PORT_VECTOR + GI_VECTORS) {
		out->vector = out->port - GI_PORT_VECTOR;
		out->kind = out->vector == GI_VECTOR_END ? OC_END : OC_EXCEPTION;
		out->has_handler = true;
		read_frame(b, out);
	}
}

static int run_to_exit(struct engine_box *b, struct vm_exit *exit, struct outcome *out)
{
	watch(b);
	for (;;) {
		memset(exit, 0, sizeof(*exit));
		if (b->ops->run(b->vcpu, exit)) {
			out->kind = OC_FAILED;
			snprintf(out->note, sizeof(out->note), "%s: run() failed", b->ops->name);
			return -1;
		}
		if (exit->reason != EXIT_INTERRUPTED)
			return 0;
		if (overdue()) {
			out->kind = OC_TIMEOUT;
			snprintf(out->note, sizeof(out->note), "still running after %lld ms", WATCHDOG_NS / 1000000);
			return -1;
		}
	}
}

int box_run(struct engine_box *b, const struct test_input *in, struct outcome *out)
{
	long long t0 = now_ns();
	struct vm_exit exit;

	memset(out, 0, sizeof(*out));
	if (b->native) {
		native_run(b->native, in, out);
		goto timed;
	}
	if (load(b, in)) {
		out->kind = OC_FAILED;
		snprintf(out->note, sizeof(out->note), "%s: cannot load the test", b->ops->name);
		goto done;
	}
	if (run_to_exit(b, &exit, out) == 0) {
		if (b->ops->get_state(b->vcpu, &out->state)) {
			out->kind = OC_FAILED;
			snprintf(out->note, sizeof(out->note), "%s: get_state failed", b->ops->name);
		} else {
			classify(b, &exit, out);
		}
	}
	guest_memory_read(&b->mem, GI_DATA, out->data, PAGE);
	guest_memory_read(&b->mem, GI_STACK, out->stack, PAGE);
done:
	pthread_mutex_lock(&wd_lock);
	wd_box = NULL;
	pthread_mutex_unlock(&wd_lock);
timed:
	b->runs++;
	b->seconds += (double)(now_ns() - t0) / 1e9;
	return 0;
}
