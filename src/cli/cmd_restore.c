/* ringvisor restore DIR [OPTIONS]: a snapshot directory (vm/snapshot.h) run
 * on any engine, with run's options that do not shape the machine. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/run_options.h"
#include "cli/snapshot_options.h"
#include "cli/vm_session.h"
#include "host/clock.h"
#include "log.h"
#include "vm/snapshot_restore.h"
#include "vm/vm.h"

static void restore_usage(void)
{
	printf("usage: ringvisor restore DIR [OPTIONS]\n\n"
	       "Runs the VM saved in the snapshot directory DIR from where it was saved,\n"
	       "on any engine: its machine (memory, CPU model, devices) is DIR's\n"
	       "config.json, the rest is the command line's.\n\n"
	       "  --engine NAME     kvm, interp, dbt or auto (default: auto, as for run); the\n"
	       "                    engine must provide the snapshot's CPU model\n"
	       "  --disk FILE[,ro]  the disks, in place of those config.json names: as many\n"
	       "                    as the snapshot has, in order, each with its mode\n"
	       "  --net user[,hostfwd=...]  the user network with these forwards (the\n"
	       "                    snapshot must have a user network)\n"
	       "  --stats, --trace, --dbt-cache-size, --dbt-traces, --lockstep, --perfmap,\n"
	       "  --api-sock PATH   as for run (ringvisor run --help)\n\n"
	       "A disk must hold what it held when the snapshot was taken. A missing or\n"
	       "malformed config.json, a truncated, corrupted or newer state, or a memory\n"
	       "file of the wrong size is refused: one line, status 2. Otherwise the exit\n"
	       "status is run's.\n");
}

/* argv: "restore" DIR and options in any order. The VM built in *vm, or the
 * status after the one line. */
static int build(int argc, char **argv, struct snapshot_config *snap, struct vm *vm, char *auto_skipped,
		 size_t skipped_len, bool *help)
{
	struct run_options o;
	char why[1024];
	const char *dir;
	int status = run_options_read(argc, argv, RUN_OPTIONS_RESTORE, &o);

	*help = o.help;
	if (status || o.help)
		return status;
	if (o.first_arg >= argc)
		return config_error("no snapshot directory given (ringvisor restore DIR [OPTIONS])");
	if (o.first_arg + 1 < argc)
		return config_error("unexpected argument '%s' after the snapshot directory", argv[o.first_arg + 1]);
	dir = argv[o.first_arg];
	if (snapshot_config_load(dir, snap, why, sizeof(why)))
		return config_error("%s", why);
	status = snapshot_options_apply(&o, snap, auto_skipped, skipped_len);
	if (status)
		return status;
	if (o.cfg.trace)
		log_set_level(LOG_INFO);
	if (vm_restore(vm, &o.cfg, dir, why, sizeof(why)))
		return config_error("%s", why);
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	uint64_t start = monotonic_ns();
	struct snapshot_config snap = { 0 };
	char auto_skipped[1024] = "";
	struct vm vm;
	bool help = false;
	int status = build(argc, argv, &snap, &vm, auto_skipped, sizeof(auto_skipped), &help);

	if (help)
		restore_usage();
	if (!status && !help) {
		struct vm_session_start from = {
			.what = "restore", .loaded_ns = monotonic_ns() - start, .start_ns = start, .since = ""
		};

		status = vm_session_run(&vm, auto_skipped, &from);
	}
	/* After the VM: its configuration points into snap. */
	snapshot_config_free(&snap);
	return status;
}
