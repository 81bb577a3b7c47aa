/* config.json of a snapshot directory (docs/snapshot-format.md, "The
 * directory"): the machine a snapshot was taken of, human-readable, written
 * from the VM's configuration and read back to build the same machine on
 * restore. Written with jansson; read as a hostile file: a field of the
 * wrong type, a value out of its range, a duplicate key, a string with a NUL
 * or a newer major version is refused with one line.
 *
 * The boot fields (kernel, initrd, append, format) say what was booted; a
 * restore loads nothing from them (guest RAM holds it all). */
#ifndef RV_VM_SNAPSHOT_CONFIG_H
#define RV_VM_SNAPSHOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/format.h"
#include "vm/config.h"
#include "vm/net_config.h"

/* A reader refuses another major version; a newer minor only adds fields. */
#define SNAPSHOT_CONFIG_MAJOR 1
#define SNAPSHOT_CONFIG_MINOR 0
/* config.json is refused larger than this, before it is read. */
#define SNAPSHOT_CONFIG_MAX_BYTES (1u << 20)
#define SNAPSHOT_NAME_MAX 31 /* engine and CPU model names */

/* What config.json says, its strings owned (snapshot_config_free). */
struct snapshot_config {
	unsigned major, minor;
	char engine[SNAPSHOT_NAME_MAX + 1]; /* the engine the VM ran on */
	char cpu[SNAPSHOT_NAME_MAX + 1];    /* its CPU model (x86/cpu_model.h) */
	uint64_t mem_size;
	char *kernel, *initrd, *append; /* NULL when absent */
	enum kernel_format format;
	bool rng;
	bool virtio_console;
	unsigned ndisks;
	struct {
		char *path;
		bool ro;
	} disks[VM_MAX_DISKS];
	struct net_config net;
};

/* config.json for cfg (its engine and CPU model set), as a NUL-terminated
 * string to free(); paths made absolute where they can be. NULL with a
 * reason on failure (out of memory). */
char *snapshot_config_json(const struct vm_config *cfg, char *why, size_t why_len);
/* Parses len bytes of config.json into *out (zeroed first). 0, or -1 with a
 * one-line reason and *out freed. */
int snapshot_config_parse(const char *text, size_t len, struct snapshot_config *out, char *why, size_t why_len);
void snapshot_config_free(struct snapshot_config *c);
/* The machine it describes as a vm_config (engine and CPU model left NULL:
 * the front end chooses them); cfg's strings point into c. */
void snapshot_config_to_vm(const struct snapshot_config *c, struct vm_config *cfg);

#endif
