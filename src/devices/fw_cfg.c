#include "devices/fw_cfg.h"

#include <stdbool.h>
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

/* Version 1: whether an item is selected, its key (0 if none), the data
 * offset. */
static void fw_cfg_state_reset(void *dev)
{
	struct fw_cfg *f = dev;

	pthread_mutex_lock(&f->lock);
	f->selected = NULL;
	f->offset = 0;
	pthread_mutex_unlock(&f->lock);
}

static void fw_cfg_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct fw_cfg *f = dev;

	(void)now_ns;
	pthread_mutex_lock(&f->lock);
	state_put_bool(w, f->selected != NULL);
	state_put_u16(w, f->selected ? f->selected->key : 0);
	state_put_u8(w, f->offset);
	pthread_mutex_unlock(&f->lock);
}

static int fw_cfg_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct fw_cfg *f = dev;
	const struct fw_cfg_item *it = NULL;
	bool selected;
	uint16_t key;
	uint8_t offset;

	(void)version;
	(void)now_ns;
	selected = state_get_bool(r);
	key = state_get_u16(r);
	offset = state_get_u8(r);
	if (selected) {
		/* The key as saved: an item's own, which this VM must offer too. */
		it = find_item(f, key);
		if (!it || it->key != key || offset > it->len)
			state_reader_fail(r);
	} else if (key || offset) {
		state_reader_fail(r);
	}
	if (!state_reader_ok(r, false))
		return -1;
	pthread_mutex_lock(&f->lock);
	f->selected = it;
	f->offset = offset;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

const struct device_state_ops fw_cfg_state_ops = {
	.version = 1,
	.reset = fw_cfg_state_reset,
	.save = fw_cfg_save,
	.load = fw_cfg_load,
};
