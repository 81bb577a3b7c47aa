#include "cli/net_option.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

#define RULE_MAX 128

/* A port 1..65535 spelled in decimal: 0, or -1. */
static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "[ADDR]:PORT": 0, or -1. An empty address leaves *a as it was. */
static int parse_endpoint(char *s, struct in_addr *a, uint16_t *port)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		return -1;
	*colon = '\0';
	if (*s && inet_pton(AF_INET, s, a) != 1)
		return -1;
	return parse_port(colon + 1, port);
}

/* "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" */
static int parse_rule(const char *rule, struct net_hostfwd *f)
{
	char buf[RULE_MAX];
	char *proto_end, *dash;

	if (strlen(rule) >= sizeof(buf))
		return -1;
	strcpy(buf, rule);
	*f = (struct net_hostfwd){ .host_addr.s_addr = htonl(INADDR_ANY), .guest_addr.s_addr = htonl(NET_USER_GUEST) };
	proto_end = strchr(buf, ':');
	if (!proto_end)
		return -1;
	*proto_end = '\0';
	if (strcmp(buf, "udp") == 0)
		f->udp = true;
	else if (buf[0] && strcmp(buf, "tcp") != 0)
		return -1;
	dash = strchr(proto_end + 1, '-');
	if (!dash)
		return -1;
	*dash = '\0';
	return parse_endpoint(proto_end + 1, &f->host_addr, &f->host_port) ||
	       parse_endpoint(dash + 1, &f->guest_addr, &f->guest_port);
}

/* One ",KEY=VALUE" parameter of --net user. */
static int parse_param(const char *param, struct net_config *cfg)
{
	const char *rule;

	if (strncmp(param, "hostfwd=", 8) != 0)
		return config_error("--net user: unknown parameter '%s' (hostfwd=[tcp|udp]:[ADDR]:PORT-[ADDR]:PORT)",
				    param);
	rule = param + 8;
	if (cfg->nfwd == NET_MAX_HOSTFWD)
		return config_error("--net user: more than %d hostfwd rules", NET_MAX_HOSTFWD);
	if (parse_rule(rule, &cfg->fwd[cfg->nfwd]))
		return config_error(
		    "--net user: hostfwd '%s' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", rule);
	cfg->nfwd++;
	return 0;
}

int net_option_parse(const char *arg, struct net_config *cfg)
{
	const char *p;

	memset(cfg, 0, sizeof(*cfg));
	if (strcmp(arg, "none") == 0)
		return 0;
	if (strncmp(arg, "user", 4) != 0 || (arg[4] && arg[4] != ','))
		return config_error("--net: '%s' is not a network (user[,hostfwd=...] or none)", arg);
	cfg->user = true;
	for (p = arg + 4; *p == ',';) {
		size_t len = strcspn(p + 1, ",");
		char param[RULE_MAX + 16];
		int status;

		if (len >= sizeof(param))
			return config_error("--net user: parameter '%.*s...' too long", 16, p + 1);
		memcpy(param, p + 1, len);
		param[len] = '\0';
		status = parse_param(param, cfg);
		if (status)
			return status;
		p += 1 + len;
	}
	return 0;
}
