/* The options of `ringvisor run` (src/cli/run_options.c): the input is argv,
 * NUL-separated words after "run". The parser must return (never exit), with
 * status 0 and a kernel path, or STATUS_CONFIG; never touch memory it was not
 * given. The one line every error prints goes to /dev/null: the FILE stderr is
 * swapped during the call, while descriptor 2 (sanitizer reports) stays. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run_options.h"
#include "vm/vm.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One copy the words point into, NUL-terminated at the end too. */
	static char run[] = "run";
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], skipped[256];
	struct vm_config cfg;
	bool help = false;
	int argc = 1, status;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = run;
	for (size_t i = 0; i <= size && argc <= MAX_ARGS;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	{
		FILE *saved = stderr;

		stderr = devnull ? devnull : saved;
		status = run_options_parse(argc, argv, &cfg, &help, skipped, sizeof(skipped));
		stderr = saved;
	}
	if (status != 0 && status != STATUS_CONFIG)
		finding("run_options_parse returned a status other than 0 or 2");
	if (status == 0 && !help) {
		if (!cfg.boot.kernel_path || !cfg.engine)
			finding("a successful parse without a kernel or an engine");
		if ((const char *)cfg.boot.kernel_path < buf || (const char *)cfg.boot.kernel_path > buf + size)
			finding("the kernel path does not point into argv");
		if (memchr(skipped, '\0', sizeof(skipped)) == NULL)
			finding("the auto-choice reason is not terminated");
	}
	free(buf);
	return 0;
}
