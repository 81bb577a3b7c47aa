#include "devices/lapic.h"

#include <string.h>

/* Register offsets (SDM "Local APIC Register Address Map"). */
#define REG_ID 0x020
#define REG_VERSION 0x030
#define REG_TPR 0x080
#define REG_APR 0x090
#define REG_PPR 0x0a0
#define REG_EOI 0x0b0
#define REG_RRD 0x0c0
#define REG_LDR 0x0d0
#define REG_DFR 0x0e0
#define REG_SVR 0x0f0
#define REG_ISR 0x100
#define REG_TMR 0x180
#define REG_IRR 0x200
#define REG_ESR 0x280
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT 0x320 /* LAPIC_LVT_COUNT entries, 0x10 apart */
#define REG_INITIAL_COUNT 0x380
#define REG_CURRENT_COUNT 0x390
#define REG_DIVIDE 0x3e0
#define REG_STRIDE 0x10
#define VECTOR_SET_WORDS 8

/* Version register: version in bits 7-0 (10H-15H: an integrated APIC), the
 * number of LVT entries minus one in bits 23-16, EOI-broadcast suppression in bit
 * 24 (not offered). Six entries: timer, thermal, perf, LINT0, LINT1, error. */
#define VERSION_VALUE ((uint32_t)(LAPIC_LVT_COUNT - 1) << 16 | 0x14)

#define TPR_WRITABLE 0xffu
#define LDR_WRITABLE 0xff000000u
#define DFR_WRITABLE 0xf0000000u /* the model; bits 27-0 are reserved, read as 1s */
#define DFR_FLAT 0xfu
#define SVR_WRITABLE 0x1ffu /* focus checking and EOI suppression: reserved */
#define SVR_ENABLE 0x100u
#define SVR_VECTOR 0xffu
#define DIVIDE_WRITABLE 0xbu

#define LVT_VECTOR 0xffu
#define LVT_POLARITY_LOW (1u << 13)
#define LVT_REMOTE_IRR (1u << 14)
#define LVT_LEVEL (1u << 15)
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC LAPIC_LVT_TIMER_PERIODIC
#define LVT_MODE(v) (((v) >> 8) & 7)

/* Writable bits per entry (SDM "Local Vector Table" figure): the vector and mask
 * everywhere; the timer's mode bit 17 (18 is reserved without TSC-deadline);
 * delivery mode for thermal, perf and the pins; polarity and trigger mode for the
 * pins. Delivery status (bit 12) and remote IRR (bit 14) are read-only. */
static const uint32_t lvt_writable[LAPIC_LVT_COUNT] = {
	[LAPIC_LVT_TIMER] = 0x300ff,   /* vector, mask, periodic */
	[LAPIC_LVT_THERMAL] = 0x107ff, /* vector, delivery mode, mask */
	[LAPIC_LVT_PERF] = 0x107ff,    /* the same */
	[LAPIC_LVT_LINT0] = 0x1a7ff,   /* vector, delivery mode, polarity, trigger, mask */
	[LAPIC_LVT_LINT1] = 0x1a7ff,   /* the same */
	[LAPIC_LVT_ERROR] = 0x100ff,   /* vector, mask */
};

/* ICR: vector, delivery mode, destination mode (11), level (14), trigger mode
 * (15), shorthand (19-18); delivery status (12) is read-only. */
#define ICR_LO_WRITABLE 0x000ccfffu
#define ICR_HI_WRITABLE 0xff000000u
#define ICR_LOGICAL (1u << 11)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3)
enum { SHORTHAND_NONE, SHORTHAND_SELF, SHORTHAND_ALL_INCLUDING_SELF, SHORTHAND_ALL_EXCLUDING_SELF };

/* ESR bits (SDM "Error Handling"). */
#define ESR_SEND_ILLEGAL_VECTOR 0x20u
#define ESR_RECEIVE_ILLEGAL_VECTOR 0x40u
#define ESR_ILLEGAL_REGISTER 0x80u

/* "Local and I/O APICs support 240 of these vectors (in the range of 16 to 255)
 * as valid interrupts" (SDM "Valid Interrupt Vectors"). */
#define FIRST_VALID_VECTOR 16
#define BROADCAST 0xff

static const uint32_t initial_lvt[LAPIC_LVT_COUNT] = {
	[LAPIC_LVT_TIMER] = LVT_MASKED,		  [LAPIC_LVT_THERMAL] = LVT_MASKED,	 [LAPIC_LVT_PERF] = LVT_MASKED,
	[LAPIC_LVT_LINT0] = LAPIC_DM_EXTINT << 8, [LAPIC_LVT_LINT1] = LAPIC_DM_NMI << 8, [LAPIC_LVT_ERROR] = LVT_MASKED,
};

static uint64_t now_ns(const struct lapic *l)
{
	return l->env.now_ns ? l->env.now_ns(l->env.opaque) : 0;
}

/* 256-bit vector sets. */
static bool set_test(const uint32_t *set, unsigned v)
{
	return set[v / 32] & (1u << (v % 32));
}

static void set_put(uint32_t *set, unsigned v, bool on)
{
	if (on)
		set[v / 32] |= 1u << (v % 32);
	else
		set[v / 32] &= ~(1u << (v % 32));
}

/* The highest vector in the set (the highest priority), or -1. */
static int set_highest(const uint32_t *set)
{
	for (int i = VECTOR_SET_WORDS - 1; i >= 0; i--)
		if (set[i])
			return i * 32 + 31 - __builtin_clz(set[i]);
	return -1;
}

static unsigned priority_class(int vector)
{
	return vector < 0 ? 0 : ((unsigned)vector >> 4) & 0xf;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->svr & SVR_ENABLE;
}

/* SDM "Processor Priority Register (PPR)": TPR if its class is at least that of
 * the highest vector in service, else that vector's class with sub-class 0. */
static uint32_t ppr(const struct lapic *l)
{
	unsigned isr_class = priority_class(set_highest(l->isr));

	return priority_class((int)l->tpr) >= isr_class ? l->tpr : isr_class << 4;
}

/* SDM "Lowest Priority Delivery Mode": APR is TPR if TPR's class is at least the
 * highest requested one and above the highest in service, else the highest of
 * the three classes with sub-class 0. */
static uint32_t apr(const struct lapic *l)
{
	unsigned tpr = priority_class((int)l->tpr), irr = priority_class(set_highest(l->irr));
	unsigned isr = priority_class(set_highest(l->isr)), top = tpr;

	if (tpr >= irr && tpr > isr)
		return l->tpr;
	if (irr > top)
		top = irr;
	if (isr > top)
		top = isr;
	return top << 4;
}

static unsigned lint_entry(unsigned pin)
{
	return LAPIC_LVT_LINT0 + pin;
}

/* The pin's level as the LAPIC sees it, after the polarity bit. */
static bool lint_asserted(const struct lapic *l, unsigned pin)
{
	return l->lint_level[pin] != !!(l->lvt[lint_entry(pin)] & LVT_POLARITY_LOW);
}

static bool extint_ready(const struct lapic *l)
{
	if (l->extint_message)
		return true;
	for (unsigned pin = 0; pin < 2; pin++) {
		uint32_t lvt = l->lvt[lint_entry(pin)];

		if (!(lvt & LVT_MASKED) && LVT_MODE(lvt) == LAPIC_DM_EXTINT && lint_asserted(l, pin))
			return true;
	}
	return false;
}

/* The requested vector the CPU would take now, or -1: only a class above the
 * processor priority's. */
static int irr_ready(const struct lapic *l)
{
	int v = set_highest(l->irr);

	return v >= 0 && priority_class(v) > priority_class((int)ppr(l)) ? v : -1;
}

static bool pending_locked(const struct lapic *l)
{
	return extint_ready(l) || irr_ready(l) >= 0;
}

static bool needs_cpu(const struct lapic *l)
{
	return pending_locked(l) || l->nmi_pending;
}

/* The end of every locked operation: kick the vCPU if it has something new. */
static void finish(struct lapic *l, bool was_needed)
{
	if (needs_cpu(l) && (!was_needed || l->kick) && l->env.changed)
		l->env.changed(l->env.opaque);
	l->kick = false;
}

static void timer_changed(struct lapic *l)
{
	if (l->env.timer_changed)
		l->env.timer_changed(l->env.opaque);
}

static void raise_nmi(struct lapic *l)
{
	l->nmi_pending = true;
	l->kick = true;
}

/* Into IRR; TMR records the trigger mode ("Interrupt Acceptance for Fixed
 * Interrupts": cleared for edge, set for level). */
static void accept(struct lapic *l, uint8_t vector, bool level)
{
	set_put(l->irr, vector, true);
	set_put(l->tmr, vector, level);
	l->kick = true;
}

static void local_interrupt(struct lapic *l, enum lapic_lvt entry);

/* Errors collect for the next ESR write; the first one since the last write
 * raises the error interrupt. Bounded: an illegal error vector reports itself
 * once, disarmed. */
static void report_error(struct lapic *l, uint32_t bits)
{
	l->esr_collected |= bits;
	if (l->esr_armed) {
		l->esr_armed = false;
		local_interrupt(l, LAPIC_LVT_ERROR);
	}
}

/* A fixed interrupt arriving at this LAPIC. Returns whether it was accepted. */
static bool receive_fixed(struct lapic *l, uint8_t vector, bool level)
{
	if (vector < FIRST_VALID_VECTOR) {
		report_error(l, ESR_RECEIVE_ILLEGAL_VECTOR);
		return false;
	}
	accept(l, vector, level);
	return true;
}

/* An edge from an LVT source (timer, thermal, perf, error; the pins' edges). */
static void local_interrupt(struct lapic *l, enum lapic_lvt entry)
{
	uint32_t lvt = l->lvt[entry];
	/* Timer and error entries have no delivery mode field: always fixed. */
	unsigned mode = entry == LAPIC_LVT_TIMER || entry == LAPIC_LVT_ERROR ? LAPIC_DM_FIXED : LVT_MODE(lvt);

	if (lvt & LVT_MASKED)
		return;
	if (mode == LAPIC_DM_FIXED)
		receive_fixed(l, (uint8_t)(lvt & LVT_VECTOR), false);
	else if (mode == LAPIC_DM_NMI)
		raise_nmi(l);
}

/* A level-triggered fixed pin: while asserted, one request at a time, held off
 * by remote IRR until the EOI of its vector. */
static void lint_level_check(struct lapic *l, unsigned pin)
{
	uint32_t *lvt = &l->lvt[lint_entry(pin)];

	if ((*lvt & (LVT_MASKED | LVT_REMOTE_IRR)) || LVT_MODE(*lvt) != LAPIC_DM_FIXED || !(*lvt & LVT_LEVEL) ||
	    !lint_asserted(l, pin))
		return;
	if (receive_fixed(l, (uint8_t)(*lvt & LVT_VECTOR), true))
		*lvt |= LVT_REMOTE_IRR;
}

/* The asserted level rose. ExtINT follows the level (extint_ready); fixed level
 * pins are handled by lint_level_check. */
static void lint_rising(struct lapic *l, unsigned pin)
{
	uint32_t lvt = l->lvt[lint_entry(pin)];

	if (lvt & LVT_MASKED)
		return;
	switch (LVT_MODE(lvt)) {
	case LAPIC_DM_FIXED:
		if (!(lvt & LVT_LEVEL))
			local_interrupt(l, lint_entry(pin));
		break;
	case LAPIC_DM_NMI:
		raise_nmi(l);
		break;
	case LAPIC_DM_EXTINT:
		l->kick = true;
		break;
	default: /* SMI, INIT: not modelled; others reserved */
		break;
	}
}

static void timer_sync(struct lapic *l, uint64_t now)
{
	if (lapic_timer_take(&l->timer, now))
		local_interrupt(l, LAPIC_LVT_TIMER);
}

static bool accepts_locked(const struct lapic *l, uint8_t dest, bool logical)
{
	uint8_t ldr_id = (uint8_t)(l->ldr >> 24);

	if (!logical)
		return dest == BROADCAST || dest == l->id;
	/* SDM "Logical Destination Mode": flat, a common bit; cluster, the cluster
	 * address in the high nibble (0xf: all clusters) and a common member bit. */
	if ((l->dfr >> 28) == DFR_FLAT)
		return (dest & ldr_id) != 0;
	return ((dest >> 4) == 0xf || (dest >> 4) == (ldr_id >> 4)) && (dest & ldr_id & 0xf) != 0;
}

/* EOI: the highest vector in service is done. Returns the vector if it was
 * level-triggered (for the broadcast), else -1. */
static int eoi(struct lapic *l)
{
	int v = set_highest(l->isr);

	if (v < 0)
		return -1;
	set_put(l->isr, (unsigned)v, false);
	for (unsigned pin = 0; pin < 2; pin++) {
		uint32_t *lvt = &l->lvt[lint_entry(pin)];

		if ((*lvt & LVT_REMOTE_IRR) && (int)(*lvt & LVT_VECTOR) == v) {
			*lvt &= ~LVT_REMOTE_IRR;
			lint_level_check(l, pin);
		}
	}
	return set_test(l->tmr, (unsigned)v) ? v : -1;
}

static void send_ipi(struct lapic *l)
{
	uint8_t vector = (uint8_t)(l->icr_lo & LVT_VECTOR);
	unsigned shorthand = ICR_SHORTHAND(l->icr_lo);
	bool to_self;

	switch (shorthand) {
	case SHORTHAND_SELF:
	case SHORTHAND_ALL_INCLUDING_SELF:
		to_self = true;
		break;
	case SHORTHAND_ALL_EXCLUDING_SELF:
		to_self = false;
		break;
	default:
		to_self = accepts_locked(l, (uint8_t)(l->icr_hi >> 24), l->icr_lo & ICR_LOGICAL);
		break;
	}
	switch (LVT_MODE(l->icr_lo)) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST: /* the only vCPU is the lowest-priority one */
		if (vector < FIRST_VALID_VECTOR)
			report_error(l, ESR_SEND_ILLEGAL_VECTOR | (to_self ? ESR_RECEIVE_ILLEGAL_VECTOR : 0));
		else if (to_self && sw_enabled(l))
			accept(l, vector, false);
		break;
	case LAPIC_DM_NMI:
		if (to_self)
			raise_nmi(l);
		break;
	default: /* SMI, INIT, start-up: no other vCPU to receive them */
		break;
	}
}

static void write_svr(struct lapic *l, uint32_t v)
{
	l->svr = v & SVR_WRITABLE;
	/* "The mask bits for all the LVT entries are set. Attempts to reset these bits
	 * will be ignored." They stay set when the LAPIC is enabled again. */
	if (!sw_enabled(l))
		for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
			l->lvt[i] |= LVT_MASKED;
}

static void write_lvt(struct lapic *l, enum lapic_lvt entry, uint32_t v)
{
	uint32_t old = l->lvt[entry], lvt = v & lvt_writable[entry];

	if (!sw_enabled(l))
		lvt |= LVT_MASKED;
	/* Remote IRR belongs to a fixed, level-triggered request of this vector. */
	if ((old & LVT_REMOTE_IRR) && LVT_MODE(lvt) == LAPIC_DM_FIXED && (lvt & LVT_LEVEL) &&
	    (lvt & LVT_VECTOR) == (old & LVT_VECTOR))
		lvt |= LVT_REMOTE_IRR;
	l->lvt[entry] = lvt;
	if (entry == LAPIC_LVT_TIMER) {
		lapic_timer_set_periodic(&l->timer, lvt & LVT_PERIODIC);
		timer_changed(l);
	} else if (entry == LAPIC_LVT_LINT0 || entry == LAPIC_LVT_LINT1) {
		lint_level_check(l, entry - LAPIC_LVT_LINT0);
	}
}

/* Offsets within [REG_ISR, REG_IRR + 0x80) index one word of a vector set. */
static unsigned set_word(uint64_t offset, uint64_t base)
{
	return (unsigned)((offset - base) / REG_STRIDE);
}

static bool in_set(uint64_t offset, uint64_t base)
{
	return offset >= base && offset < base + VECTOR_SET_WORDS * REG_STRIDE;
}

static bool in_lvt(uint64_t offset)
{
	return offset >= REG_LVT && offset < REG_LVT + LAPIC_LVT_COUNT * REG_STRIDE;
}

/* Whether a register lives at this 16-byte aligned offset. */
static bool is_register(uint64_t offset)
{
	switch (offset) {
	case REG_ID:
	case REG_VERSION:
	case REG_TPR:
	case REG_APR:
	case REG_PPR:
	case REG_EOI:
	case REG_RRD: /* remote read: not on xAPICs; reads 0 */
	case REG_LDR:
	case REG_DFR:
	case REG_SVR:
	case REG_ESR:
	case REG_ICR_LO:
	case REG_ICR_HI:
	case REG_INITIAL_COUNT:
	case REG_CURRENT_COUNT:
	case REG_DIVIDE:
		return true;
	default:
		return in_set(offset, REG_ISR) || in_set(offset, REG_TMR) || in_set(offset, REG_IRR) || in_lvt(offset);
	}
}

static uint32_t read_reg(const struct lapic *l, uint64_t offset, uint64_t now)
{
	if (in_set(offset, REG_ISR))
		return l->isr[set_word(offset, REG_ISR)];
	if (in_set(offset, REG_TMR))
		return l->tmr[set_word(offset, REG_TMR)];
	if (in_set(offset, REG_IRR))
		return l->irr[set_word(offset, REG_IRR)];
	if (in_lvt(offset))
		return l->lvt[set_word(offset, REG_LVT)];
	switch (offset) {
	case REG_ID:
		return (uint32_t)l->id << 24;
	case REG_VERSION:
		return VERSION_VALUE;
	case REG_TPR:
		return l->tpr;
	case REG_APR:
		return apr(l);
	case REG_PPR:
		return ppr(l);
	case REG_LDR:
		return l->ldr;
	case REG_DFR:
		return l->dfr;
	case REG_SVR:
		return l->svr;
	case REG_ESR:
		return l->esr;
	case REG_ICR_LO:
		return l->icr_lo;
	case REG_ICR_HI:
		return l->icr_hi;
	case REG_INITIAL_COUNT:
		return l->timer.initial;
	case REG_CURRENT_COUNT:
		return lapic_timer_current(&l->timer, now);
	case REG_DIVIDE:
		return l->divide_config;
	default: /* EOI is write-only; reserved offsets */
		return 0;
	}
}

/* Returns a level-triggered vector whose EOI must be broadcast, or -1. Writes to
 * read-only registers are ignored. */
static int write_reg(struct lapic *l, uint64_t offset, uint32_t v, uint64_t now)
{
	if (in_lvt(offset)) {
		write_lvt(l, (enum lapic_lvt)set_word(offset, REG_LVT), v);
		return -1;
	}
	switch (offset) {
	case REG_TPR:
		l->tpr = v & TPR_WRITABLE;
		break;
	case REG_EOI:
		return eoi(l);
	case REG_LDR:
		l->ldr = v & LDR_WRITABLE;
		break;
	case REG_DFR:
		l->dfr = (v & DFR_WRITABLE) | ~DFR_WRITABLE;
		break;
	case REG_SVR:
		write_svr(l, v);
		break;
	case REG_ESR:
		/* "This write clears any previously logged errors and updates the ESR with
		 * any errors detected since the last write to the ESR. This write also
		 * rearms the APIC error interrupt triggering mechanism." */
		l->esr = l->esr_collected;
		l->esr_collected = 0;
		l->esr_armed = true;
		break;
	case REG_ICR_LO:
		l->icr_lo = v & ICR_LO_WRITABLE;
		send_ipi(l);
		break;
	case REG_ICR_HI:
		l->icr_hi = v & ICR_HI_WRITABLE;
		break;
	case REG_INITIAL_COUNT:
		lapic_timer_start(&l->timer, now, v);
		timer_changed(l);
		break;
	case REG_DIVIDE:
		l->divide_config = v & DIVIDE_WRITABLE;
		lapic_timer_set_divider(&l->timer, now, lapic_timer_divider(l->divide_config));
		timer_changed(l);
		break;
	default:
		break;
	}
	return -1;
}

static uint64_t lapic_read(void *opaque, uint64_t offset, unsigned size)
{
	struct lapic *l = opaque;
	uint64_t slot = offset & ~(uint64_t)(REG_STRIDE - 1), within = offset - slot, now;
	uint32_t value = 0;
	bool was;

	if (offset >= LAPIC_MMIO_LEN || (size != 1 && size != 2 && size != 4))
		return 0;
	pthread_mutex_lock(&l->lock);
	was = needs_cpu(l);
	now = now_ns(l);
	timer_sync(l, now);
	if (!is_register(slot))
		report_error(l, ESR_ILLEGAL_REGISTER);
	else if (within + size <= 4)
		value = read_reg(l, slot, now) >> (8 * within);
	finish(l, was);
	pthread_mutex_unlock(&l->lock);
	return size == 4 ? value : value & ((1u << (8 * size)) - 1);
}

static void lapic_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct lapic *l = opaque;
	uint64_t slot = offset & ~(uint64_t)(REG_STRIDE - 1), now;
	int broadcast = -1;
	bool was;

	if (offset >= LAPIC_MMIO_LEN)
		return;
	pthread_mutex_lock(&l->lock);
	was = needs_cpu(l);
	now = now_ns(l);
	timer_sync(l, now);
	if (!is_register(slot))
		report_error(l, ESR_ILLEGAL_REGISTER);
	else if (size == 4 && offset == slot)
		broadcast = write_reg(l, slot, (uint32_t)value, now);
	finish(l, was);
	pthread_mutex_unlock(&l->lock);
	if (broadcast >= 0 && l->env.eoi_broadcast)
		l->env.eoi_broadcast(l->env.opaque, (uint8_t)broadcast);
}

const struct io_device_ops lapic_ops = { .read = lapic_read, .write = lapic_write, .sizes = IO_SIZES_UP_TO_4 };

/* The registers as lapic_init leaves them (the lock, env and ID aside). */
static void registers_reset(struct lapic *l)
{
	l->tpr = l->ldr = 0;
	l->dfr = 0xffffffffu;
	l->svr = SVR_ENABLE | SVR_VECTOR;
	l->icr_lo = l->icr_hi = 0;
	memcpy(l->lvt, initial_lvt, sizeof(l->lvt));
	l->divide_config = 0;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->esr = l->esr_collected = 0;
	l->esr_armed = true;
	l->lint_level[0] = l->lint_level[1] = false;
	l->extint_message = l->nmi_pending = l->kick = false;
	lapic_timer_init(&l->timer);
}

void lapic_init(struct lapic *l, uint8_t apic_id, const struct lapic_env *env)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	if (env)
		l->env = *env;
	l->id = apic_id;
	registers_reset(l);
}

void lapic_reset(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	registers_reset(l);
	pthread_mutex_unlock(&l->lock);
}

static bool vector_set_valid(const uint32_t *set)
{
	return !(set[0] & ((1u << FIRST_VALID_VECTOR) - 1));
}

bool lapic_registers_valid(const struct lapic *l)
{
	const uint32_t esr_bits = ESR_SEND_ILLEGAL_VECTOR | ESR_RECEIVE_ILLEGAL_VECTOR | ESR_ILLEGAL_REGISTER;

	if (l->tpr & ~TPR_WRITABLE || l->ldr & ~LDR_WRITABLE || (l->dfr | DFR_WRITABLE) != 0xffffffffu ||
	    l->svr & ~SVR_WRITABLE || l->icr_lo & ~ICR_LO_WRITABLE || l->icr_hi & ~ICR_HI_WRITABLE ||
	    l->divide_config & ~DIVIDE_WRITABLE || l->esr & ~esr_bits || l->esr_collected & ~esr_bits)
		return false;
	for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++) {
		bool pin = i == LAPIC_LVT_LINT0 || i == LAPIC_LVT_LINT1;
		uint32_t allowed = lvt_writable[i] | (pin ? LVT_REMOTE_IRR : 0);

		/* Software disabled, every entry is masked. */
		if (l->lvt[i] & ~allowed || (!sw_enabled(l) && !(l->lvt[i] & LVT_MASKED)))
			return false;
	}
	return vector_set_valid(l->irr) && vector_set_valid(l->isr) && vector_set_valid(l->tmr);
}

void lapic_destroy(struct lapic *l)
{
	pthread_mutex_destroy(&l->lock);
}

void lapic_deliver(struct lapic *l, uint8_t vector, unsigned delivery_mode, bool level)
{
	bool was;

	pthread_mutex_lock(&l->lock);
	was = needs_cpu(l);
	switch (delivery_mode) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		if (vector < FIRST_VALID_VECTOR)
			report_error(l, ESR_RECEIVE_ILLEGAL_VECTOR);
		else if (sw_enabled(l))
			accept(l, vector, level);
		break;
	case LAPIC_DM_NMI:
		raise_nmi(l);
		break;
	case LAPIC_DM_EXTINT:
		if (sw_enabled(l)) {
			l->extint_message = true;
			l->kick = true;
		}
		break;
	default: /* SMI, INIT, start-up: not modelled; 3 reserved */
		break;
	}
	finish(l, was);
	pthread_mutex_unlock(&l->lock);
}

bool lapic_accepts(struct lapic *l, uint8_t dest, bool logical)
{
	bool yes;

	pthread_mutex_lock(&l->lock);
	yes = accepts_locked(l, dest, logical);
	pthread_mutex_unlock(&l->lock);
	return yes;
}

void lapic_set_lint(struct lapic *l, unsigned pin, int level)
{
	bool was, before;

	if (pin >= 2)
		return;
	pthread_mutex_lock(&l->lock);
	was = needs_cpu(l);
	before = lint_asserted(l, pin);
	l->lint_level[pin] = level != 0;
	if (!before && lint_asserted(l, pin))
		lint_rising(l, pin);
	lint_level_check(l, pin);
	finish(l, was);
	pthread_mutex_unlock(&l->lock);
}

bool lapic_pending(struct lapic *l)
{
	bool pending;

	pthread_mutex_lock(&l->lock);
	pending = pending_locked(l);
	pthread_mutex_unlock(&l->lock);
	return pending;
}

int lapic_acknowledge(struct lapic *l)
{
	int vector, spurious;
	bool was;

	pthread_mutex_lock(&l->lock);
	was = needs_cpu(l);
	spurious = (int)(l->svr & SVR_VECTOR);
	if (extint_ready(l)) {
		int (*inta)(void *) = l->env.extint_acknowledge;
		void *opaque = l->env.opaque;

		/* The 8259 supplies the vector; nothing enters IRR or ISR. The lock is
		 * dropped first: the 8259 lowers INTR during its INTA, which may come
		 * straight back here through lapic_set_lint(). */
		l->extint_message = false;
		finish(l, was);
		pthread_mutex_unlock(&l->lock);
		return inta ? inta(opaque) & 0xff : spurious;
	}
	vector = irr_ready(l);
	if (vector >= 0) {
		set_put(l->irr, (unsigned)vector, false);
		set_put(l->isr, (unsigned)vector, true);
	} else {
		vector = spurious; /* SDM "Spurious Interrupt": no ISR bit, no EOI */
	}
	finish(l, was);
	pthread_mutex_unlock(&l->lock);
	return vector;
}

bool lapic_take_nmi(struct lapic *l)
{
	bool nmi;

	pthread_mutex_lock(&l->lock);
	nmi = l->nmi_pending;
	l->nmi_pending = false;
	pthread_mutex_unlock(&l->lock);
	return nmi;
}

static void update_at(struct lapic *l, bool use_now, uint64_t now)
{
	bool was;

	pthread_mutex_lock(&l->lock);
	was = needs_cpu(l);
	timer_sync(l, use_now ? now : now_ns(l));
	finish(l, was);
	pthread_mutex_unlock(&l->lock);
}

void lapic_update(struct lapic *l)
{
	update_at(l, false, 0);
}

void lapic_update_at(struct lapic *l, uint64_t now)
{
	update_at(l, true, now);
}

uint64_t lapic_next_event_ns(struct lapic *l)
{
	uint64_t next;

	pthread_mutex_lock(&l->lock);
	next = (l->lvt[LAPIC_LVT_TIMER] & LVT_MASKED) ? UINT64_MAX : lapic_timer_next_ns(&l->timer);
	pthread_mutex_unlock(&l->lock);
	return next;
}
