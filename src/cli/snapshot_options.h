/* The machine a snapshot's or an incoming migration's config.json
 * describes, with the command line's options that do not shape it (what
 * `ringvisor restore` and `ringvisor run --incoming` share): --disk and
 * --net replace the saved paths and forwards, the rest (--stats, --trace,
 * the dbt options, --api-sock) is the command line's. */
#ifndef RV_CLI_SNAPSHOT_OPTIONS_H
#define RV_CLI_SNAPSHOT_OPTIONS_H

#include <stddef.h>

#include "cli/run_options.h"
#include "vm/snapshot_config.h"

/* o: run_options_read's, o->mode RUN_OPTIONS_RESTORE or _INCOMING. o->cfg
 * becomes snap's machine with o's options, its engine and CPU model chosen
 * (run_options_choose); its strings point into snap. 0, or the status after
 * the one line. */
int snapshot_options_apply(struct run_options *o, const struct snapshot_config *snap, char *auto_skipped,
			   size_t skipped_len);

#endif
