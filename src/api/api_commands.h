/* The control socket's commands on a VM (docs/api.md), as the table the
 * server dispatches from: status, stop, pause, resume, snapshot, migrate.
 *
 * Every command reaches the VM through struct api_vm_ops, so the table does
 * not depend on how a VM pauses or saves itself. An optional slot left NULL
 * makes its command answer "unsupported": wiring one in is one line of
 * api_vm_ops in api_commands.c. Tests hand the table stubs instead. */
#ifndef RV_API_COMMANDS_H
#define RV_API_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api_protocol.h"
#include "vm/vm_info.h"

struct vm;

struct api_vm_ops {
	/* Mandatory. */
	void (*info)(struct vm *vm, struct vm_info *out);
	void (*request_stop)(struct vm *vm, int status);
	/* Optional (NULL: the command answers "unsupported"). pause, snapshot
	 * and migrate return 0, or -1 with a one-line reason in why. */
	int (*pause)(struct vm *vm, char *why, size_t why_len);
	void (*resume)(struct vm *vm);
	bool (*paused)(const struct vm *vm);
	int (*snapshot)(struct vm *vm, const char *dir, char *why, size_t why_len);
	int (*migrate)(struct vm *vm, const char *uri, char *why, size_t why_len);
};

/* The VM layer's own functions. */
extern const struct api_vm_ops api_vm_ops;

/* The context of the table's commands. */
struct api_vm {
	struct vm *vm;
	const struct api_vm_ops *ops;
};

/* Ends with an entry whose name is NULL. */
extern const struct api_command api_vm_commands[];

#endif
