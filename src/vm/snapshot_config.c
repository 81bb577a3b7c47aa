#include "vm/snapshot_config.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "loader/loader.h"
#include "vm/memory.h"
#include "x86/cpu_model.h"

#define FORMAT_NAME "ringvisor-snapshot"
/* Linux's COMMAND_LINE_SIZE on x86, as --append takes it. */
#define APPEND_MAX 2047

/* ---- writing ------------------------------------------------------------ */

/* A path as config.json keeps it: absolute where the file exists, so that
 * a restore from another directory finds it. NULL if not UTF-8 (JSON). */
static json_t *path_json(const char *path)
{
	char *abs = realpath(path, NULL);
	json_t *v = json_string(abs ? abs : path);

	free(abs);
	return v;
}

/* json_object_set_new that remembers a NULL value (out of memory, a string
 * not UTF-8) in *bad instead of failing quietly. */
static void set(json_t *obj, const char *key, json_t *value, bool *bad)
{
	if (!value || json_object_set_new(obj, key, value))
		*bad = true;
}

static json_t *boot_json(const struct load_request *b, bool *bad)
{
	json_t *o = json_object();

	if (!o) {
		*bad = true;
		return NULL;
	}
	if (b->kernel_path)
		set(o, "kernel", path_json(b->kernel_path), bad);
	if (b->initrd_path)
		set(o, "initrd", path_json(b->initrd_path), bad);
	if (b->cmdline)
		set(o, "append", json_string(b->cmdline), bad);
	set(o, "format", json_string(kernel_format_name(b->format)), bad);
	return o;
}

static json_t *disks_json(const struct vm_config *cfg, bool *bad)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < cfg->ndisks; i++) {
		json_t *d = json_object();

		if (!d || json_array_append_new(a, d)) {
			*bad = true;
			break;
		}
		set(d, "path", path_json(cfg->disks[i].path), bad);
		set(d, "read_only", json_boolean(cfg->disks[i].ro), bad);
	}
	if (!a)
		*bad = true;
	return a;
}

static json_t *address_json(struct in_addr a)
{
	char text[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, text, sizeof(text)) ? json_string(text) : NULL;
}

static json_t *net_json(const struct net_config *net, bool *bad)
{
	json_t *o = json_object(), *fwd;

	if (!o) {
		*bad = true;
		return NULL;
	}
	set(o, "mode", json_string(net->user ? "user" : "none"), bad);
	if (!net->user)
		return o;
	fwd = json_array();
	set(o, "hostfwd", fwd, bad);
	for (unsigned i = 0; fwd && i < net->nfwd; i++) {
		const struct net_hostfwd *f = &net->fwd[i];
		json_t *r = json_object();

		if (!r || json_array_append_new(fwd, r)) {
			*bad = true;
			break;
		}
		set(r, "protocol", json_string(f->udp ? "udp" : "tcp"), bad);
		set(r, "host_addr", address_json(f->host_addr), bad);
		set(r, "host_port", json_integer(f->host_port), bad);
		set(r, "guest_addr", address_json(f->guest_addr), bad);
		set(r, "guest_port", json_integer(f->guest_port), bad);
	}
	return o;
}

char *snapshot_config_json(const struct vm_config *cfg, char *why, size_t why_len)
{
	json_t *root, *version, *consoles;
	bool bad;
	char *text = NULL;

	if (!cfg->engine || !cfg->cpu_model) {
		snprintf(why, why_len, "internal error: a snapshot of a machine without an engine");
		return NULL;
	}
	root = json_object();
	version = json_object();
	consoles = json_object();
	bad = !root;
	if (!bad) {
		set(root, "format", json_string(FORMAT_NAME), &bad);
		set(version, "major", json_integer(SNAPSHOT_CONFIG_MAJOR), &bad);
		set(version, "minor", json_integer(SNAPSHOT_CONFIG_MINOR), &bad);
		set(root, "version", version, &bad);
		set(root, "engine", json_string(cfg->engine->name), &bad);
		set(root, "cpu", json_string(cfg->cpu_model->name), &bad);
		set(root, "memory_bytes", json_integer((json_int_t)cfg->mem_size), &bad);
		set(root, "boot", boot_json(&cfg->boot, &bad), &bad);
		set(root, "rng", json_boolean(cfg->rng), &bad);
		set(consoles, "com1", json_true(), &bad);
		set(consoles, "virtio", json_boolean(cfg->virtio_console), &bad);
		set(root, "consoles", consoles, &bad);
		set(root, "disks", disks_json(cfg, &bad), &bad);
		set(root, "net", net_json(&cfg->net, &bad), &bad);
	} else {
		json_decref(version);
		json_decref(consoles);
	}
	if (!bad)
		text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!text)
		snprintf(why, why_len, "cannot write config.json (out of memory, or a path that is not UTF-8)");
	return text;
}

/* ---- reading ------------------------------------------------------------ */

/* Each getter sets why and returns -1 on the first problem. */
struct reader {
	char *why;
	size_t why_len;
};

__attribute__((format(printf, 2, 3))) static int refuse(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, r->why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int get(struct reader *r, json_t *obj, const char *key, json_type type, const char *what, json_t **out)
{
	*out = json_object_get(obj, key);
	if (!*out)
		return refuse(r, "config.json: '%s' is missing", key);
	if (json_typeof(*out) != type) {
		snprintf(r->why, r->why_len, "config.json: '%s' is not %s", key, what);
		return -1;
	}
	return 0;
}

static int get_bool(struct reader *r, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return refuse(r, "config.json: '%s' is missing", key);
	if (!json_is_boolean(v))
		return refuse(r, "config.json: '%s' is not true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int get_uint(struct reader *r, json_t *obj, const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
	json_t *v;

	if (get(r, obj, key, JSON_INTEGER, "a whole number", &v))
		return -1;
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < min || (uint64_t)json_integer_value(v) > max)
		return refuse(r, "config.json: '%s' is out of range", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* A string of at most max bytes with no NUL in it. */
static int get_text(struct reader *r, json_t *obj, const char *key, size_t max, const char **out)
{
	json_t *v;

	if (get(r, obj, key, JSON_STRING, "a string", &v))
		return -1;
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v) ||
	    !json_string_length(v))
		return refuse(r, "config.json: '%s' is empty, too long or holds a NUL", key);
	*out = json_string_value(v);
	return 0;
}

static int get_name(struct reader *r, json_t *obj, const char *key, char *buf)
{
	const char *s;

	if (get_text(r, obj, key, SNAPSHOT_NAME_MAX, &s))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* An optional string, copied. */
static int get_copy(struct reader *r, json_t *obj, const char *key, size_t max, char **out)
{
	const char *s;

	if (!json_object_get(obj, key))
		return 0;
	if (get_text(r, obj, key, max, &s))
		return -1;
	*out = strdup(s);
	if (!*out)
		return refuse(r, "config.json: out of memory for '%s'", key);
	return 0;
}

static int read_version(struct reader *r, json_t *root, struct snapshot_config *c)
{
	json_t *format = json_object_get(root, "format"), *version;
	uint64_t major, minor;

	if (!json_is_string(format) || strcmp(json_string_value(format), FORMAT_NAME) != 0)
		return refuse(r, "config.json: not a Ringvisor snapshot ('format' is not \"%s\")", FORMAT_NAME);
	if (get(r, root, "version", JSON_OBJECT, "an object", &version) ||
	    get_uint(r, version, "major", 0, UINT32_MAX, &major) ||
	    get_uint(r, version, "minor", 0, UINT32_MAX, &minor))
		return -1;
	if (major != SNAPSHOT_CONFIG_MAJOR) {
		snprintf(r->why, r->why_len, "config.json is of format version %u.%u; this build reads %d.x",
			 (unsigned)major, (unsigned)minor, SNAPSHOT_CONFIG_MAJOR);
		return -1;
	}
	c->major = (unsigned)major;
	c->minor = (unsigned)minor;
	return 0;
}

static int read_boot(struct reader *r, json_t *root, struct snapshot_config *c)
{
	json_t *boot;
	const char *format;

	if (get(r, root, "boot", JSON_OBJECT, "an object", &boot) ||
	    get_copy(r, boot, "kernel", PATH_MAX, &c->kernel) || get_copy(r, boot, "initrd", PATH_MAX, &c->initrd) ||
	    get_copy(r, boot, "append", APPEND_MAX, &c->append) || get_text(r, boot, "format", 16, &format))
		return -1;
	if (kernel_format_parse(format, &c->format))
		return refuse(r, "config.json: unknown boot format '%s'", format);
	return 0;
}

static int read_disks(struct reader *r, json_t *root, struct snapshot_config *c)
{
	json_t *disks, *d;
	size_t i;

	if (get(r, root, "disks", JSON_ARRAY, "an array", &disks))
		return -1;
	if (json_array_size(disks) > VM_MAX_DISKS) {
		snprintf(r->why, r->why_len, "config.json: more than %d disks", VM_MAX_DISKS);
		return -1;
	}
	json_array_foreach(disks, i, d)
	{
		const char *path;

		if (!json_is_object(d))
			return refuse(r, "config.json: '%s' holds something that is not an object", "disks");
		if (get_text(r, d, "path", PATH_MAX, &path) || get_bool(r, d, "read_only", &c->disks[i].ro))
			return -1;
		c->disks[i].path = strdup(path);
		if (!c->disks[i].path)
			return refuse(r, "config.json: out of memory for '%s'", "path");
		c->ndisks++;
	}
	return 0;
}

static int get_address(struct reader *r, json_t *obj, const char *key, struct in_addr *a)
{
	const char *s;

	if (get_text(r, obj, key, INET_ADDRSTRLEN, &s))
		return -1;
	if (inet_pton(AF_INET, s, a) != 1)
		return refuse(r, "config.json: '%s' is not an IPv4 address", key);
	return 0;
}

static int read_hostfwd(struct reader *r, json_t *f, struct net_hostfwd *out)
{
	const char *proto;
	uint64_t hp, gp;

	if (!json_is_object(f))
		return refuse(r, "config.json: '%s' holds something that is not an object", "hostfwd");
	if (get_text(r, f, "protocol", 3, &proto) || get_address(r, f, "host_addr", &out->host_addr) ||
	    get_uint(r, f, "host_port", 1, 65535, &hp) || get_address(r, f, "guest_addr", &out->guest_addr) ||
	    get_uint(r, f, "guest_port", 1, 65535, &gp))
		return -1;
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
		return refuse(r, "config.json: '%s' is not tcp or udp", "protocol");
	out->udp = proto[0] == 'u';
	out->host_port = (uint16_t)hp;
	out->guest_port = (uint16_t)gp;
	return 0;
}

static int read_net(struct reader *r, json_t *root, struct snapshot_config *c)
{
	json_t *net, *fwd, *f;
	const char *mode;
	size_t i;

	if (get(r, root, "net", JSON_OBJECT, "an object", &net) || get_text(r, net, "mode", 8, &mode))
		return -1;
	if (strcmp(mode, "none") == 0)
		return 0;
	if (strcmp(mode, "user") != 0)
		return refuse(r, "config.json: network mode '%s' is not user or none", mode);
	c->net.user = true;
	if (get(r, net, "hostfwd", JSON_ARRAY, "an array", &fwd))
		return -1;
	if (json_array_size(fwd) > NET_MAX_HOSTFWD) {
		snprintf(r->why, r->why_len, "config.json: more than %d hostfwd rules", NET_MAX_HOSTFWD);
		return -1;
	}
	json_array_foreach(fwd, i, f)
	{
		if (read_hostfwd(r, f, &c->net.fwd[i]))
			return -1;
		c->net.nfwd++;
	}
	return 0;
}

static int read_machine(struct reader *r, json_t *root, struct snapshot_config *c)
{
	json_t *consoles;

	if (read_version(r, root, c) || get_name(r, root, "engine", c->engine) || get_name(r, root, "cpu", c->cpu) ||
	    get_uint(r, root, "memory_bytes", MEM_MIN_SIZE, MEM_MAX_SIZE, &c->mem_size))
		return -1;
	if (c->mem_size % 4096)
		return refuse(r, "config.json: '%s' is not a whole number of pages", "memory_bytes");
	if (read_boot(r, root, c) || get_bool(r, root, "rng", &c->rng) ||
	    get(r, root, "consoles", JSON_OBJECT, "an object", &consoles) ||
	    get_bool(r, consoles, "virtio", &c->virtio_console))
		return -1;
	return read_disks(r, root, c) || read_net(r, root, c) ? -1 : 0;
}

/* A reason quotes the file (jansson's text near an error, a value refused):
 * its control bytes become '?', so that it stays one line on a terminal. */
static void one_line(char *why)
{
	for (; *why; why++)
		if ((unsigned char)*why < 0x20 || *why == 0x7f)
			*why = '?';
}

int snapshot_config_parse(const char *text, size_t len, struct snapshot_config *out, char *why, size_t why_len)
{
	struct reader r = { why, why_len };
	json_error_t err;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		snprintf(why, why_len, "config.json: line %d: %s", err.line, err.text);
		one_line(why);
		return -1;
	}
	rc = json_is_object(root) ? read_machine(&r, root, out) : refuse(&r, "config.json: %s", "not a JSON object");
	json_decref(root);
	if (rc) {
		snapshot_config_free(out);
		one_line(why);
	}
	return rc;
}

void snapshot_config_free(struct snapshot_config *c)
{
	free(c->kernel);
	free(c->initrd);
	free(c->append);
	for (unsigned i = 0; i < c->ndisks; i++)
		free(c->disks[i].path);
	memset(c, 0, sizeof(*c));
}

void snapshot_config_to_vm(const struct snapshot_config *c, struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = c->mem_size;
	cfg->boot = (struct load_request){
		.kernel_path = c->kernel, .initrd_path = c->initrd, .cmdline = c->append, .format = c->format
	};
	cfg->rng = c->rng;
	cfg->virtio_console = c->virtio_console;
	cfg->ndisks = c->ndisks;
	for (unsigned i = 0; i < c->ndisks; i++)
		cfg->disks[i] = (struct disk_config){ .path = c->disks[i].path, .ro = c->disks[i].ro };
	cfg->net = c->net;
	cfg->dbt_traces = -1;
}
