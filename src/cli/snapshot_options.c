#include "cli/snapshot_options.h"

#include "cli/commands.h"
#include "x86/cpu_model.h"

/* The command line's disks in place of the snapshot's: as many, same modes
 * (the driver read the mode once and would not read it again). */
static int override_disks(const struct run_options *o, struct vm_config *cfg, const char *what)
{
	if (o->cfg.ndisks != cfg->ndisks)
		return config_error("--disk given %u times: the %s has %u disks", o->cfg.ndisks, what, cfg->ndisks);
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		if (o->cfg.disks[i].ro != cfg->disks[i].ro)
			return config_error("--disk %s: the %s's disk %u is %s", o->cfg.disks[i].path, what, i,
					    cfg->disks[i].ro ? "read-only (add ,ro)" : "read-write (drop ,ro)");
		cfg->disks[i] = o->cfg.disks[i];
	}
	return 0;
}

/* cfg: the snapshot's machine with the command line's options. */
static int merge(const struct run_options *o, const struct snapshot_config *snap, struct vm_config *cfg,
		 const char *what)
{
	int status;

	snapshot_config_to_vm(snap, cfg);
	cfg->stats = o->cfg.stats;
	cfg->trace = o->cfg.trace;
	cfg->dbt_cache_mib = o->cfg.dbt_cache_mib;
	cfg->lockstep = o->cfg.lockstep;
	cfg->perfmap = o->cfg.perfmap;
	cfg->dbt_traces = o->cfg.dbt_traces;
	cfg->api_sock = o->cfg.api_sock;
	if (o->disks_given && (status = override_disks(o, cfg, what)))
		return status;
	if (o->net_given) {
		if (o->cfg.net.user != cfg->net.user)
			return config_error("--net: the %s has %s", what,
					    cfg->net.user ? "a user network (--net user)"
							  : "no network device (--net none)");
		cfg->net = o->cfg.net;
	}
	return 0;
}

int snapshot_options_apply(struct run_options *o, const struct snapshot_config *snap, char *auto_skipped,
			   size_t skipped_len)
{
	const char *what = o->mode == RUN_OPTIONS_RESTORE ? "snapshot" : "incoming VM";
	struct vm_config cfg;
	int status;

	o->cpu = cpu_model_find(snap->cpu);
	if (!o->cpu)
		return config_error("the %s's CPU model '%s' is not one this build knows (%s)", what, snap->cpu,
				    cpu_model_names());
	status = merge(o, snap, &cfg, what);
	o->cfg = cfg;
	return status ? status : run_options_choose(o, auto_skipped, skipped_len);
}
