/* config.json of a snapshot (src/vm/snapshot_config.c) as a hostile file
 * gives it: any bytes through snapshot_config_parse. A refused file leaves
 * nothing allocated and gives one line of reason; an accepted one holds only
 * values in their ranges, and written back (on the interp engine and the
 * baseline model, as a restore would take it) it parses again to the same
 * machine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "vm/memory.h"
#include "vm/snapshot_config.h"
#include "x86/cpu_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

static void check_ranges(const struct snapshot_config *c)
{
	if (c->mem_size < MEM_MIN_SIZE || c->mem_size > MEM_MAX_SIZE || c->mem_size % 4096)
		finding("an accepted memory size out of range");
	if (c->ndisks > VM_MAX_DISKS || c->net.nfwd > NET_MAX_HOSTFWD || (!c->net.user && c->net.nfwd))
		finding("accepted counts out of range");
	if (!c->engine[0] || !c->cpu[0] || memchr(c->engine, '\0', sizeof(c->engine)) == NULL)
		finding("accepted names empty or unterminated");
	for (unsigned i = 0; i < c->ndisks; i++)
		if (!c->disks[i].path || !c->disks[i].path[0])
			finding("an accepted disk without a path");
	for (unsigned i = 0; i < c->net.nfwd; i++)
		if (!c->net.fwd[i].host_port || !c->net.fwd[i].guest_port)
			finding("an accepted forward to port 0");
}

/* Written back and read again: the same machine. */
static void round_trip(const struct snapshot_config *c)
{
	struct vm_config cfg, again_cfg;
	struct snapshot_config again;
	char why[256], *json;

	snapshot_config_to_vm(c, &cfg);
	cfg.engine = engine_find("interp");
	cfg.cpu_model = cpu_model_find("baseline");
	json = snapshot_config_json(&cfg, why, sizeof(why));
	if (!json)
		return; /* a path realpath made into something not UTF-8: refused, fine */
	if (snapshot_config_parse(json, strlen(json), &again, why, sizeof(why)))
		finding("what the writer wrote, the reader refused");
	snapshot_config_to_vm(&again, &again_cfg);
	if (again_cfg.mem_size != cfg.mem_size || again_cfg.ndisks != cfg.ndisks || again_cfg.rng != cfg.rng ||
	    again_cfg.virtio_console != cfg.virtio_console || again_cfg.net.user != cfg.net.user ||
	    again_cfg.net.nfwd != cfg.net.nfwd || again_cfg.boot.format != cfg.boot.format ||
	    memcmp(again_cfg.net.fwd, cfg.net.fwd, sizeof(cfg.net.fwd[0]) * cfg.net.nfwd) ||
	    (!cfg.boot.cmdline) != (!again_cfg.boot.cmdline) ||
	    (cfg.boot.cmdline && strcmp(cfg.boot.cmdline, again_cfg.boot.cmdline)))
		finding("written and read again, the machine changed");
	for (unsigned i = 0; i < cfg.ndisks; i++)
		if (again_cfg.disks[i].ro != cfg.disks[i].ro)
			finding("a disk's mode changed on the way back");
	snapshot_config_free(&again);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot_config c;
	char why[256];

	why[0] = '\0';
	if (snapshot_config_parse((const char *)data, size, &c, why, sizeof(why))) {
		if (!why[0] || strchr(why, '\n')) {
			fprintf(stderr, "reason: '%s'\n", why);
			finding("a refusal without its one line");
		}
		if (c.kernel || c.initrd || c.append || c.ndisks)
			finding("a refused file left something allocated");
		return 0;
	}
	check_ranges(&c);
	round_trip(&c);
	snapshot_config_free(&c);
	return 0;
}
