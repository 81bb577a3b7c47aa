/* `--net` (src/cli/net_option.c), spelled as QEMU spells user networking:
 * none, or user[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...;
 * an empty host address is any, an empty guest address the guest's DHCP
 * address 10.0.2.15, an empty protocol tcp. Errors are status 2. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/net_option.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_net_none_is_no_network(void **state)
{
	struct net_config cfg;

	(void)state;
	assert_int_equal(net_option_parse("none", &cfg), 0);
	assert_false(cfg.user);
	assert_int_equal(cfg.nfwd, 0);
}

static void test_net_user_alone_has_no_forwards(void **state)
{
	struct net_config cfg;

	(void)state;
	assert_int_equal(net_option_parse("user", &cfg), 0);
	assert_true(cfg.user);
	assert_int_equal(cfg.nfwd, 0);
}

static void test_net_hostfwd_defaults_fill_empty_fields(void **state)
{
	struct net_config cfg;

	(void)state;
	assert_int_equal(net_option_parse("user,hostfwd=tcp::2222-:22", &cfg), 0);
	assert_int_equal(cfg.nfwd, 1);
	assert_false(cfg.fwd[0].udp);
	assert_int_equal(cfg.fwd[0].host_addr.s_addr, ip("0.0.0.0"));
	assert_int_equal(cfg.fwd[0].host_port, 2222);
	assert_int_equal(cfg.fwd[0].guest_addr.s_addr, ip("10.0.2.15"));
	assert_int_equal(cfg.fwd[0].guest_port, 22);
}

static void test_net_hostfwd_takes_addresses_udp_and_repeats(void **state)
{
	struct net_config cfg;

	(void)state;
	assert_int_equal(
	    net_option_parse("user,hostfwd=udp:127.0.0.1:5353-10.0.2.16:53,hostfwd=:127.0.0.2:80-:8080", &cfg), 0);
	assert_int_equal(cfg.nfwd, 2);
	assert_true(cfg.fwd[0].udp);
	assert_int_equal(cfg.fwd[0].host_addr.s_addr, ip("127.0.0.1"));
	assert_int_equal(cfg.fwd[0].host_port, 5353);
	assert_int_equal(cfg.fwd[0].guest_addr.s_addr, ip("10.0.2.16"));
	assert_int_equal(cfg.fwd[0].guest_port, 53);
	assert_false(cfg.fwd[1].udp); /* an empty protocol is tcp */
	assert_int_equal(cfg.fwd[1].host_addr.s_addr, ip("127.0.0.2"));
	assert_int_equal(cfg.fwd[1].guest_port, 8080);
}

static void test_net_bad_spellings_are_configuration_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"users",
		"tap",
		"user,",
		"user,hostfwd",
		"user,hostfwd=",
		"user,restrict=on",
		"user,hostfwd=tcp::0-:22",
		"user,hostfwd=tcp::22-:0",
		"user,hostfwd=tcp::65536-:22",
		"user,hostfwd=tcp::-22-:22",
		"user,hostfwd=tcp::22",
		"user,hostfwd=tcp:22-:22",
		"user,hostfwd=sctp::22-:22",
		"user,hostfwd=tcp:localhost:22-:22",
		"user,hostfwd=tcp::22-:22x",
		"user,hostfwd=tcp::22-10.0.2:22",
	};
	struct net_config cfg;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (net_option_parse(bad[i], &cfg) != 2)
			fail_msg("'%s' was accepted", bad[i]);
	}
}

static void test_net_too_many_forwards_is_an_error(void **state)
{
	char arg[2048] = "user";
	struct net_config cfg;

	(void)state;
	for (unsigned i = 0; i <= NET_MAX_HOSTFWD; i++)
		snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg), ",hostfwd=tcp::%u-:22", 1000 + i);
	assert_int_equal(net_option_parse(arg, &cfg), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_none_is_no_network),
		cmocka_unit_test(test_net_user_alone_has_no_forwards),
		cmocka_unit_test(test_net_hostfwd_defaults_fill_empty_fields),
		cmocka_unit_test(test_net_hostfwd_takes_addresses_udp_and_repeats),
		cmocka_unit_test(test_net_bad_spellings_are_configuration_errors),
		cmocka_unit_test(test_net_too_many_forwards_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
