#include "cli/test_snapshot_hook.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "vm/snapshot.h"
#include "vm/vm.h"
#include "vm/vm_control.h"

/* The console tap: on the writing device's thread, so it only looks and
 * wakes the hook's thread, which does the work. */
static void watch(void *opaque, const uint8_t *buf, size_t len)
{
	struct test_snapshot_hook *h = opaque;
	bool found = false;

	pthread_mutex_lock(&h->line_lock);
	for (size_t i = 0; i < len && !found; i++) {
		if (buf[i] == '\n') {
			h->line_len = 0;
			continue;
		}
		if (h->line_len == sizeof(h->line)) {
			memmove(h->line, h->line + 1, sizeof(h->line) - 1);
			h->line_len--;
		}
		h->line[h->line_len++] = (char)buf[i];
		found = h->line_len >= h->marker_len &&
			!memcmp(h->line + h->line_len - h->marker_len, h->marker, h->marker_len);
	}
	pthread_mutex_unlock(&h->line_lock);
	if (!found)
		return;
	pthread_mutex_lock(&h->lock);
	h->seen = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static void snapshot_and_stop(struct test_snapshot_hook *h)
{
	struct snapshot_stats st;
	char why[512];

	if (vm_pause(h->vm, why, sizeof(why)) || vm_snapshot_measured(h->vm, h->dir, &st, why, sizeof(why))) {
		fprintf(stderr, "ringvisor: test snapshot: %s\n", why);
		vm_request_stop(h->vm, STATUS_INTERNAL);
		return;
	}
	fprintf(stderr,
		"ringvisor: test snapshot: %s in %.1f ms: state %" PRIu64 " bytes, memory %" PRIu64
		" MiB with %.1f MiB of data\n",
		h->dir, (double)st.ns / 1e6, st.state_bytes, st.memory_bytes >> 20,
		(double)st.memory_data_bytes / (1 << 20));
	/* Stopping wakes the parked threads, which then end. */
	vm_request_stop(h->vm, STATUS_OK);
}

static void *hook_thread(void *arg)
{
	struct test_snapshot_hook *h = arg;
	bool go;

	pthread_mutex_lock(&h->lock);
	while (!h->seen && !h->quit)
		pthread_cond_wait(&h->cond, &h->lock);
	go = h->seen && !h->quit;
	pthread_mutex_unlock(&h->lock);
	if (go)
		snapshot_and_stop(h);
	return NULL;
}

int test_snapshot_hook_start(struct test_snapshot_hook *h, struct vm *vm)
{
	const char *value = getenv(TEST_SNAPSHOT_ENV);
	const char *colon = value ? strchr(value, ':') : NULL;

	memset(h, 0, sizeof(*h));
	if (!value)
		return 0;
	if (!colon || colon == value || !colon[1])
		return config_error("%s: '%s' is not MARKER:DIR", TEST_SNAPSHOT_ENV, value);
	if ((size_t)(colon - value) > TEST_SNAPSHOT_LINE_MAX)
		return config_error("%s: the marker is longer than %d bytes", TEST_SNAPSHOT_ENV,
				    TEST_SNAPSHOT_LINE_MAX);
	h->vm = vm;
	h->marker = strndup(value, (size_t)(colon - value));
	h->dir = strdup(colon + 1);
	if (!h->marker || !h->dir)
		return config_error("out of memory");
	h->marker_len = strlen(h->marker);
	pthread_mutex_init(&h->line_lock, NULL);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->thread, NULL, hook_thread, h))
		return config_error("%s: cannot start its thread", TEST_SNAPSHOT_ENV);
	h->started = true;
	vm->console_tap = (struct chardev){ .write = watch, .opaque = h };
	return 0;
}

void test_snapshot_hook_stop(struct test_snapshot_hook *h)
{
	if (h->started) {
		pthread_mutex_lock(&h->lock);
		h->quit = true;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->thread, NULL);
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		pthread_mutex_destroy(&h->line_lock);
		h->vm->console_tap = (struct chardev){ 0 };
	}
	free(h->marker);
	free(h->dir);
	memset(h, 0, sizeof(*h));
}
