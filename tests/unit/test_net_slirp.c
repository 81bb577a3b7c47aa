/* User networking's back end (src/host/net_slirp.c) without a NIC: frames go
 * in through its struct netdev and come out through a recording
 * net_receiver. Expected values from the protocols (RFC 826 ARP; Ethernet
 * type 0x0806 ARP, 0x0800 IPv4; IPv4 protocol 6 TCP, SYN flag 0x02) and from
 * QEMU's user network that vm/net_config.h documents (host 10.0.2.2, guest
 * 10.0.2.15). */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/event_loop.h"
#include "host/net_slirp.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t host_ip[4] = { 10, 0, 2, 2 };
static const uint8_t guest_ip[4] = { 10, 0, 2, 15 };

struct recorder {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t frame[2048];
	size_t len;
	unsigned frames;
};

static void record(void *opaque, const uint8_t *frame, size_t len)
{
	struct recorder *r = opaque;

	pthread_mutex_lock(&r->lock);
	r->len = len < sizeof(r->frame) ? len : sizeof(r->frame);
	memcpy(r->frame, frame, r->len);
	r->frames++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

struct fixture {
	struct net_slirp ns;
	struct recorder rec;
};

static int setup_with(void **state, const struct net_config *cfg)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char why[256];

	if (!f)
		return -1;
	pthread_mutex_init(&f->rec.lock, NULL);
	pthread_cond_init(&f->rec.cond, NULL);
	if (net_slirp_init(&f->ns, cfg, (struct net_receiver){ .receive = record, .opaque = &f->rec }, why,
			   sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	const struct net_config cfg = { .user = true };

	return setup_with(state, &cfg);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	net_slirp_destroy(&f->ns);
	pthread_cond_destroy(&f->rec.cond);
	pthread_mutex_destroy(&f->rec.lock);
	free(f);
	return 0;
}

/* An ARP request from the guest (RFC 826 layout) for target_ip. */
static size_t arp_request(uint8_t *f, const uint8_t target_ip[4])
{
	static const uint8_t head[] = { 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 }; /* Ethernet, IPv4, request */

	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, head, sizeof(head));
	memcpy(f + 22, guest_mac, 6);
	memcpy(f + 28, guest_ip, 4);
	memcpy(f + 38, target_ip, 4);
	return 60;
}

static void test_slirp_answers_the_guests_arp_for_the_gateway(void **state)
{
	struct fixture *f = *state;
	struct netdev nd = net_slirp_netdev(&f->ns);
	uint8_t frame[60];

	netdev_send(&nd, frame, arp_request(frame, host_ip));
	assert_int_equal(f->rec.frames, 1);
	assert_memory_equal(f->rec.frame, guest_mac, 6); /* to the guest */
	assert_int_equal(f->rec.frame[12], 0x08);
	assert_int_equal(f->rec.frame[13], 0x06);
	assert_int_equal(f->rec.frame[21], 2);			  /* a reply */
	assert_memory_equal(f->rec.frame + 28, host_ip, 4);	  /* sender: the gateway */
	assert_memory_equal(f->rec.frame + 38, guest_ip, 4);	  /* target: the guest */
	assert_memory_equal(f->rec.frame + 32, guest_mac, 6);	  /* target MAC */
	assert_memory_not_equal(f->rec.frame + 22, guest_mac, 6); /* the gateway has a MAC of its own */
}

static void test_slirp_ignores_runts_and_garbage(void **state)
{
	struct fixture *f = *state;
	struct netdev nd = net_slirp_netdev(&f->ns);
	uint8_t junk[64];

	memset(junk, 0xa5, sizeof(junk));
	netdev_send(&nd, junk, 1);
	netdev_send(&nd, junk, sizeof(junk));
	junk[12] = 0x08;
	junk[13] = 0x00; /* "IPv4" with a nonsense header */
	netdev_send(&nd, junk, sizeof(junk));
	assert_int_equal(f->rec.frames, 0);
}

/* A port that nothing listens on now. */
static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static struct net_config forward_to_guest(uint16_t host_port)
{
	struct net_config cfg = { .user = true, .nfwd = 1 };

	cfg.fwd[0] = (struct net_hostfwd){ .host_addr.s_addr = htonl(INADDR_LOOPBACK),
					   .guest_addr.s_addr = htonl(NET_USER_GUEST),
					   .host_port = host_port,
					   .guest_port = 22 };
	return cfg;
}

static void test_slirp_refuses_a_host_port_in_use(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct net_config cfg;
	struct net_slirp ns;
	char why[256] = "";

	(void)state;
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	cfg = forward_to_guest(ntohs(a.sin_port));
	assert_int_equal(net_slirp_init(&ns, &cfg, (struct net_receiver){ 0 }, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot listen there"));
	close(s);
}

/* The whole path through the I/O thread's loop: a host connection to the
 * forwarded port is accepted by slirp's poller, which then reaches for the
 * guest (an ARP request for 10.0.2.15, or a TCP SYN once it knows the MAC). */
static void test_slirp_poller_accepts_a_forwarded_connection(void **state)
{
	uint16_t port = free_port();
	struct net_config cfg = forward_to_guest(port);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct event_loop loop;
	struct fixture *f;
	struct timespec deadline;
	int s;

	assert_int_equal(setup_with(state, &cfg), 0);
	f = *state;
	assert_int_equal(event_loop_init(&loop), 0);
	assert_int_equal(event_loop_add_poller(&loop, &f->ns.poller), 0);
	assert_int_equal(event_loop_start(&loop), 0);
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	pthread_mutex_lock(&f->rec.lock);
	while (!f->rec.frames && pthread_cond_timedwait(&f->rec.cond, &f->rec.lock, &deadline) == 0)
		;
	pthread_mutex_unlock(&f->rec.lock);
	event_loop_destroy(&loop);
	close(s);
	assert_true(f->rec.frames >= 1);
	if (f->rec.frame[12] == 0x08 && f->rec.frame[13] == 0x06) {
		assert_int_equal(f->rec.frame[21], 1); /* who-has */
		assert_memory_equal(f->rec.frame + 38, guest_ip, 4);
	} else {
		assert_int_equal(f->rec.frame[13], 0x00); /* IPv4 */
		assert_int_equal(f->rec.frame[23], 6);	  /* TCP */
		assert_memory_equal(f->rec.frame + 30, guest_ip, 4);
		assert_int_equal(f->rec.frame[34 + 13] & 0x02, 0x02); /* SYN */
	}
	teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slirp_answers_the_guests_arp_for_the_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slirp_ignores_runts_and_garbage, setup, teardown),
		cmocka_unit_test(test_slirp_refuses_a_host_port_in_use),
		cmocka_unit_test(test_slirp_poller_accepts_a_forwarded_connection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
