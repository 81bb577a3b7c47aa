/* ringvisor run --incoming tcp:HOST:PORT [OPTIONS]: the destination of a
 * live migration (docs/migration.md). Listens, takes one connection, builds
 * the VM the stream's config describes (with the command line's options
 * that do not shape a machine, as restore does), writes RAM as the pages
 * come, loads the state, answers ready, and runs the guest only once the
 * source has said go. Anything wrong before that is one line on stderr and
 * status 2, and the guest never runs. */
#include "cli/run_incoming.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_server.h"
#include "cli/commands.h"
#include "cli/snapshot_options.h"
#include "cli/vm_session.h"
#include "host/clock.h"
#include "host/tcp.h"
#include "log.h"
#include "migration/migration_recv.h"
#include "vm/dirty_log.h"
#include "vm/snapshot_restore.h"
#include "vm/virtio_setup.h"
#include "vm/vm.h"

/* How long the destination waits for the source's go after its ready: the
 * source sends it at once. */
#define GO_TIMEOUT_MS 30000

struct incoming {
	struct run_options *o;
	struct vm vm;
	char auto_skipped[1024];
	bool built;
	int config_status; /* the options refused the machine: the line is out */
};

static int sink_build(void *opaque, const struct snapshot_config *c, uint64_t *pages, char *why, size_t why_len)
{
	struct incoming *in = opaque;

	in->config_status = snapshot_options_apply(in->o, c, in->auto_skipped, sizeof(in->auto_skipped));
	if (in->config_status) {
		snprintf(why, why_len, "the destination's options refuse this machine");
		return -1;
	}
	if (in->o->cfg.trace)
		log_set_level(LOG_INFO);
	/* The source holds the disk images' locks until it says go. */
	in->o->cfg.disks_lock_later = true;
	if (vm_create_incoming(&in->vm, &in->o->cfg, why, why_len)) {
		vm_destroy(&in->vm);
		return -1;
	}
	in->built = true;
	*pages = vm_dirty_log_pages(&in->vm);
	return 0;
}

static uint8_t *sink_page(void *opaque, uint64_t index)
{
	struct incoming *in = opaque;
	struct guest_memory *mem = &in->vm.mem;

	return guest_memory_ptr(mem, guest_memory_gpa_of_offset(mem, index * MIG_PAGE_SIZE), MIG_PAGE_SIZE);
}

static int sink_load_state(void *opaque, const void *state, size_t len, char *why, size_t why_len)
{
	struct incoming *in = opaque;

	return vm_state_load(&in->vm, state, len, why, why_len);
}

static void sink_discard(void *opaque)
{
	struct incoming *in = opaque;

	vm_destroy(&in->vm);
	in->built = false;
}

/* The refusal to the source (it may be gone already), then the line here. */
static int refuse(struct incoming *in, struct mig_writer *w, const char *why)
{
	mig_put_refused(w, why);
	mig_flush(w);
	if (in->config_status)
		return in->config_status;
	return config_error("incoming migration: %s", why);
}

/* Ready, then the go: 0, or -1 with a reason. */
static int handshake(struct mig_writer *w, struct mig_reader *r, struct mig_tcp_channel *t, char *why, size_t why_len)
{
	uint8_t go;

	mig_put_le(w, MIG_REPLY_READY, 1);
	if (mig_flush(w)) {
		snprintf(why, why_len, "cannot say ready to the source: %s", w->why);
		return -1;
	}
	t->timeout_ms = GO_TIMEOUT_MS;
	go = (uint8_t)mig_get_le(r, 1);
	if (r->failed || go != MIG_REC_GO) {
		snprintf(why, why_len, "the source did not say go (%s)", r->failed ? r->why : "another record came");
		return -1;
	}
	return 0;
}

static void print_received(const struct mig_recv_stats *st, uint64_t ns)
{
	fprintf(stderr,
		"incoming            %.1f MiB in %.1f ms: %llu page records (%llu zero) in %u rounds, %llu bytes of "
		"state\n",
		(double)st->bytes / (1 << 20), (double)ns / 1e6, (unsigned long long)st->pages,
		(unsigned long long)st->zero_pages, st->rounds, (unsigned long long)st->state_bytes);
}

/* One connection, whole: the stream, ready, go. The VM built and loaded,
 * or the status after the one line (nothing left built). */
static int receive(struct incoming *in, int fd, struct snapshot_config *snap, uint64_t *go_ns)
{
	const struct mig_sink sink = { .build = sink_build,
				       .page = sink_page,
				       .load_state = sink_load_state,
				       .discard = sink_discard,
				       .opaque = in };
	struct mig_tcp_channel t;
	struct mig_channel ch;
	struct mig_recv_stats st;
	struct mig_reader *r = malloc(sizeof(*r));
	struct mig_writer w;
	uint64_t t0 = monotonic_ns();
	char why[512];
	int status = 0;

	mig_tcp_channel_init(&ch, &t, fd, MIG_READ_TIMEOUT_MS);
	if (!r || mig_writer_init(&w, &ch)) {
		free(r);
		return config_error("incoming migration: out of memory");
	}
	mig_reader_init(r, &ch);
	if (migration_receive(r, &sink, snap, &st, why, sizeof(why))) {
		status = refuse(in, &w, why);
	} else if (handshake(&w, r, &t, why, sizeof(why))) {
		sink_discard(in);
		snapshot_config_free(snap);
		status = config_error("incoming migration: %s", why);
	}
	*go_ns = monotonic_ns();
	if (!status && in->o->cfg.stats)
		print_received(&st, *go_ns - t0);
	mig_writer_free(&w);
	free(r);
	return status;
}

/* --api-sock is created only once the guest may run, after the go: a path
 * that would be refused then (not a socket, served by another process, in
 * a missing directory) is refused now, before the source has sent a byte,
 * by creating the socket and removing it again. */
static int check_api_sock(const char *path)
{
	struct api_server api;
	char why[512];
	int status = 0;

	if (!path)
		return 0;
	if (api_server_open(&api, path, why, sizeof(why)))
		status = config_error("--api-sock: %s", why);
	api_server_close(&api);
	return status;
}

/* Listens and takes the one connection: its descriptor, or -1 after the
 * one line (*status). */
static int accept_source(const char *uri, int *status)
{
	char host[TCP_HOST_MAX + 1], why[512];
	uint16_t port;
	int lfd, fd;

	if (tcp_uri_parse(uri, host, &port, why, sizeof(why)) || (lfd = tcp_listen(host, port, why, sizeof(why))) < 0) {
		*status = config_error("--incoming: %s", why);
		return -1;
	}
	fprintf(stderr, "ringvisor: waiting for a migration on %s\n", uri);
	fd = tcp_accept(lfd, why, sizeof(why));
	close(lfd);
	if (fd < 0)
		*status = config_error("incoming migration: %s", why);
	return fd;
}

int run_incoming(struct run_options *o, int argc, char **argv)
{
	struct snapshot_config snap = { 0 };
	struct incoming *in;
	uint64_t start, go_ns = 0;
	char why[512];
	int status = 0, fd;

	if (o->first_arg < argc)
		return config_error("--incoming takes no kernel ('%s'): the machine comes from the source",
				    argv[o->first_arg]);
	if (o->machine_option)
		return config_error("--%s cannot be given with --incoming: the source's machine is migrated",
				    o->machine_option);
	o->mode = RUN_OPTIONS_INCOMING;
	status = check_api_sock(o->cfg.api_sock);
	if (status)
		return status;
	fd = accept_source(o->incoming, &status);
	if (fd < 0)
		return status;
	start = monotonic_ns();
	in = calloc(1, sizeof(*in));
	if (!in) {
		close(fd);
		return config_error("incoming migration: out of memory");
	}
	in->o = o;
	status = receive(in, fd, &snap, &go_ns);
	close(fd);
	if (!status && vm_disks_lock(&in->vm, why, sizeof(why))) {
		/* Someone else took an image between the source's hand-over
		 * and now: the guest cannot run anywhere (docs/migration.md). */
		vm_destroy(&in->vm);
		snapshot_config_free(&snap);
		status = config_error("incoming migration: %s: the guest cannot run", why);
	}
	if (!status) {
		struct vm_session_start from = {
			.what = "incoming", .loaded_ns = go_ns - start, .start_ns = go_ns, .since = " from the go"
		};

		status = vm_session_run(&in->vm, in->auto_skipped, &from);
		snapshot_config_free(&snap);
	}
	free(in);
	return status;
}
