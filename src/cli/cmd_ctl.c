/* ringvisor ctl [--json] [--timeout SECONDS] SOCKET COMMAND [ARG]: one
 * request to a VM's control socket (docs/api.md), its reply on stdout.
 * Exit status: 0 on success, 1 on an error reply (one line on stderr), 2 on
 * bad usage or when no reply could be had (no server, no reply in time). */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/ctl_client.h"
#include "cli/size.h"

#define DEFAULT_TIMEOUT_S 60

static const struct ctl_command {
	const char *name;
	const char *arg;     /* the request's member for ARG, or NULL: no ARG */
	const char *arg_doc; /* ARG in the usage */
	int is_path;	     /* ARG is a path: made absolute, the server's cwd is not ours */
} ctl_commands[] = {
	{ "status", NULL, "", 0 },	   /* what the VM is and does */
	{ "pause", NULL, "", 0 },	   /* its vCPUs stop */
	{ "resume", NULL, "", 0 },	   /* they run again */
	{ "stop", NULL, "", 0 },	   /* the VM ends */
	{ "snapshot", "path", " DIR", 1 }, /* the VM saved into a directory */
	{ "migrate", "uri", " URI", 0 },   /* the VM moved to another ringvisor */
};
#define NCOMMANDS (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

static void ctl_usage(void)
{
	printf("usage: ringvisor ctl [--json] [--timeout SECONDS] SOCKET COMMAND [ARG]\n\n"
	       "Sends one command to the VM whose `ringvisor run --api-sock SOCKET` serves it\n"
	       "(docs/api.md) and prints the reply. Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("  %s%s\n", ctl_commands[i].name, ctl_commands[i].arg_doc);
	printf("\n  --json            print the reply as the server sent it (one JSON line)\n"
	       "  --timeout SECONDS how long to wait for the reply (default %d; 0: no limit)\n\n"
	       "Exit status: 0 done, 1 the VM refused (an error reply), 2 bad usage or no reply.\n",
	       DEFAULT_TIMEOUT_S);
}

static const struct ctl_command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(ctl_commands[i].name, name) == 0)
			return &ctl_commands[i];
	return NULL;
}

/* The request line into *out, to free(): 0, or the exit status after the
 * one line on stderr. */
static int build_request(const struct ctl_command *c, const char *arg, char **out)
{
	char abs[PATH_MAX + 1];
	json_t *req;
	char *text;

	if (c->arg && c->is_path && arg[0] != '/') {
		if (!getcwd(abs, sizeof(abs)) || strlen(abs) + 1 + strlen(arg) >= sizeof(abs))
			return config_error("%s: cannot make the path absolute", arg);
		strcat(abs, "/");
		strcat(abs, arg);
		arg = abs;
	}
	req = json_pack("{s:s}", "cmd", c->name);
	if (!req)
		return config_error("out of memory");
	if (c->arg && json_object_set_new(req, c->arg, json_string(arg))) {
		json_decref(req);
		return config_error("ctl %s: '%s' is not valid UTF-8", c->name, arg);
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	*out = text ? malloc(strlen(text) + 2) : NULL;
	if (*out)
		sprintf(*out, "%s\n", text);
	free(text);
	if (!*out)
		return config_error("out of memory");
	return 0;
}

/* Each member but "ok" as "name: value", strings as they are. */
static void print_human(json_t *reply)
{
	const char *key;
	json_t *value;

	json_object_foreach(reply, key, value)
	{
		char *text;

		if (strcmp(key, "ok") == 0)
			continue;
		if (json_is_string(value)) {
			printf("%s: %s\n", key, json_string_value(value));
			continue;
		}
		text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%s: %s\n", key, text ? text : "?");
		free(text);
	}
}

/* The reply -> output and exit status. */
static int report(const char *line, int raw)
{
	json_t *reply = json_loads(line, 0, NULL);
	const json_t *ok = json_object_get(reply, "ok");
	const json_t *error = json_object_get(reply, "error");
	int status;

	if (!json_is_boolean(ok)) {
		json_decref(reply);
		return config_error("the server's reply is not an API reply: %.200s", line);
	}
	status = json_is_true(ok) ? 0 : 1;
	if (raw)
		printf("%s\n", line);
	else if (status == 0)
		print_human(reply);
	else
		fprintf(stderr, "ringvisor: error: %s: %s\n", json_string_value(json_object_get(error, "code")) ?: "?",
			json_string_value(json_object_get(error, "message")) ?: "");
	json_decref(reply);
	return status;
}

enum { OPT_JSON = 256, OPT_TIMEOUT, OPT_HELP };

static const struct option ctl_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

int cmd_ctl(int argc, char **argv)
{
	uint64_t timeout_s = DEFAULT_TIMEOUT_S;
	const struct ctl_command *c;
	char why[512], *request = NULL, *reply;
	int opt, raw = 0, status;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":h", ctl_options, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON:
			raw = 1;
			break;
		case OPT_TIMEOUT:
			if (parse_u64(optarg, &timeout_s) || timeout_s > INT_MAX / 1000)
				return config_error("--timeout: '%s' is not a number of seconds", optarg);
			break;
		case 'h':
		case OPT_HELP:
			ctl_usage();
			return 0;
		case ':':
			return config_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return config_error("unknown option '%s' (see ringvisor ctl --help)", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return config_error("ringvisor ctl SOCKET COMMAND [ARG] (see ringvisor ctl --help)");
	c = find(argv[optind + 1]);
	if (!c)
		return config_error(
		    "ctl: unknown command '%s' (status, pause, resume, stop, snapshot DIR or migrate URI)",
		    argv[optind + 1]);
	if (argc - optind != (c->arg ? 3 : 2))
		return config_error("ctl %s takes %s", c->name, c->arg ? c->arg_doc + 1 : "no argument");
	status = build_request(c, c->arg ? argv[optind + 2] : NULL, &request);
	if (status)
		return status;
	reply = ctl_exchange(argv[optind], request, timeout_s ? (int)timeout_s * 1000 : -1, why, sizeof(why));
	free(request);
	if (!reply)
		return config_error("%s", why);
	status = report(reply, raw);
	free(reply);
	return status;
}
