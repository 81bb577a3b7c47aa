#include "devices/acpi_pm.h"

#include <string.h>

#include "log.h"

/* PM1 status, enable and control bits (ACPI 6.x Tables 4.11-4.13). */
#define STS_TMR 0x0001
#define EN_TMR 0x0001
#define EN_GBL 0x0020
#define EN_PWRBTN 0x0100
#define EN_SLPBTN 0x0200
#define EN_RTC 0x0400
#define EN_PCIEXP_WAKE_DIS 0x4000
#define EN_DEFINED (EN_TMR | EN_GBL | EN_PWRBTN | EN_SLPBTN | EN_RTC | EN_PCIEXP_WAKE_DIS)
#define CNT_SCI_EN 0x0001
#define CNT_BM_RLD 0x0002
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_TYP (7u << CNT_SLP_TYP_SHIFT)
#define CNT_SLP_EN 0x2000
#define CNT_STORED (CNT_BM_RLD | CNT_SLP_TYP)

#define TMR_BITS 24
#define TMR_MASK ((1u << TMR_BITS) - 1)
/* TMR_STS is set whenever bit 23 (the counter's MSB) changes. */
#define TMR_CARRY_SHIFT (TMR_BITS - 1)
#define NS_PER_S 1000000000ull

void acpi_pm_init(struct acpi_pm *pm, uint8_t s5_sleep_type, uint64_t (*now_ns)(void *opaque), void *clock_opaque,
		  void (*poweroff)(void *opaque), void *poweroff_opaque)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->s5_sleep_type = s5_sleep_type & 7;
	pm->now_ns = now_ns;
	pm->clock_opaque = clock_opaque;
	pm->poweroff = poweroff;
	pm->poweroff_opaque = poweroff_opaque;
	pm->start_ns = now_ns(clock_opaque);
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

/* Whole timer periods counted (not wrapped): tick_base, plus floor(ns *
 * 3579545 / 1e9) for the ns since start_ns. */
static uint64_t timer_ticks(struct acpi_pm *pm)
{
	uint64_t now = pm->now_ns(pm->clock_opaque);

	if (now <= pm->start_ns)
		return pm->tick_base;
	return pm->tick_base + (uint64_t)((unsigned __int128)(now - pm->start_ns) * ACPI_PM_TIMER_HZ / NS_PER_S);
}

/* Brings TMR_STS up to date: one or more changes of bit 23 since the last look
 * set it (further carries while it is set are the same single status bit). */
static void timer_status_update(struct acpi_pm *pm)
{
	uint64_t carries = timer_ticks(pm) >> TMR_CARRY_SHIFT;

	if (carries != pm->tmr_carry) {
		pm->sts |= STS_TMR;
		pm->tmr_carry = carries;
	}
}

bool acpi_pm_registers_valid(uint16_t sts, uint16_t en, uint16_t cnt)
{
	return !(sts & ~STS_TMR) && !(en & ~EN_DEFINED) && !(cnt & ~CNT_STORED);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts = 0;
	pm->en = 0;
	pm->cnt = 0;
	pm->tmr_carry = timer_ticks(pm) >> TMR_CARRY_SHIFT;
	pthread_mutex_unlock(&pm->lock);
}

/* An access covers bytes offset..offset+size-1 of a block of len bytes; bit 8*i
 * of the value is byte offset+i. These map it onto the block's little-endian
 * image (byte j of the block at bit 8*j); bytes past the end fall away. */
static bool byte_in_block(unsigned len, uint64_t offset, unsigned i)
{
	return offset < len && i < len - offset;
}

static uint64_t block_read(uint32_t image, unsigned len, uint64_t offset, unsigned size)
{
	uint64_t v = 0;

	if (size > 8)
		size = 8;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = byte_in_block(len, offset, i) ? (uint8_t)(image >> (8 * (offset + i))) : 0xff;

		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

/* Returns the written bytes in image position; *mask gets 0xff for each. */
static uint32_t block_write(unsigned len, uint64_t offset, unsigned size, uint64_t value, uint32_t *mask)
{
	uint32_t v = 0;

	*mask = 0;
	if (size > 8)
		size = 8;
	for (unsigned i = 0; i < size; i++) {
		if (!byte_in_block(len, offset, i))
			continue;
		v |= (uint32_t)(uint8_t)(value >> (8 * i)) << (8 * (offset + i));
		*mask |= 0xffu << (8 * (offset + i));
	}
	return v;
}

static uint64_t evt_read(void *opaque, uint64_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint32_t image;

	pthread_mutex_lock(&pm->lock);
	timer_status_update(pm);
	image = pm->sts | (uint32_t)pm->en << 16;
	pthread_mutex_unlock(&pm->lock);
	return block_read(image, ACPI_PM1_EVT_LEN, offset, size);
}

static void evt_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct acpi_pm *pm = opaque;
	uint32_t mask, v = block_write(ACPI_PM1_EVT_LEN, offset, size, value, &mask);
	uint16_t sts_clear = (uint16_t)(v & mask), en_mask = (uint16_t)(mask >> 16);

	pthread_mutex_lock(&pm->lock);
	/* A carry that happened before this write is one the write clears. */
	timer_status_update(pm);
	pm->sts &= (uint16_t)~sts_clear;
	pm->en = (uint16_t)((pm->en & ~en_mask) | ((v >> 16) & en_mask & EN_DEFINED));
	pthread_mutex_unlock(&pm->lock);
}

static uint64_t cnt_read(void *opaque, uint64_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint32_t image;

	pthread_mutex_lock(&pm->lock);
	image = pm->cnt | CNT_SCI_EN;
	pthread_mutex_unlock(&pm->lock);
	return block_read(image, ACPI_PM1_CNT_LEN, offset, size);
}

static void cnt_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct acpi_pm *pm = opaque;
	uint32_t mask, v = block_write(ACPI_PM1_CNT_LEN, offset, size, value, &mask);
	bool sleep = v & mask & CNT_SLP_EN;
	bool poweroff = false, log_unsupported = false;
	unsigned type;

	pthread_mutex_lock(&pm->lock);
	pm->cnt = (uint16_t)((pm->cnt & ~mask) | (v & mask & CNT_STORED));
	type = (pm->cnt & CNT_SLP_TYP) >> CNT_SLP_TYP_SHIFT;
	if (sleep && type == pm->s5_sleep_type) {
		poweroff = true;
	} else if (sleep && !pm->unsupported_sleep_logged) {
		pm->unsupported_sleep_logged = true;
		log_unsupported = true;
	}
	pthread_mutex_unlock(&pm->lock);
	if (log_unsupported)
		log_warn("acpi-pm: guest entered sleep type %u; only S5 (type %u) is supported, ignored", type,
			 pm->s5_sleep_type);
	if (poweroff)
		pm->poweroff(pm->poweroff_opaque);
}

static uint64_t tmr_read(void *opaque, uint64_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint32_t image;

	pthread_mutex_lock(&pm->lock);
	image = (uint32_t)timer_ticks(pm) & TMR_MASK;
	pthread_mutex_unlock(&pm->lock);
	return block_read(image, ACPI_PM_TMR_LEN, offset, size);
}

static void tmr_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	(void)opaque;
	(void)offset;
	(void)size;
	(void)value;
}

const struct io_device_ops acpi_pm_evt_ops = { .read = evt_read, .write = evt_write, .sizes = IO_SIZES_UP_TO_4 };
const struct io_device_ops acpi_pm_cnt_ops = { .read = cnt_read, .write = cnt_write, .sizes = IO_SIZES_UP_TO_4 };
const struct io_device_ops acpi_pm_tmr_ops = { .read = tmr_read, .write = tmr_write, .sizes = IO_SIZES_UP_TO_4 };
