/* What the front end hands the VM: a validated description of the machine. */
#ifndef RV_CONFIG_H
#define RV_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "loader/loader.h"
#include "vm/net_config.h"

struct engine_ops;
struct cpu_model;

#define DEFAULT_MEM_SIZE (256ull << 20)
/* --disk at most this often: vda..vdh, one virtio slot each. */
#define VM_MAX_DISKS 8

/* One --disk FILE[,ro]: a raw image, checked when the VM opens it. */
struct disk_config {
	const char *path;
	bool ro;
};

struct vm_config {
	const struct engine_ops *engine;
	bool engine_chosen_automatically;
	/* --cpu, or the default (engine_default_model): one the engine provides. */
	const struct cpu_model *cpu_model;
	uint64_t mem_size;
	struct load_request boot; /* kernel, initrd, command line, format */
	bool stats;
	bool trace;
	unsigned dbt_cache_mib; /* --dbt-cache-size; 0: the engine's default */
	bool lockstep;		/* --lockstep interp (dbt only) */
	bool perfmap;		/* --perfmap: /tmp/perf-PID.map (dbt only) */
	int dbt_traces;		/* --dbt-traces: enum dbt_traces (engine.h), -1 when not given */
	bool rng;		/* a virtio-rng device (--rng, the default; --no-rng) */
	unsigned ndisks;	/* --disk, in the order given: vda, vdb, ... */
	struct disk_config disks[VM_MAX_DISKS];
	/* The images are locked by vm_disks_lock, not when opened: a live
	 * migration's destination, whose source holds them until the go. */
	bool disks_lock_later;
	struct net_config net; /* --net: a virtio-net device when user */
	bool virtio_console;   /* --virtio-console: hvc0, and host input goes there */
	/* --api-sock PATH: the control socket, which the front end serves
	 * (src/api/); not part of the machine, and never saved with it. */
	const char *api_sock;
};

#endif
