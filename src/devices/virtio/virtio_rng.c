#include "devices/virtio/virtio_rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_serve.h"
#include "log.h"

#define REQUESTQ 0
#define HOST_ERROR_LOG_LINES 4

/* Fills len bytes from the host's entropy; the bytes filled (fewer only if
 * the host refuses, which Linux does not once its pool is ready). */
static size_t fill_random(struct virtio_rng *rng, uint8_t *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(p + done, len - done, 0);

		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno != EINTR) {
			if (log_ratelimit_allow(&rng->log))
				log_warn("virtio-rng: getrandom: %s", strerror(errno));
			break;
		}
	}
	return done;
}

/* Writes random bytes into the chain's writable segments, up to the cap;
 * returns how many. */
static uint32_t fill_chain(struct virtio_rng *rng, const struct virtq_chain *chain)
{
	uint32_t left = chain->writable < VIRTIO_RNG_CHAIN_MAX_BYTES ? chain->writable : VIRTIO_RNG_CHAIN_MAX_BYTES;
	uint32_t written = 0;

	for (unsigned i = 0; i < chain->nsegs && left; i++) {
		const struct virtq_seg *s = &chain->segs[i];
		uint32_t take = s->len < left ? s->len : left;
		size_t got;

		if (!s->writable || !take)
			continue;
		got = fill_random(rng, s->host, take);
		if (got)
			guest_memory_written(rng->mem, s->gpa, got);
		written += (uint32_t)got;
		if (got < take)
			break;
		left -= take;
	}
	return written;
}

/* One chain: false if the device now needs reset. */
static bool serve_chain(void *opaque, const struct virtq_chain *chain)
{
	struct virtio_rng *rng = opaque;
	uint32_t written;

	/* Readable segments come first (virtq_pop keeps the order), and count
	 * even when empty: the driver broke the rule all the same. */
	if (chain->nsegs && !chain->segs[0].writable) {
		virtio_mmio_device_error(&rng->mmio, REQUESTQ, "a device-readable buffer in the entropy requestq");
		return false;
	}
	if (!chain->writable) {
		virtio_mmio_device_error(&rng->mmio, REQUESTQ, "an entropy request with no device-writable byte");
		return false;
	}
	written = fill_chain(rng, chain);
	rng->bytes += written;
	return virtio_mmio_push(&rng->mmio, REQUESTQ, chain->head, written) == 0;
}

static const struct virtio_serve requestq = { .queue = REQUESTQ,
					      .max_per_run = VIRTIO_RNG_CHAINS_PER_RUN,
					      .serve = serve_chain };

/* On the I/O thread, under the worker's lock. */
static void rng_work(void *opaque)
{
	struct virtio_rng *rng = opaque;

	virtio_serve_run(&rng->mmio, &requestq, rng->segs, sizeof(rng->segs) / sizeof(rng->segs[0]));
}

static const struct virtio_device_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_num_max = VIRTIO_RNG_QUEUE_SIZE,
	.config_size = 0,
	.work = rng_work,
};

int virtio_rng_init(struct virtio_rng *rng, const struct guest_memory *mem, struct irq_line irq, char *why,
		    size_t why_len)
{
	memset(rng, 0, sizeof(*rng));
	rng->mem = mem;
	rng->log = (struct log_ratelimit)LOG_RATELIMIT_INIT(HOST_ERROR_LOG_LINES);
	return virtio_mmio_init(&rng->mmio, "rng", mem, &rng_ops, rng, 0, irq, why, why_len);
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	virtio_mmio_destroy(&rng->mmio);
}
