/* ringvisor run's options -> struct vm_config. */
#include "cli/run_options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/disk_option.h"
#include "cli/net_option.h"
#include "cli/size.h"
#include "engine/dbt/code_cache.h"
#include "engine/engine.h"
#include "host/tcp.h"
#include "x86/cpu_model.h"

/* Linux's COMMAND_LINE_SIZE on x86 is 2048; no boot protocol here takes more. */
#define APPEND_MAX 2047

enum {
	OPT_ENGINE = 256,
	OPT_CPU,
	OPT_MEM,
	OPT_APPEND,
	OPT_INITRD,
	OPT_FORMAT,
	OPT_LOAD_ADDR,
	OPT_STATS,
	OPT_TRACE,
	OPT_DBT_CACHE_SIZE,
	OPT_LOCKSTEP,
	OPT_PERFMAP,
	OPT_DBT_TRACES,
	OPT_RNG,
	OPT_NO_RNG,
	OPT_DISK,
	OPT_NET,
	OPT_VIRTIO_CONSOLE,
	OPT_NO_VIRTIO_CONSOLE,
	OPT_API_SOCK,
	OPT_INCOMING,
	OPT_HELP,
};

static const struct option run_options[] = {
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "load-addr", required_argument, NULL, OPT_LOAD_ADDR },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "dbt-cache-size", required_argument, NULL, OPT_DBT_CACHE_SIZE },
	{ "lockstep", required_argument, NULL, OPT_LOCKSTEP },
	{ "perfmap", no_argument, NULL, OPT_PERFMAP },
	{ "dbt-traces", required_argument, NULL, OPT_DBT_TRACES },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "no-rng", no_argument, NULL, OPT_NO_RNG },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "virtio-console", no_argument, NULL, OPT_VIRTIO_CONSOLE },
	{ "no-virtio-console", no_argument, NULL, OPT_NO_VIRTIO_CONSOLE },
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "incoming", required_argument, NULL, OPT_INCOMING },
	{ NULL, 0, NULL, 0 },
};

static int choose_engine(const char *name, struct vm_config *cfg, char *auto_skipped, size_t skipped_len)
{
	char why[256];

	if (strcmp(name, "auto") == 0) {
		cfg->engine = engine_auto(why, sizeof(why));
		cfg->engine_chosen_automatically = true;
		if (!cfg->engine)
			return config_error("no engine can run on this host (%s)", why);
		snprintf(auto_skipped, skipped_len, "%s", why);
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

/* The --cpu model (NULL: not given, the default), which must be one the engine
 * provides here. Decided before anything is loaded. */
static int choose_cpu_model(const struct cpu_model *given, enum run_options_mode mode, struct vm_config *cfg)
{
	char why[256];

	cfg->cpu_model = given ? given : engine_default_model();
	if (!cfg->engine->provides_model(cfg->cpu_model, why, sizeof(why)))
		return 0;
	if (mode != RUN_OPTIONS_RUN)
		return config_error("the %s's CPU model %s: the %s engine cannot provide it: %s",
				    mode == RUN_OPTIONS_RESTORE ? "snapshot" : "incoming VM", cfg->cpu_model->name,
				    cfg->engine->name, why);
	return config_error("--cpu %s: the %s engine cannot provide it: %s", cfg->cpu_model->name, cfg->engine->name,
			    why);
}

/* The options that shape the machine: a snapshot fixes them, so restore
 * refuses them. */
static bool shapes_machine(int opt)
{
	switch (opt) {
	case OPT_CPU:
	case OPT_MEM:
	case OPT_APPEND:
	case OPT_INITRD:
	case OPT_FORMAT:
	case OPT_LOAD_ADDR:
	case OPT_RNG:
	case OPT_NO_RNG:
	case OPT_VIRTIO_CONSOLE:
	case OPT_NO_VIRTIO_CONSOLE:
		return true;
	default:
		return false;
	}
}

static int apply_dbt_traces(const char *arg, struct vm_config *cfg)
{
	if (strcmp(arg, "user") == 0)
		cfg->dbt_traces = DBT_TRACES_USER;
	else if (strcmp(arg, "all") == 0)
		cfg->dbt_traces = DBT_TRACES_ALL;
	else if (strcmp(arg, "off") == 0)
		cfg->dbt_traces = DBT_TRACES_OFF;
	else
		return config_error("--dbt-traces: '%s' is not user, all or off", arg);
	return 0;
}

static int apply_dbt_cache_size(const char *arg, struct vm_config *cfg)
{
	uint64_t size;

	/* As --mem spells sizes (a bare number is MiB, as QEMU's tb-size);
	 * whole MiB only. */
	if (parse_size(arg, &size) || size % (1u << 20) || size < (CODE_CACHE_MIN_MIB << 20) ||
	    size > ((uint64_t)CODE_CACHE_MAX_MIB << 20))
		return config_error("--dbt-cache-size: '%s' is not a whole number of MiB from %d to %d", arg,
				    CODE_CACHE_MIN_MIB, CODE_CACHE_MAX_MIB);
	cfg->dbt_cache_mib = (unsigned)(size >> 20);
	return 0;
}

/* The options of the machine's boot: kernel format, command line, initrd. */
static int apply_boot(int opt, const char *arg, struct vm_config *cfg)
{
	switch (opt) {
	case OPT_APPEND:
		if (strlen(arg) > APPEND_MAX)
			return config_error("--append: command line longer than %d bytes", APPEND_MAX);
		cfg->boot.cmdline = arg;
		return 0;
	case OPT_INITRD:
		cfg->boot.initrd_path = arg;
		return 0;
	case OPT_FORMAT:
		if (kernel_format_parse(arg, &cfg->boot.format))
			return config_error("--format: unknown format '%s' (linux, elf, multiboot, flat or auto)", arg);
		return 0;
	default: /* OPT_LOAD_ADDR */
		if (parse_u64(arg, &cfg->boot.load_addr))
			return config_error("--load-addr: '%s' is not an address", arg);
		cfg->boot.load_addr_set = true;
		return 0;
	}
}

/* The devices: --disk, --net and the switches. */
static int apply_device(int opt, char *arg, struct run_options *o)
{
	struct vm_config *cfg = &o->cfg;

	switch (opt) {
	case OPT_RNG:
	case OPT_NO_RNG:
		cfg->rng = opt == OPT_RNG; /* the last one given wins */
		return 0;
	case OPT_DISK:
		o->disks_given = true;
		return disk_option_parse(arg, cfg);
	case OPT_NET:
		/* One network device: the last --net given wins, as for --rng. */
		o->net_given = true;
		return net_option_parse(arg, &cfg->net);
	default: /* OPT_VIRTIO_CONSOLE, OPT_NO_VIRTIO_CONSOLE */
		cfg->virtio_console = opt == OPT_VIRTIO_CONSOLE;
		return 0;
	}
}

/* --incoming tcp:HOST:PORT: checked now, before anything else is done. */
static int apply_incoming(const char *arg, struct run_options *o)
{
	char host[TCP_HOST_MAX + 1], why[256];
	uint16_t port;

	if (tcp_uri_parse(arg, host, &port, why, sizeof(why)))
		return config_error("--incoming: %s", why);
	o->incoming = arg;
	return 0;
}

/* One option, the index-th of the table; 0, or the status after the one line. */
static int apply(int opt, int index, struct run_options *o)
{
	struct vm_config *cfg = &o->cfg;

	if (o->mode == RUN_OPTIONS_RESTORE && (shapes_machine(opt) || opt == OPT_INCOMING))
		return config_error("--%s cannot be given to restore: the snapshot fixes the machine",
				    run_options[index].name);
	if (shapes_machine(opt))
		o->machine_option = run_options[index].name;
	switch (opt) {
	case OPT_ENGINE:
		o->engine = optarg;
		return 0;
	case OPT_CPU:
		o->cpu = cpu_model_find(optarg);
		if (!o->cpu)
			return config_error("--cpu: unknown CPU model '%s' (%s)", optarg, cpu_model_names());
		return 0;
	case OPT_MEM:
		if (parse_size(optarg, &cfg->mem_size))
			return config_error("--mem: '%s' is not a size (e.g. 512M, 2G)", optarg);
		return 0;
	case OPT_APPEND:
	case OPT_INITRD:
	case OPT_FORMAT:
	case OPT_LOAD_ADDR:
		return apply_boot(opt, optarg, cfg);
	case OPT_STATS:
		cfg->stats = true;
		return 0;
	case OPT_TRACE:
		cfg->trace = true;
		return 0;
	case OPT_DBT_CACHE_SIZE:
		return apply_dbt_cache_size(optarg, cfg);
	case OPT_LOCKSTEP:
		/* The one reference engine there is to check dbt against. */
		if (strcmp(optarg, "interp") != 0)
			return config_error("--lockstep: '%s' is not a reference engine (interp)", optarg);
		cfg->lockstep = true;
		return 0;
	case OPT_PERFMAP:
		cfg->perfmap = true;
		return 0;
	case OPT_DBT_TRACES:
		return apply_dbt_traces(optarg, cfg);
	case OPT_INCOMING:
		return apply_incoming(optarg, o);
	case OPT_API_SOCK:
		/* Created when the VM is, after every other check
		 * (vm_session.c): a refused option leaves nothing behind. */
		if (!*optarg)
			return config_error("--api-sock: empty path");
		cfg->api_sock = optarg;
		return 0;
	default:
		return apply_device(opt, optarg, o);
	}
}

/* What getopt_long could not take. */
static int refuse(int opt, char **argv, const char *command)
{
	if (opt == ':')
		return config_error("option '%s' needs a value", argv[optind - 1]);
	/* getopt_long sets optopt to a long option's value when it was given
	 * "=VALUE" it does not take. */
	if (opt == '?' && optopt >= OPT_ENGINE)
		return config_error("option '%.*s' takes no value", (int)strcspn(argv[optind - 1], "="),
				    argv[optind - 1]);
	return config_error("unknown option '%s' (see ringvisor %s --help)", argv[optind - 1], command);
}

int run_options_read(int argc, char **argv, enum run_options_mode mode, struct run_options *o)
{
	int opt, status, index = 0;

	memset(o, 0, sizeof(*o));
	o->mode = mode;
	o->engine = "auto";
	o->cfg.mem_size = DEFAULT_MEM_SIZE;
	o->cfg.rng = true;
	o->cfg.dbt_traces = -1;
	opterr = 0;
	/* 0, not 1: glibc then starts afresh, forgetting where it was inside a
	 * cluster of short options of an earlier parse (whose argv may be gone). */
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":h", run_options, &index)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			o->help = true;
			return 0;
		}
		status = opt >= OPT_ENGINE ? apply(opt, index, o)
					   : refuse(opt, argv, mode == RUN_OPTIONS_RESTORE ? "restore" : "run");
		if (status)
			return status;
	}
	o->first_arg = optind;
	return 0;
}

int run_options_choose(struct run_options *o, char *auto_skipped, size_t skipped_len)
{
	struct vm_config *cfg = &o->cfg;
	int status = choose_engine(o->engine, cfg, auto_skipped, skipped_len);

	if (status)
		return status;
	status = choose_cpu_model(o->cpu, o->mode, cfg);
	if (status)
		return status;
	if (cfg->lockstep && strcmp(cfg->engine->name, "dbt") != 0)
		return config_error("--lockstep checks the dbt engine: give --engine dbt (not %s)", cfg->engine->name);
	if (cfg->perfmap && strcmp(cfg->engine->name, "dbt") != 0)
		return config_error("--perfmap names dbt's translated code: give --engine dbt (not %s)",
				    cfg->engine->name);
	return 0;
}

int run_options_kernel(struct run_options *o, int argc, char **argv, char *auto_skipped, size_t skipped_len)
{
	if (o->first_arg >= argc)
		return config_error("no kernel given (ringvisor run [OPTIONS] KERNEL)");
	if (o->first_arg + 1 < argc)
		return config_error("unexpected argument '%s' after the kernel", argv[o->first_arg + 1]);
	o->cfg.boot.kernel_path = argv[o->first_arg];
	return run_options_choose(o, auto_skipped, skipped_len);
}

int run_options_parse(int argc, char **argv, struct vm_config *cfg, bool *help, char *auto_skipped, size_t skipped_len)
{
	struct run_options o;
	int status = run_options_read(argc, argv, RUN_OPTIONS_RUN, &o);

	*help = o.help;
	if (!status && !o.help)
		status = o.incoming ? config_error("--incoming: not a kernel run (cmd_run takes it)")
				    : run_options_kernel(&o, argc, argv, auto_skipped, skipped_len);
	*cfg = o.cfg;
	return status;
}
