/* virtio-rng's saved state (src/devices/virtio/virtio_rng_state.c): the
 * transport's part alone. An entropy device that has served a request and
 * has another made available saves, loads into a fresh device on a copy of
 * guest RAM and saves the same bytes; the restored device serves the
 * waiting request with the same used-ring entry (the bytes are random, so
 * only their count is compared). A truncated state is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio/virtio_rng.h"
#include "unit_helpers.h"
#include "virtio_state_harness.h"

struct side {
	struct vh *vh;
	struct virtio_rng rng;
};

struct harness {
	struct side a, b;
};

static void side_init(struct side *s, struct vh *vh)
{
	char why[128];

	s->vh = vh;
	assert_int_equal(virtio_rng_init(&s->rng, &vh->mem, vh_irq_line(vh), why, sizeof(why)), 0);
	assert_int_equal(vh_attach(vh, &s->rng.mmio), 0);
}

static void side_destroy(struct side *s)
{
	if (!s->vh)
		return;
	virtio_rng_destroy(&s->rng);
	vh_free(s->vh);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct vh *vh = vh_new();

	if (!h || !vh)
		return -1;
	side_init(&h->a, vh);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	side_destroy(&h->a);
	side_destroy(&h->b);
	free(h);
	return 0;
}

static void test_rng_restored_serves_the_waiting_request(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	vh_bring_up(h->a.vh, 0);
	vh_put_desc(h->a.vh, 0, 0, VH_BUF, 32, VH_F_WRITE, 0);
	vh_offer(h->a.vh, 0, 0);
	virtio_worker_run(h->a.vh->worker);
	assert_int_equal(vh_used_idx(h->a.vh, 0), 1);
	vh_put_desc(h->a.vh, 0, 1, VH_BUF + 0x100, 48, VH_F_WRITE, 0);
	vh_offer(h->a.vh, 0, 1);
	side_init(&h->b, vh_clone(h->a.vh));
	vs_assert_round_trip(&virtio_rng_state_ops, &h->a.rng, &h->b.rng, &w);
	assert_true(vh_kicked(h->b.vh));
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(vh_used_idx(h->b.vh, 0), 2);
	assert_int_equal(vh_used_id(h->b.vh, 0, 1), 1);
	assert_int_equal(vh_used_len(h->b.vh, 0, 1), 48);
	assert_int_equal(h->b.vh->irq.level, 1);
	for (size_t len = 0; len < w.len; len++)
		assert_int_equal(vs_load(&virtio_rng_state_ops, &h->b.rng, w.buf, len), -1);
	assert_int_equal(vh_reg(h->b.vh, VH_R_STATUS), 0);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rng_restored_serves_the_waiting_request, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
