#include "host/net_slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libslirp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "host/clock.h"

#define GUEST_ERROR_LOG_LINES 8

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *ns = opaque;

	net_receiver_deliver(&ns->guest, buf, len);
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	struct net_slirp *ns = opaque;

	if (log_ratelimit_allow(&ns->log))
		log_warn("user network: %s", msg);
}

static int64_t clock_get_ns(void *opaque)
{
	(void)opaque;
	return (int64_t)monotonic_ns();
}

static struct net_slirp_timer *timer_alloc(struct net_slirp *ns)
{
	for (unsigned i = 0; i < NET_SLIRP_TIMERS; i++) {
		if (!ns->timers[i].used) {
			ns->timers[i] = (struct net_slirp_timer){ .used = true };
			return &ns->timers[i];
		}
	}
	log_warn("user network: more than %d timers; one will never fire", NET_SLIRP_TIMERS);
	return NULL;
}

static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp_timer *t = timer_alloc(opaque);

	if (t) {
		t->cb = cb;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_slirp_timer *t = timer_alloc(opaque);

	if (t) {
		t->id = (int)id;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void timer_free(void *timer, void *opaque)
{
	struct net_slirp_timer *t = timer;

	(void)opaque;
	if (t)
		t->used = t->armed = false;
}

/* expire_ms: on clock_get_ns's clock, in milliseconds. */
static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct net_slirp_timer *t = timer;

	(void)opaque;
	if (t) {
		t->expire_ms = expire_ms;
		t->armed = true;
	}
}

/* Sockets are handed over before every wait (prepare), so their coming and
 * going needs no bookkeeping, and the loop's own thread needs no kick. */
static void poll_fd_changed(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void nothing_to_kick(void *opaque)
{
	(void)opaque;
}

static const SlirpCb callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_get_ns,
	.timer_new = timer_new,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.register_poll_fd = poll_fd_changed,
	.unregister_poll_fd = poll_fd_changed,
	.notify = nothing_to_kick,
	.timer_new_opaque = timer_new_opaque,
};

static const struct {
	int slirp;
	short poll;
} event_map[] = {
	{ SLIRP_POLL_IN, POLLIN },   { SLIRP_POLL_OUT, POLLOUT }, { SLIRP_POLL_PRI, POLLPRI },
	{ SLIRP_POLL_ERR, POLLERR }, { SLIRP_POLL_HUP, POLLHUP },
};

static int add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *ns = opaque;
	short e = 0;

	for (unsigned i = 0; i < sizeof(event_map) / sizeof(event_map[0]); i++)
		if (events & event_map[i].slirp)
			e |= event_map[i].poll;
	return event_loop_poll_add(ns->loop, fd, e);
}

static int get_revents(int idx, void *opaque)
{
	struct net_slirp *ns = opaque;
	short e = event_loop_poll_revents(ns->loop, idx);
	int r = 0;

	for (unsigned i = 0; i < sizeof(event_map) / sizeof(event_map[0]); i++)
		if (e & event_map[i].poll)
			r |= event_map[i].slirp;
	return r;
}

static int64_t now_ms(void)
{
	return (int64_t)(monotonic_ns() / 1000000u);
}

/* Lowers *timeout_ms to the first armed timer's expiry. */
static void timers_timeout(struct net_slirp *ns, int *timeout_ms)
{
	int64_t now = now_ms();

	for (unsigned i = 0; i < NET_SLIRP_TIMERS; i++) {
		const struct net_slirp_timer *t = &ns->timers[i];
		int64_t wait;

		if (!t->armed)
			continue;
		wait = t->expire_ms > now ? t->expire_ms - now : 0;
		if (*timeout_ms < 0 || wait < *timeout_ms)
			*timeout_ms = (int)wait;
	}
}

static void timers_run(struct net_slirp *ns)
{
	int64_t now = now_ms();

	for (unsigned i = 0; i < NET_SLIRP_TIMERS; i++) {
		struct net_slirp_timer *t = &ns->timers[i];

		if (!t->armed || t->expire_ms > now)
			continue;
		t->armed = false;
		if (t->cb)
			t->cb(t->cb_opaque);
		else
			slirp_handle_timer(ns->slirp, (SlirpTimerId)t->id, t->cb_opaque);
	}
}

static void prepare(void *opaque, struct event_loop *loop, int *timeout_ms)
{
	struct net_slirp *ns = opaque;
	uint32_t timeout = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;

	ns->loop = loop;
	slirp_pollfds_fill(ns->slirp, &timeout, add_poll, ns);
	*timeout_ms = timeout == UINT32_MAX ? -1 : (int)(timeout > INT32_MAX ? INT32_MAX : timeout);
	timers_timeout(ns, timeout_ms);
}

static void dispatch(void *opaque, struct event_loop *loop)
{
	struct net_slirp *ns = opaque;

	ns->loop = loop;
	slirp_pollfds_poll(ns->slirp, 0, get_revents, ns);
	timers_run(ns);
}

static void from_guest(void *opaque, const uint8_t *frame, size_t len)
{
	struct net_slirp *ns = opaque;

	slirp_input(ns->slirp, frame, (int)len);
}

struct netdev net_slirp_netdev(struct net_slirp *ns)
{
	return (struct netdev){ .send = from_guest, .opaque = ns };
}

static struct in_addr addr(uint32_t host_order)
{
	return (struct in_addr){ .s_addr = htonl(host_order) };
}

static int add_forwards(struct net_slirp *ns, const struct net_config *cfg, char *why, size_t why_len)
{
	for (unsigned i = 0; i < cfg->nfwd; i++) {
		const struct net_hostfwd *f = &cfg->fwd[i];
		char host[INET_ADDRSTRLEN];

		errno = 0;
		if (slirp_add_hostfwd(ns->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr, f->guest_port) == 0)
			continue;
		inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
		snprintf(why, why_len, "--net: hostfwd %s:%s:%u: cannot listen there%s%s", f->udp ? "udp" : "tcp", host,
			 f->host_port, errno ? ": " : " (port in use?)", errno ? strerror(errno) : "");
		return -1;
	}
	return 0;
}

int net_slirp_init(struct net_slirp *ns, const struct net_config *cfg, struct net_receiver guest, char *why,
		   size_t why_len)
{
	SlirpConfig sc = { .version = 4,
			   .in_enabled = true,
			   .vnetwork = addr(NET_USER_NETWORK),
			   .vnetmask = addr(NET_USER_NETMASK),
			   .vhost = addr(NET_USER_HOST),
			   .vdhcp_start = addr(NET_USER_GUEST),
			   .vnameserver = addr(NET_USER_DNS) };

	memset(ns, 0, sizeof(*ns));
	ns->guest = guest;
	ns->log = (struct log_ratelimit)LOG_RATELIMIT_INIT(GUEST_ERROR_LOG_LINES);
	ns->poller = (struct event_poller){ .prepare = prepare, .dispatch = dispatch, .opaque = ns };
	ns->slirp = slirp_new(&sc, &callbacks, ns);
	if (!ns->slirp) {
		snprintf(why, why_len, "--net user: libslirp would not start");
		return -1;
	}
	if (add_forwards(ns, cfg, why, why_len)) {
		net_slirp_destroy(ns);
		return -1;
	}
	return 0;
}

void net_slirp_destroy(struct net_slirp *ns)
{
	if (ns->slirp)
		slirp_cleanup(ns->slirp);
	ns->slirp = NULL;
}
