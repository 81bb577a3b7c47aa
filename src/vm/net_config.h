/* What `--net` asks for (cli/net_option.c parses it): no network, or user
 * networking (libslirp, host/net_slirp.c) with host ports forwarded into the
 * guest. Addresses in network byte order. */
#ifndef RV_NET_CONFIG_H
#define RV_NET_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define NET_MAX_HOSTFWD 16
/* The addresses QEMU's user networking gives, which users expect: the network
 * 10.0.2.0/24, the host (gateway) 10.0.2.2, DNS 10.0.2.3, and the guest's
 * DHCP address 10.0.2.15. Host byte order. */
#define NET_USER_NETWORK 0x0a000200u
#define NET_USER_NETMASK 0xffffff00u
#define NET_USER_HOST 0x0a000202u
#define NET_USER_DNS 0x0a000203u
#define NET_USER_GUEST 0x0a00020fu

struct net_hostfwd {
	bool udp;
	struct in_addr host_addr;  /* INADDR_ANY when not given */
	struct in_addr guest_addr; /* the DHCP guest address when not given */
	uint16_t host_port, guest_port;
};

struct net_config {
	bool user; /* --net user; false: --net none, the default */
	unsigned nfwd;
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];
};

#endif
