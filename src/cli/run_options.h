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

/* The two steps of run_options_parse, for the commands that take run's
 * options around other arguments (`ringvisor restore DIR [OPTIONS]`). */
enum run_options_mode {
	RUN_OPTIONS_RUN,
	/* The options that shape the machine (--cpu, --mem, the boot options,
	 * --rng, --virtio-console) are refused: a snapshot fixes them. */
	RUN_OPTIONS_RESTORE,
	/* run --incoming: the same options refused (the migration stream
	 * brings the machine), and no kernel. */
	RUN_OPTIONS_INCOMING,
};

struct run_options {
	enum run_options_mode mode;
	struct vm_config cfg;	     /* the options applied to the defaults */
	const char *engine;	     /* --engine, "auto" if not given */
	const struct cpu_model *cpu; /* --cpu, NULL if not given */
	bool help;
	bool disks_given, net_given;
	const char *incoming;	    /* --incoming tcp:HOST:PORT, checked; NULL if not given */
	const char *machine_option; /* the last option given that shapes the machine, or NULL */
	int first_arg;		    /* argv's first argument that is not an option */
};

/* Reads the options (argv may be permuted, --disk values cut at commas)
 * into *o: 0, or the status after the one line. */
int run_options_read(int argc, char **argv, enum run_options_mode mode, struct run_options *o);
/* A run with a kernel: argv's one argument after the options is it; then
 * run_options_choose. 0, or the status after the one line. */
int run_options_kernel(struct run_options *o, int argc, char **argv, char *auto_skipped, size_t skipped_len);
/* Settles o->cfg's engine (o->engine, or the automatic choice, with why it
 * passed over the others in auto_skipped) and CPU model (o->cpu, or the
 * default), and checks the options that need one engine: 0, or the status
 * after the one line. */
int run_options_choose(struct run_options *o, char *auto_skipped, size_t skipped_len);

#endif
