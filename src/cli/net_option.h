/* `--net`, spelled as QEMU spells its user network:
 *   --net none      no network device (the default)
 *   --net user[,hostfwd=RULE]...
 * where RULE is [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT: the host
 * listens on HOSTADDR:HOSTPORT (all addresses when empty; tcp when the
 * protocol is empty) and forwards into the guest's GUESTADDR:GUESTPORT (its
 * DHCP address 10.0.2.15 when empty). */
#ifndef RV_NET_OPTION_H
#define RV_NET_OPTION_H

#include "vm/net_config.h"

/* 0 with *cfg filled, or STATUS_CONFIG after the one line on stderr. */
int net_option_parse(const char *arg, struct net_config *cfg);

#endif
