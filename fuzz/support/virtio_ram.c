#include "support/virtio_ram.h"

#include <string.h>

void virtio_fuzz_ram_init(struct guarded_ram *r)
{
	const struct guarded_region regions[] = { { 0, VIRTIO_FUZZ_LOW_SIZE },
						  { VIRTIO_FUZZ_HIGH_GPA, VIRTIO_FUZZ_HIGH_SIZE } };

	guarded_ram_init(r, regions, 2);
}

void virtio_fuzz_ram_load(struct guarded_ram *r, const uint8_t *image, size_t len)
{
	memset(r->mem.region[0].hva, 0, VIRTIO_FUZZ_LOW_SIZE);
	memset(r->mem.region[1].hva, 0, VIRTIO_FUZZ_HIGH_SIZE);
	memcpy(r->mem.region[0].hva, image, len < VIRTIO_FUZZ_LOW_SIZE ? len : VIRTIO_FUZZ_LOW_SIZE);
}
