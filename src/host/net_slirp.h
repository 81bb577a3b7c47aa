/* User networking: libslirp, a TCP/IP stack in the VMM process, as the host
 * side of the guest's network link (`--net user`). The guest sees QEMU's
 * user network (vm/net_config.h: DHCP gives 10.0.2.15, the gateway 10.0.2.2
 * is the host, 10.0.2.3 answers DNS); its connections leave as the VMM's
 * own sockets, and hostfwd rules listen on host ports and connect into the
 * guest. IPv4 only.
 *
 * Everything runs on the I/O thread: the struct event_poller puts slirp's
 * sockets and timers into the I/O thread's loop (slirp_pollfds_fill before
 * each wait, slirp_pollfds_poll after it), frames from the guest come in
 * through the struct netdev (the NIC's work, on that thread), and frames for
 * the guest go out through the struct net_receiver from inside slirp's
 * calls. libslirp is not thread-safe; nothing here is called elsewhere. */
#ifndef RV_HOST_NET_SLIRP_H
#define RV_HOST_NET_SLIRP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/netdev.h"
#include "host/event_loop.h"
#include "log.h"
#include "state/device_state.h"
#include "vm/net_config.h"

#define NET_SLIRP_TIMERS 8

struct Slirp;

struct net_slirp_timer {
	bool used, armed;
	int64_t expire_ms;
	/* What slirp asked to be called: a callback (timer_new), or an id for
	 * slirp_handle_timer (timer_new_opaque). */
	void (*cb)(void *cb_opaque);
	int id;
	void *cb_opaque;
};

struct net_slirp {
	struct Slirp *slirp;
	struct net_receiver guest;  /* where frames for the guest go */
	struct event_poller poller; /* register on the I/O thread's loop */
	struct event_loop *loop;    /* the loop being prepared or dispatched */
	struct net_slirp_timer timers[NET_SLIRP_TIMERS];
	struct log_ratelimit log;
};

/* Starts slirp with cfg's forwards. 0, or -1 with a reason in why (a forward
 * whose host port cannot be had, for one). */
int net_slirp_init(struct net_slirp *ns, const struct net_config *cfg, struct net_receiver guest, char *why,
		   size_t why_len);
/* Where the NIC sends the guest's frames. */
struct netdev net_slirp_netdev(struct net_slirp *ns);
void net_slirp_destroy(struct net_slirp *ns);

/* Its saved state (net_slirp_state.c, docs/snapshot-format.md): libslirp's
 * own (slirp_state_save), with its state version, refused if another. */
extern const struct device_state_ops net_slirp_state_ops;

#endif
