#include "api/api_commands.h"

#include "migration/migration_send.h"
#include "vm/machine.h"
#include "vm/snapshot.h"
#include "vm/stop.h"
#include "vm/vm_control.h"

const struct api_vm_ops api_vm_ops = {
	.info = vm_info_get,
	.request_stop = vm_request_stop,
	.pause = vm_pause,
	.resume = vm_resume,
	.paused = vm_paused,
	.snapshot = vm_snapshot_pausing,
	.migrate = vm_migrate,
};

static const char *state_name(const struct api_vm *t, const struct vm_info *info)
{
	if (info->stopping)
		return "stopping";
	if (t->ops->paused && t->ops->paused(t->vm))
		return "paused";
	return "running";
}

static int unsupported(const struct api_request *req, struct api_error *err)
{
	api_error_set(err, API_E_UNSUPPORTED, "%s is not available in this build of ringvisor", req->cmd->name);
	return -1;
}

/* Adds "state" (and "exit_status" when stopping): what every command that
 * changes the state answers with. */
static int add_state(const struct api_vm *t, json_t *reply)
{
	struct vm_info info;

	t->ops->info(t->vm, &info);
	if (json_object_set_new(reply, "state", json_string(state_name(t, &info))))
		return -1;
	if (info.stopping && json_object_set_new(reply, "exit_status", json_integer(info.exit_status)))
		return -1;
	return 0;
}

static int cmd_status(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	const struct api_vm *t = ctx;
	struct vm_info info;

	(void)req;
	(void)err;
	t->ops->info(t->vm, &info);
	if (json_object_set_new(reply, "state", json_string(state_name(t, &info))) ||
	    json_object_set_new(reply, "engine", json_string(info.engine)) ||
	    json_object_set_new(reply, "cpu", json_string(info.cpu_model)) ||
	    json_object_set_new(reply, "vcpus", json_integer(info.vcpus)) ||
	    json_object_set_new(reply, "memory_bytes", json_integer((json_int_t)info.mem_bytes)) ||
	    json_object_set_new(reply, "uptime_ms", json_integer((json_int_t)(info.uptime_ns / 1000000))))
		return -1;
	if (info.stopping && json_object_set_new(reply, "exit_status", json_integer(info.exit_status)))
		return -1;
	return 0;
}

/* As Ctrl-A x: the VM ends now, with status 0 unless something else had
 * already asked it to stop (the first request wins, and the reply says which
 * status the process ends with). The guest is not asked (docs/api.md). */
static int cmd_stop(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	const struct api_vm *t = ctx;

	(void)req;
	(void)err;
	t->ops->request_stop(t->vm, STATUS_OK);
	return add_state(t, reply);
}

static int cmd_pause(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	const struct api_vm *t = ctx;
	char why[200] = "";

	if (!t->ops->pause)
		return unsupported(req, err);
	if (t->ops->pause(t->vm, why, sizeof(why))) {
		api_error_set(err, API_E_FAILED, "pause: %s", why);
		return -1;
	}
	return add_state(t, reply);
}

static int cmd_resume(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	const struct api_vm *t = ctx;

	if (!t->ops->resume)
		return unsupported(req, err);
	t->ops->resume(t->vm);
	return add_state(t, reply);
}

/* snapshot and migrate: a function of the VM that takes the argument. */
static int cmd_with_arg(const struct api_vm *t, int (*fn)(struct vm *, const char *, char *, size_t),
			const struct api_request *req, json_t *reply, struct api_error *err)
{
	char why[200] = "";

	if (!fn)
		return unsupported(req, err);
	if (fn(t->vm, req->arg, why, sizeof(why))) {
		api_error_set(err, API_E_FAILED, "%s: %s", req->cmd->name, why);
		return -1;
	}
	if (json_object_set_new(reply, req->cmd->arg, json_string(req->arg)))
		return -1;
	return add_state(t, reply);
}

static int cmd_snapshot(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	const struct api_vm *t = ctx;

	return cmd_with_arg(t, t->ops->snapshot, req, reply, err);
}

static int cmd_migrate(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	const struct api_vm *t = ctx;

	return cmd_with_arg(t, t->ops->migrate, req, reply, err);
}

const struct api_command api_vm_commands[] = {
	{ "status", NULL, cmd_status },	      /* state, engine, CPU, vCPUs, memory, uptime */
	{ "stop", NULL, cmd_stop },	      /* the VM ends, status 0 */
	{ "pause", NULL, cmd_pause },	      /* api_vm_ops.pause */
	{ "resume", NULL, cmd_resume },	      /* api_vm_ops.resume */
	{ "snapshot", "path", cmd_snapshot }, /* api_vm_ops.snapshot, into the directory "path" */
	{ "migrate", "uri", cmd_migrate },    /* api_vm_ops.migrate, to "uri" */
	{ NULL, NULL, NULL },
};
