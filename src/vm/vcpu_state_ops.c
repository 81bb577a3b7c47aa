#include "vm/vcpu_state_ops.h"

#include <string.h>

#include "engine/vcpu_state_stream.h"
#include "vm/machine.h"

static void vcpu_reset(void *dev)
{
	struct vcpu *v = dev;
	struct vcpu_state s;

	vcpu_state_reset(&s);
	v->vm->ops->set_state(v->ev, &s);
}

/* The TSC and kvmclock are the engine's to keep running across the save:
 * get_state reads the TSC as it is now and set_state makes it go on from
 * there, so they need no rebasing here. */
static void vcpu_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct vcpu *v = dev;
	struct vcpu_state s;

	(void)now_ns;
	if (v->vm->ops->get_state(v->ev, &s)) {
		state_writer_fail(w);
		return;
	}
	vcpu_state_write(w, &s);
}

static int vcpu_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct vcpu *v = dev;
	struct vcpu_state s;

	(void)now_ns;
	memset(&s, 0, sizeof(s));
	if (vcpu_state_read(r, version, &s))
		return -1;
	if (v->vm->ops->set_state(v->ev, &s)) {
		state_reader_fail(r);
		return -1;
	}
	return 0;
}

const struct device_state_ops vcpu_state_ops = {
	.version = VCPU_STATE_STREAM_VERSION,
	.reset = vcpu_reset,
	.save = vcpu_save,
	.load = vcpu_load,
};
