/* The options of `ringvisor run`, parsed and validated into a struct vm_config.
 * The parser never ends the process: every problem is one line on stderr
 * (config_error) and a returned status, so cmd_run decides, and a fuzzer can
 * call it any number of times. */
#ifndef RV_RUN_OPTIONS_H
#define RV_RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "vm/config.h"

/* argv[0] is "run". Fills cfg (pointing into argv) and returns 0, with *help set
 * if --help was asked for; or returns the exit status (STATUS_CONFIG) after
 * printing the one line. When --engine auto chose, auto_skipped gets why it
 * passed over the others (may be empty). argv may be permuted, and each
 * --disk value is cut at its first comma. */
int run_options_parse(int argc, char **argv, struct vm_config *cfg, bool *help, char *auto_skipped, size_t skipped_len);

#endif
