#include "cli/disk_option.h"

#include <string.h>

#include "cli/commands.h"

/* One suboption after the file name. */
static int apply(const char *sub, struct disk_config *d)
{
	if (strcmp(sub, "ro") == 0)
		d->ro = true;
	else if (strcmp(sub, "rw") == 0)
		d->ro = false;
	else
		return config_error("--disk: unknown suboption '%s' (ro or rw)", sub);
	return 0;
}

int disk_option_parse(char *value, struct vm_config *cfg)
{
	struct disk_config d = { .path = value };
	char *sub = strchr(value, ',');

	if (cfg->ndisks == VM_MAX_DISKS)
		return config_error("--disk: more than %d disks", VM_MAX_DISKS);
	if (sub)
		*sub++ = '\0';
	if (!*value)
		return config_error("--disk: no file name (--disk FILE[,ro])");
	while (sub) {
		char *next = strchr(sub, ',');
		int status;

		if (next)
			*next++ = '\0';
		status = apply(sub, &d);
		if (status)
			return status;
		sub = next;
	}
	cfg->disks[cfg->ndisks++] = d;
	return 0;
}
