/* The two directions of a network link between a NIC model and its host
 * back end (user networking, a test's fake): frames the guest sends go to a
 * struct netdev; frames for the guest come back through a struct net_receiver.
 * Whole Ethernet frames without a preamble or FCS. */
#ifndef RV_NETDEV_H
#define RV_NETDEV_H

#include <stddef.h>
#include <stdint.h>

struct netdev {
	void (*send)(void *opaque, const uint8_t *frame, size_t len);
	void *opaque;
};

struct net_receiver {
	void (*receive)(void *opaque, const uint8_t *frame, size_t len);
	void *opaque;
};

static inline void netdev_send(const struct netdev *n, const uint8_t *frame, size_t len)
{
	if (n && n->send)
		n->send(n->opaque, frame, len);
}

static inline void net_receiver_deliver(const struct net_receiver *r, const uint8_t *frame, size_t len)
{
	if (r && r->receive)
		r->receive(r->opaque, frame, len);
}

#endif
