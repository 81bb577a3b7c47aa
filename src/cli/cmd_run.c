/* ringvisor run [OPTIONS] KERNEL */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/size.h"
#include "log.h"
#include "vm/vm.h"

/* Linux's COMMAND_LINE_SIZE on x86 is 2048; no boot protocol here takes more. */
#define APPEND_MAX 2047

enum {
	OPT_ENGINE = 256,
	OPT_MEM,
	OPT_APPEND,
	OPT_INITRD,
	OPT_FORMAT,
	OPT_LOAD_ADDR,
	OPT_STATS,
	OPT_TRACE,
	OPT_HELP,
};

static const struct option run_options[] = {
	{ "engine", required_argument, NULL, OPT_ENGINE }, { "mem", required_argument, NULL, OPT_MEM },
	{ "append", required_argument, NULL, OPT_APPEND }, { "initrd", required_argument, NULL, OPT_INITRD },
	{ "format", required_argument, NULL, OPT_FORMAT }, { "load-addr", required_argument, NULL, OPT_LOAD_ADDR },
	{ "stats", no_argument, NULL, OPT_STATS },	   { "trace", no_argument, NULL, OPT_TRACE },
	{ "help", no_argument, NULL, OPT_HELP },	   { NULL, 0, NULL, 0 },
};

static void run_usage(void)
{
	printf("usage: ringvisor run [OPTIONS] KERNEL\n\n"
	       "  --engine NAME     kvm, interp, dbt or auto (default: auto, the fastest this host runs)\n"
	       "  --mem SIZE        guest RAM, e.g. 512M or 2G; a bare number is MiB (default 256M)\n"
	       "  --append STRING   kernel command line\n"
	       "  --initrd FILE     initial ramdisk (Multiboot: module 0)\n"
	       "  --format FORMAT   linux, elf, multiboot or flat (default: detected from the file)\n"
	       "  --load-addr ADDR  where a flat binary is loaded (default 0x7c00)\n"
	       "  --stats           print VM exits by reason and the wall time on exit\n"
	       "  --trace           log every VM exit on stderr\n\n"
	       "Exit status: the guest's (debug-exit port: (v << 1) | 1; exit hypercall),\n"
	       "0 when it halts for good, 2 configuration error, 4 triple fault,\n"
	       "6 engine internal error, 128+N on signal N. See docs/guest-abi.md.\n"
	       "On a terminal, Ctrl-A x quits and Ctrl-A h lists the console keys.\n");
}

/* Why --engine auto passed over the engines it did not choose. */
static char auto_skipped[1024];

static int choose_engine(const char *name, struct vm_config *cfg)
{
	char why[256];

	if (strcmp(name, "auto") == 0) {
		cfg->engine = engine_auto(why, sizeof(why));
		cfg->engine_chosen_automatically = true;
		if (!cfg->engine)
			return config_error("no engine can run on this host (%s)", why);
		snprintf(auto_skipped, sizeof(auto_skipped), "%s", why);
		return 0;
	}
	cfg->engine = engine_find(name);
	if (!cfg->engine)
		return config_error("unknown engine '%s' (kvm, interp, dbt or auto)", name);
	/* An engine of later work is registered without an implementation. */
	if (!cfg->engine->create)
		return config_error("engine %s is not available yet", name);
	if (cfg->engine->probe(why, sizeof(why)))
		return config_error("engine %s cannot run on this host: %s", name, why);
	return 0;
}

/* Fills cfg from the command line; returns 0, or the exit status to end with. */
static int parse_run_options(int argc, char **argv, struct vm_config *cfg, bool *help)
{
	const char *engine = "auto";
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = DEFAULT_MEM_SIZE;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", run_options, NULL)) != -1) {
		switch (opt) {
		case OPT_ENGINE:
			engine = optarg;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &cfg->mem_size))
				return config_error("--mem: '%s' is not a size (e.g. 512M, 2G)", optarg);
			break;
		case OPT_APPEND:
			if (strlen(optarg) > APPEND_MAX)
				return config_error("--append: command line longer than %d bytes", APPEND_MAX);
			cfg->boot.cmdline = optarg;
			break;
		case OPT_INITRD:
			cfg->boot.initrd_path = optarg;
			break;
		case OPT_FORMAT:
			if (kernel_format_parse(optarg, &cfg->boot.format))
				return config_error(
				    "--format: unknown format '%s' (linux, elf, multiboot, flat or auto)", optarg);
			break;
		case OPT_LOAD_ADDR:
			if (parse_u64(optarg, &cfg->boot.load_addr))
				return config_error("--load-addr: '%s' is not an address", optarg);
			cfg->boot.load_addr_set = true;
			break;
		case OPT_STATS:
			cfg->stats = true;
			break;
		case OPT_TRACE:
			cfg->trace = true;
			break;
		case 'h':
		case OPT_HELP:
			*help = true;
			return 0;
		case ':':
			return config_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return config_error("unknown option '%s' (see ringvisor run --help)", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return config_error("no kernel given (ringvisor run [OPTIONS] KERNEL)");
	if (optind + 1 < argc)
		return config_error("unexpected argument '%s' after the kernel", argv[optind + 1]);
	cfg->boot.kernel_path = argv[optind];
	return choose_engine(engine, cfg);
}

int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct exit_stats total = { 0 };
	bool help = false;
	char why[512];
	struct vm vm;
	int status = parse_run_options(argc, argv, &cfg, &help);

	if (status || help) {
		if (help)
			run_usage();
		return status;
	}
	if (cfg.trace)
		log_set_level(LOG_INFO);
	if (vm_create(&vm, &cfg, why, sizeof(why))) {
		vm_destroy(&vm);
		return config_error("%s", why);
	}
	/* Only once the VM exists: a configuration error stays the one line on
	 * stderr, and an engine's own errors name the engine. */
	if (cfg.engine_chosen_automatically && auto_skipped[0])
		fprintf(stderr, "ringvisor: using the %s engine (passed over %s)\n", cfg.engine->name, auto_skipped);
	else if (cfg.engine_chosen_automatically)
		fprintf(stderr, "ringvisor: using the %s engine\n", cfg.engine->name);
	status = vm_run(&vm);
	if (cfg.stats) {
		struct engine_stats es = { 0 };

		for (int i = 0; i < vm.nvcpus; i++) {
			exit_stats_add(&total, &vm.vcpus[i].stats);
			if (vm.ops->stats)
				vm.ops->stats(vm.vcpus[i].ev, &es);
		}
		exit_stats_print(stderr, &total, monotonic_ns() - vm.start_ns);
		engine_stats_print(stderr, &es, total.guest_ns);
	}
	vm_destroy(&vm);
	return status;
}
