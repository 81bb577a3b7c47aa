/* `ringvisor run --incoming tcp:HOST:PORT`: the destination of a live
 * migration (docs/migration.md). */
#ifndef RV_CLI_RUN_INCOMING_H
#define RV_CLI_RUN_INCOMING_H

#include "cli/run_options.h"

/* o: run_options_read's, with o->incoming set. Returns the process exit
 * status: 2 (one line on stderr) for options refused, an address that
 * cannot be listened on, or a stream that broke or was refused before the
 * guest ran; else the guest's, as for run. */
int run_incoming(struct run_options *o, int argc, char **argv);

#endif
