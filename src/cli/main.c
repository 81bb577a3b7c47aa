/* ringvisor: a virtual machine monitor for x86-64 guests. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "vm/vm.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run a guest kernel (ringvisor run --help)" },
	{ "restore", cmd_restore, "run a snapshot directory on any engine (ringvisor restore --help)" },
	{ "engines", cmd_engines,
	  "list the CPU engines, whether this host can run each, and the CPU models (--cpu) each provides" },
	{ "ctl", cmd_ctl, "control a running VM through its --api-sock (ringvisor ctl --help)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: ringvisor COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n  ringvisor --help      this text\n  ringvisor --version   the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return STATUS_CONFIG;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ringvisor %s\n", RINGVISOR_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return config_error("unknown command '%s' (see ringvisor --help)", argv[1]);
}
