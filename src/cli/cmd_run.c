/* ringvisor run [OPTIONS] KERNEL */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/run_incoming.h"
#include "cli/run_options.h"
#include "cli/vm_session.h"
#include "log.h"
#include "vm/vm.h"
#include "x86/cpu_model.h"

static void print_cpu_models(void)
{
	size_t n;
	const struct cpu_model *m = cpu_model_list(&n);

	for (size_t i = 0; i < n; i++)
		printf("      %-9s %s\n", m[i].name, m[i].summary);
}

static void run_usage(void)
{
	printf("usage: ringvisor run [OPTIONS] KERNEL\n"
	       "       ringvisor run --incoming tcp:HOST:PORT [OPTIONS]\n\n"
	       "  --engine NAME     kvm, interp, dbt or auto (default: auto, the fastest this host runs)\n"
	       "  --cpu MODEL       the guest CPU (default: the highest level every engine\n"
	       "                    available here provides; `ringvisor engines` lists them):\n");
	print_cpu_models();
	printf("  --mem SIZE        guest RAM, e.g. 512M or 2G; a bare number is MiB (default 256M)\n"
	       "  --append STRING   kernel command line\n"
	       "  --initrd FILE     initial ramdisk (Multiboot: module 0)\n"
	       "  --format FORMAT   linux, elf, multiboot or flat (default: detected from the file)\n"
	       "  --load-addr ADDR  where a flat binary is loaded (default 0x7c00)\n"
	       "  --stats           print VM exits by reason and the wall time on exit\n"
	       "  --trace           log every VM exit on stderr\n"
	       "  --dbt-cache-size SIZE  dbt's translation cache, 1M to 1G, bare number MiB (default 64M)\n"
	       "  --lockstep interp  with --engine dbt: run each block on interp too, stop at the\n"
	       "                    first difference and show it (slow; one vCPU)\n"
	       "  --dbt-traces user|all|off  which code dbt decodes as traces, blocks that go on\n"
	       "                    through direct calls and jumps (default: user; other\n"
	       "                    engines ignore it, as --dbt-cache-size)\n"
	       "  --perfmap         with --engine dbt: name each translated block by its guest\n"
	       "                    address in /tmp/perf-PID.map, for perf report\n"
	       "  --rng, --no-rng   a virtio-rng device fed by the host's getrandom (default: on)\n"
	       "  --disk FILE[,ro]  a virtio-blk disk on the raw image FILE (whole 512-byte\n"
	       "                    sectors); ro: read-only. Repeatable: vda, vdb, ... in order\n"
	       "  --net user[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...\n"
	       "                    virtio-net on QEMU's user network (libslirp): DHCP gives\n"
	       "                    10.0.2.15, the host is 10.0.2.2, DNS 10.0.2.3\n"
	       "  --net none        no network device (default)\n"
	       "  --virtio-console, --no-virtio-console\n"
	       "                    a virtio console (hvc0) beside COM1: both write to stdout,\n"
	       "                    host input goes to hvc0 (default: off)\n"
	       "  --api-sock PATH   serve the control API (docs/api.md) on a UNIX socket created\n"
	       "                    at PATH, mode 0600, removed when the VM ends; `ringvisor ctl`\n"
	       "                    is its client\n"
	       "  --incoming tcp:HOST:PORT  no kernel: listen there, take one live migration\n"
	       "                    (`ringvisor ctl SOCK migrate tcp:HOST:PORT` on the source) and\n"
	       "                    run it; its machine comes from the source, so --cpu, --mem,\n"
	       "                    the boot options, --rng and --virtio-console are refused,\n"
	       "                    --disk and --net replace its paths and forwards as for\n"
	       "                    restore. A stream that breaks or is malformed: one line,\n"
	       "                    status 2, and the guest never ran (docs/migration.md)\n\n"
	       "Exit status: the guest's (debug-exit port: (v << 1) | 1; exit hypercall),\n"
	       "0 when it halts for good, 2 configuration error, 4 triple fault,\n"
	       "6 engine internal error, 128+N on signal N. See docs/guest-abi.md.\n"
	       "On a terminal, Ctrl-A x quits and Ctrl-A h lists the console keys.\n");
}

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	struct vm_config cfg;
	char why[512], auto_skipped[1024] = "";
	struct vm vm;
	int status = run_options_read(argc, argv, RUN_OPTIONS_RUN, &o);

	if (status || o.help) {
		if (o.help)
			run_usage();
		return status;
	}
	if (o.incoming)
		return run_incoming(&o, argc, argv);
	status = run_options_kernel(&o, argc, argv, auto_skipped, sizeof(auto_skipped));
	if (status)
		return status;
	cfg = o.cfg;
	if (cfg.trace)
		log_set_level(LOG_INFO);
	if (vm_create(&vm, &cfg, why, sizeof(why))) {
		vm_destroy(&vm);
		return config_error("%s", why);
	}
	return vm_session_run(&vm, auto_skipped, NULL);
}
