#include "cli/vm_session.h"

#include <stdio.h>
#include <string.h>

#include "api/api_commands.h"
#include "api/api_server.h"
#include "cli/commands.h"
#include "cli/test_snapshot_hook.h"
#include "engine/engine.h"
#include "host/clock.h"
#include "vm/virtio_setup.h"
#include "vm/vm.h"

static void print_stats(struct vm *vm, const struct vm_session_start *from)
{
	struct exit_stats total = { 0 };
	struct engine_stats es = { 0 };

	for (int i = 0; i < vm->nvcpus; i++) {
		exit_stats_add(&total, &vm->vcpus[i].stats);
		if (vm->ops->stats)
			vm->ops->stats(vm->vcpus[i].ev, &es);
	}
	if (from)
		fprintf(stderr, "%-19s %.2f ms to the VM loaded, %.2f ms%s to the vCPU's first run\n", from->what,
			(double)from->loaded_ns / 1e6, (double)(vm->vcpus[0].first_run_ns - from->start_ns) / 1e6,
			from->since);
	exit_stats_print(stderr, &total, monotonic_ns() - vm->start_ns);
	engine_stats_print(stderr, &es, total.guest_ns);
	vm_virtio_stats_print(stderr, vm);
}

/* --api-sock: the socket is there before the VM runs, so that a client may
 * connect as soon as ringvisor has started; a path refused is a
 * configuration error. */
static int api_open(struct api_server *api, struct api_vm *target, struct vm *vm, const char *path)
{
	char why[512];
	int err;

	*target = (struct api_vm){ .vm = vm, .ops = &api_vm_ops };
	if (api_server_open(api, path, why, sizeof(why))) {
		api_server_close(api);
		return config_error("--api-sock: %s", why);
	}
	err = api_server_start(api, api_vm_commands, target, 0);
	if (err) {
		api_server_close(api);
		return config_error("--api-sock: cannot start its thread: %s", strerror(err));
	}
	return 0;
}

int vm_session_run(struct vm *vm, const char *auto_skipped, const struct vm_session_start *from)
{
	struct test_snapshot_hook hook;
	struct api_server api;
	struct api_vm target;
	int status;

	if (vm->cfg.api_sock) {
		status = api_open(&api, &target, vm, vm->cfg.api_sock);
		if (status) {
			vm_destroy(vm);
			return status;
		}
	}
	/* Only once the VM exists: a configuration error stays the one line on
	 * stderr, and an engine's own errors name the engine. */
	if (vm->cfg.engine_chosen_automatically && auto_skipped[0])
		fprintf(stderr, "ringvisor: using the %s engine (passed over %s)\n", vm->ops->name, auto_skipped);
	else if (vm->cfg.engine_chosen_automatically)
		fprintf(stderr, "ringvisor: using the %s engine\n", vm->ops->name);
	status = test_snapshot_hook_start(&hook, vm);
	if (status) {
		if (vm->cfg.api_sock)
			api_server_close(&api);
		vm_destroy(vm);
		return status;
	}
	status = vm_run(vm);
	/* Before vm_destroy: the hook or a client may still be writing a
	 * snapshot of the stopped machine. */
	test_snapshot_hook_stop(&hook);
	if (vm->cfg.api_sock)
		api_server_close(&api);
	if (vm->cfg.stats)
		print_stats(vm, from);
	vm_destroy(vm);
	return status;
}
