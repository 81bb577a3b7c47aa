#include "devices/fw_cfg.h"

#include <string.h>

/* Offsets in the range at FW_CFG_PORT_SEL: the data port is the next one. */
#define SEL_OFFSET 0
#define DATA_OFFSET 1
/* Key bits (spec, "Selector (Control) Register"). */
#define KEY_WRITE 0x4000 /* write-enable: ignored, names the same item */
#define KEY_ARCH 0x8000	 /* architecture-specific items: none offered */
#define ID_TRADITIONAL 0x1

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static struct fw_cfg_item *add_item(struct fw_cfg *f, unsigned *n, uint16_t key, uint8_t len)
{
	struct fw_cfg_item *it = &f->items[(*n)++];

	it->key = key;
	it->len = len;
	return it;
}

static void build_items(struct fw_cfg *f, const struct fw_cfg_config *cfg)
{
	unsigned n = 0;

	memcpy(add_item(f, &n, FW_CFG_SIGNATURE, 4)->data, "QEMU", 4);
	put_le(add_item(f, &n, FW_CFG_ID, 4)->data, ID_TRADITIONAL, 4);
	add_item(f, &n, FW_CFG_UUID, 16); /* all zero */
	put_le(add_item(f, &n, FW_CFG_RAM_SIZE, 8)->data, cfg->ram_bytes, 8);
	put_le(add_item(f, &n, FW_CFG_NOGRAPHIC, 2)->data, 1, 2);
	put_le(add_item(f, &n, FW_CFG_NB_CPUS, 2)->data, cfg->ncpus, 2);
	put_le(add_item(f, &n, FW_CFG_MAX_CPUS, 2)->data, cfg->ncpus, 2);
	put_be(add_item(f, &n, FW_CFG_FILE_DIR, 4)->data, 0, 4);
}

void fw_cfg_init(struct fw_cfg *f, const struct fw_cfg_config *cfg)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	build_items(f, cfg);
}

void fw_cfg_destroy(struct fw_cfg *f)
{
	pthread_mutex_destroy(&f->lock);
}

static const struct fw_cfg_item *find_item(const struct fw_cfg *f, uint16_t key)
{
	if (key & KEY_ARCH)
		return NULL;
	key &= (uint16_t)~KEY_WRITE;
	for (unsigned i = 0; i < FW_CFG_ITEM_COUNT; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

/* The offset stops at the item's end, so a guest reading forever cannot wrap
 * it back into the item. */
static uint8_t next_byte(struct fw_cfg *f)
{
	const struct fw_cfg_item *it = f->selected;

	if (!it || f->offset >= it->len)
		return 0;
	return it->data[f->offset++];
}

static uint64_t fw_cfg_read(void *opaque, uint64_t offset, unsigned size)
{
	struct fw_cfg *f = opaque;
	uint8_t b;

	if (offset != DATA_OFFSET || size != 1)
		return 0;
	pthread_mutex_lock(&f->lock);
	b = next_byte(f);
	pthread_mutex_unlock(&f->lock);
	return b;
}

static void fw_cfg_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct fw_cfg *f = opaque;

	if (offset != SEL_OFFSET || size != 2)
		return;
	pthread_mutex_lock(&f->lock);
	f->selected = find_item(f, (uint16_t)value);
	f->offset = 0;
	pthread_mutex_unlock(&f->lock);
}

const struct io_device_ops fw_cfg_ops = { .read = fw_cfg_read, .write = fw_cfg_write, .sizes = 1u | 2u };
