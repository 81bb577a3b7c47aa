/* The local APIC's saved state (docs/snapshot-format.md, section "lapic").
 *
 * Version 1: the APIC ID (checked against this LAPIC's: it is configuration),
 * TPR, LDR, DFR, SVR, ICR low and high, the six LVT entries, the divide
 * configuration, IRR, ISR and TMR (8 words each), the ESR as read and the
 * errors collected since, whether the error interrupt is armed, the LINT0 and
 * LINT1 levels, an ExtINT message waiting, a pending NMI; then the timer: its
 * initial count, the ticks left to its next expiry (0: stopped) and the
 * nanoseconds already spent in the current tick.
 *
 * Time: the save first brings the timer up to now_ns, as any register access
 * would, so no expiry is due and the timer is fully described by the ticks
 * left and the phase; the load counts them on from its own now_ns. Its mode
 * and divider follow from the LVT timer entry and the divide configuration. */
#include "devices/lapic.h"

#include <string.h>

static void put_set(struct state_writer *w, const uint32_t *set)
{
	for (unsigned i = 0; i < 8; i++)
		state_put_u32(w, set[i]);
}

static void get_set(struct state_reader *r, uint32_t *set)
{
	for (unsigned i = 0; i < 8; i++)
		set[i] = state_get_u32(r);
}

static void lapic_state_reset(void *dev)
{
	lapic_reset(dev);
}

static void lapic_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct lapic *l = dev;
	uint32_t left;
	uint64_t phase;

	lapic_update_at(l, now_ns);
	pthread_mutex_lock(&l->lock);
	state_put_u8(w, l->id);
	state_put_u32(w, l->tpr);
	state_put_u32(w, l->ldr);
	state_put_u32(w, l->dfr);
	state_put_u32(w, l->svr);
	state_put_u32(w, l->icr_lo);
	state_put_u32(w, l->icr_hi);
	for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
		state_put_u32(w, l->lvt[i]);
	state_put_u32(w, l->divide_config);
	put_set(w, l->irr);
	put_set(w, l->isr);
	put_set(w, l->tmr);
	state_put_u32(w, l->esr);
	state_put_u32(w, l->esr_collected);
	state_put_bool(w, l->esr_armed);
	state_put_bool(w, l->lint_level[0]);
	state_put_bool(w, l->lint_level[1]);
	state_put_bool(w, l->extint_message);
	state_put_bool(w, l->nmi_pending);
	lapic_timer_save_point(&l->timer, now_ns, &left, &phase);
	state_put_u32(w, l->timer.initial);
	state_put_u32(w, left);
	state_put_u64(w, phase);
	pthread_mutex_unlock(&l->lock);
}

/* Reads the registers into s (whose lock is never used) and checks them. */
static void load_registers(struct state_reader *r, struct lapic *s, uint8_t id, uint64_t now_ns)
{
	uint32_t left;
	uint64_t phase;

	if (state_get_u8(r) != id)
		state_reader_fail(r);
	s->tpr = state_get_u32(r);
	s->ldr = state_get_u32(r);
	s->dfr = state_get_u32(r);
	s->svr = state_get_u32(r);
	s->icr_lo = state_get_u32(r);
	s->icr_hi = state_get_u32(r);
	for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
		s->lvt[i] = state_get_u32(r);
	s->divide_config = state_get_u32(r);
	get_set(r, s->irr);
	get_set(r, s->isr);
	get_set(r, s->tmr);
	s->esr = state_get_u32(r);
	s->esr_collected = state_get_u32(r);
	s->esr_armed = state_get_bool(r);
	s->lint_level[0] = state_get_bool(r);
	s->lint_level[1] = state_get_bool(r);
	s->extint_message = state_get_bool(r);
	s->nmi_pending = state_get_bool(r);
	lapic_timer_init(&s->timer);
	s->timer.initial = state_get_u32(r);
	s->timer.divider = lapic_timer_divider(s->divide_config);
	s->timer.periodic = s->lvt[LAPIC_LVT_TIMER] & LAPIC_LVT_TIMER_PERIODIC;
	left = state_get_u32(r);
	phase = state_get_u64(r);
	if (!lapic_registers_valid(s) || !lapic_timer_restore_point(&s->timer, now_ns, left, phase))
		state_reader_fail(r);
}

static int lapic_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct lapic *l = dev, s;

	(void)version;
	memset(&s, 0, sizeof(s));
	load_registers(r, &s, l->id, now_ns);
	if (!state_reader_ok(r, false))
		return -1;
	pthread_mutex_lock(&l->lock);
	l->tpr = s.tpr;
	l->ldr = s.ldr;
	l->dfr = s.dfr;
	l->svr = s.svr;
	l->icr_lo = s.icr_lo;
	l->icr_hi = s.icr_hi;
	memcpy(l->lvt, s.lvt, sizeof(l->lvt));
	l->divide_config = s.divide_config;
	memcpy(l->irr, s.irr, sizeof(l->irr));
	memcpy(l->isr, s.isr, sizeof(l->isr));
	memcpy(l->tmr, s.tmr, sizeof(l->tmr));
	l->esr = s.esr;
	l->esr_collected = s.esr_collected;
	l->esr_armed = s.esr_armed;
	l->lint_level[0] = s.lint_level[0];
	l->lint_level[1] = s.lint_level[1];
	l->extint_message = s.extint_message;
	l->nmi_pending = s.nmi_pending;
	l->kick = false;
	l->timer = s.timer;
	/* The timer's next event has moved: the VM's timer thread looks again. */
	if (l->env.timer_changed)
		l->env.timer_changed(l->env.opaque);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

const struct device_state_ops lapic_state_ops = {
	.version = 1,
	.reset = lapic_state_reset,
	.save = lapic_save,
	.load = lapic_load,
};
