/* The control socket's server (src/api/api_server.c, api_conn.c,
 * api_socket.c) on a real socket with a stub command table: the file it
 * makes and removes, and clients that misbehave — pipelining, stalling,
 * sending 10 MiB, leaving mid-request, never reading, too many at once —
 * while another client keeps being answered. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include <cmocka.h>

#include "api/api_server.h"
#include "api_reply.h"
#include "host/clock.h"
#include "unit_helpers.h"

#define TIMEOUT_MS 300

static int run_ping(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	static unsigned count;

	(void)ctx;
	(void)req;
	(void)err;
	return json_object_set_new(reply, "n", json_integer(++count));
}

static const struct api_command table[] = {
	{ "ping", NULL, run_ping },
	{ NULL, NULL, NULL },
};

struct fixture {
	char dir[64], path[80];
	struct api_server server;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char why[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rv-api-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
	if (api_server_open(&f->server, f->path, why, sizeof(why)))
		fail_msg("api_server_open: %s", why);
	assert_int_equal(api_server_start(&f->server, table, NULL, TIMEOUT_MS), 0);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	api_server_close(&f->server);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int client(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* One reply line within ms, taken apart; NULL if none came (EOF or time). */
static json_t *read_reply(int fd, int ms)
{
	char line[4096];
	size_t len = 0;

	while (len < sizeof(line) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, ms) <= 0 || recv(fd, line + len, 1, 0) != 1)
			return NULL;
		if (line[len++] == '\n') {
			line[len] = '\0';
			return reply_parse(line, len);
		}
	}
	return NULL;
}

/* The server closed the connection within ms, with nothing more sent: end
 * of file, or a reset when it closed with bytes unread. */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return false;
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void expect_pong(int fd)
{
	json_t *r = read_reply(fd, 2000);

	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

static void expect_error(int fd, const char *code, int ms)
{
	json_t *r = read_reply(fd, ms);

	assert_non_null(r);
	assert_string_equal(reply_code(r), code);
	json_decref(r);
}

static void test_api_server_socket_is_private_and_removed_at_close(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	api_server_close(&f->server);
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* The teardown's close again is harmless. */
	api_server_open(&f->server, f->path, (char[64]){ 0 }, 64);
}

static void test_api_server_pipelined_requests_are_answered_in_order(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);
	json_t *r[3];

	send_str(fd, "{\"cmd\":\"ping\"}\n\n  \r\n{\"cmd\":\"nope\"}\n{\"cmd\":\"ping\"}\n");
	for (int i = 0; i < 3; i++)
		assert_non_null(r[i] = read_reply(fd, 2000));
	assert_true(json_is_true(json_object_get(r[0], "ok")));
	assert_string_equal(reply_code(r[1]), API_E_UNKNOWN_COMMAND);
	assert_int_equal(json_integer_value(json_object_get(r[2], "n")),
			 json_integer_value(json_object_get(r[0], "n")) + 1);
	for (int i = 0; i < 3; i++)
		json_decref(r[i]);
	/* Blank lines got no reply: nothing more is waiting. */
	assert_null(read_reply(fd, 100));
	close(fd);
}

static void test_api_server_two_clients_one_stalled_mid_request(void **state)
{
	struct fixture *f = *state;
	int a = client(f->path), b = client(f->path);

	send_str(a, "{\"cmd\":");
	send_str(b, "{\"cmd\":\"ping\"}\n");
	expect_pong(b);
	send_str(a, "\"ping\"}\n");
	expect_pong(a);
	close(a);
	close(b);
}

static void test_api_server_stalled_request_times_out_and_is_closed(void **state)
{
	struct fixture *f = *state;
	int a = client(f->path), b = client(f->path);
	uint64_t t0 = monotonic_ns();

	send_str(a, "{\"cmd\":\"pi");
	expect_error(a, API_E_TIMEOUT, 5 * TIMEOUT_MS);
	assert_true(monotonic_ns() - t0 >= (uint64_t)TIMEOUT_MS * 1000000 * 9 / 10);
	assert_true(closed_within(a, 1000));
	/* An idle client is never timed out. */
	send_str(b, "{\"cmd\":\"ping\"}\n");
	expect_pong(b);
	close(a);
	close(b);
}

static void test_api_server_ten_mib_request_is_refused_without_reading_it_all(void **state)
{
	struct fixture *f = *state;
	int a = client(f->path), b;
	size_t size = 10u << 20, sent = 0;
	char *big = malloc(size);
	json_t *r;

	assert_non_null(big);
	memset(big, 'x', size);
	fcntl(a, F_SETFL, O_NONBLOCK);
	/* Send until the server has stopped reading or gone. */
	for (int idle = 0; sent < size && idle < 20;) {
		ssize_t n = send(a, big + sent, size - sent, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			idle = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break;
		idle++;
		poll(&(struct pollfd){ .fd = a, .events = POLLOUT }, 1, 50);
	}
	fcntl(a, F_SETFL, 0);
	assert_true(sent < size / 4);
	r = read_reply(a, 2000);
	assert_non_null(r);
	assert_string_equal(reply_code(r), API_E_TOO_LARGE);
	json_decref(r);
	assert_true(closed_within(a, 1000));
	close(a);
	free(big);
	b = client(f->path);
	send_str(b, "{\"cmd\":\"ping\"}\n");
	expect_pong(b);
	close(b);
}

static void test_api_server_client_leaving_mid_request_gets_nothing_and_frees_its_place(void **state)
{
	struct fixture *f = *state;
	int fds[API_MAX_CLIENTS];

	for (int round = 0; round < 3; round++)
		for (int i = 0; i < API_MAX_CLIENTS; i++) {
			int fd = client(f->path);

			send_str(fd, "{\"cmd\":\"ping\"");
			close(fd);
		}
	/* Every place is free again: a full house is served. */
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		fds[i] = client(f->path);
	for (int i = 0; i < API_MAX_CLIENTS; i++) {
		send_str(fds[i], "{\"cmd\":\"ping\"}\n");
		expect_pong(fds[i]);
	}
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void test_api_server_one_client_too_many_is_told_busy(void **state)
{
	struct fixture *f = *state;
	int fds[API_MAX_CLIENTS], extra;

	for (int i = 0; i < API_MAX_CLIENTS; i++) {
		fds[i] = client(f->path);
		send_str(fds[i], "{\"cmd\":\"ping\"}\n");
		expect_pong(fds[i]); /* accepted before the next one comes */
	}
	extra = client(f->path);
	expect_error(extra, API_E_BUSY, 2000);
	assert_true(closed_within(extra, 1000));
	close(extra);
	close(fds[0]);
	/* Its place is free once the server has seen it go. */
	for (int tries = 0; tries < 50; tries++) {
		json_t *r;

		extra = client(f->path);
		send_str(extra, "{\"cmd\":\"ping\"}\n");
		r = read_reply(extra, 2000);
		close(extra);
		assert_non_null(r);
		if (json_is_true(json_object_get(r, "ok"))) {
			json_decref(r);
			break;
		}
		json_decref(r);
		assert_true(tries < 49);
		usleep(20000);
	}
	for (int i = 1; i < API_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void test_api_server_client_that_never_reads_is_closed_and_others_served(void **state)
{
	struct fixture *f = *state;
	int a = client(f->path), b = client(f->path);
	static const char req[] = "{\"cmd\":\"ping\"}\n";
	size_t sent = 0;
	bool b_served = false;
	uint64_t t0;

	fcntl(a, F_SETFL, O_NONBLOCK);
	/* Requests until the server cuts this client off (a send fails): it
	 * stops answering once the replies pile up unread, and closes the
	 * connection when none has moved for the time allowed. The first time
	 * a send waits (the server is not taking a's requests), another client
	 * is served at once. Waiting sends are no sign of the cut by
	 * themselves: on a busy host the server may only be slow to read. */
	t0 = monotonic_ns();
	for (;;) {
		if (send(a, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0) {
			sent++;
			continue;
		}
		if (errno != EAGAIN)
			break;
		if (!b_served && sent > 100) {
			const uint64_t t1 = monotonic_ns();

			send_str(b, req);
			expect_pong(b);
			assert_true(monotonic_ns() - t1 < (uint64_t)TIMEOUT_MS * 1000000);
			b_served = true;
		}
		assert_true(monotonic_ns() - t0 < 200ull * TIMEOUT_MS * 1000000);
		poll(&(struct pollfd){ .fd = a, .events = POLLOUT }, 1, 20);
	}
	assert_true(b_served);
	/* Cut off: its socket reads EOF once the replies already sent are
	 * drained, or is reset. */
	fcntl(a, F_SETFL, 0);
	{
		char buf[65536];
		ssize_t n;
		struct pollfd p = { .fd = a, .events = POLLIN };

		do
			n = poll(&p, 1, 2000) == 1 ? recv(a, buf, sizeof(buf), 0) : -2;
		while (n > 0);
		assert_true(n == 0 || n == -1);
	}
	close(a);
	send_str(b, req);
	expect_pong(b);
	close(b);
}

static void test_api_server_end_of_input_answers_whole_requests_only(void **state)
{
	struct fixture *f = *state;
	int a = client(f->path);

	send_str(a, "{\"cmd\":\"ping\"}\n{\"cmd\":\"ping\"}");
	shutdown(a, SHUT_WR);
	expect_pong(a);
	assert_true(closed_within(a, 1000));
	close(a);
}

static void test_api_server_stop_returns_with_clients_connected(void **state)
{
	struct fixture *f = *state;
	int a = client(f->path), b = client(f->path);
	uint64_t t0;

	/* Both accepted (a connection still in the backlog is the listening
	 * socket's, closed by api_server_close). */
	send_str(a, "{\"cmd\":\"ping\"}\n");
	send_str(b, "{\"cmd\":\"ping\"}\n");
	expect_pong(a);
	expect_pong(b);
	send_str(a, "{\"cmd\":");
	t0 = monotonic_ns();
	api_server_stop(&f->server);
	assert_true(monotonic_ns() - t0 < 1000000000ull);
	assert_true(closed_within(a, 1000));
	assert_true(closed_within(b, 1000));
	close(a);
	close(b);
}

/* --- the socket file ----------------------------------------------------- */

static void expect_listen_refused(const char *path, const char *why_part)
{
	struct api_socket_file file;
	char why[256] = "";

	assert_int_equal(api_socket_listen(path, &file, why, sizeof(why)), -1);
	if (!strstr(why, why_part))
		fail_msg("'%s' does not say '%s'", why, why_part);
}

static void test_api_socket_refuses_what_is_not_a_stale_socket(void **state)
{
	struct fixture *f = *state;
	char other[128], longer[200];
	int fd;

	/* Served by the fixture's server: in use. */
	expect_listen_refused(f->path, "another process is serving");
	snprintf(other, sizeof(other), "%s/file", f->dir);
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	expect_listen_refused(other, "exists and is not a socket");
	unlink(other);
	snprintf(other, sizeof(other), "%s/no/such/dir/sock", f->dir);
	expect_listen_refused(other, "cannot create");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	longer[0] = '/';
	expect_listen_refused(longer, "at most 107 bytes");
	expect_listen_refused("", "empty");
}

static void test_api_socket_replaces_a_stale_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct api_socket_file file;
	char path[100], why[256];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* A socket whose process ended without removing it. */
	snprintf(path, sizeof(path), "%s/stale", f->dir);
	memcpy(a.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	fd = api_socket_listen(path, &file, why, sizeof(why));
	if (fd < 0)
		fail_msg("%s", why);
	close(fd);
	api_socket_remove(path, &file);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_api_socket_remove_leaves_a_file_that_replaced_it(void **state)
{
	struct fixture *f = *state;
	struct api_socket_file file;
	char path[128], why[256];
	int fd;

	snprintf(path, sizeof(path), "%s/mine", f->dir);
	fd = api_socket_listen(path, &file, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	api_socket_remove(path, &file);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_api_server_socket_is_private_and_removed_at_close),
		T(test_api_server_pipelined_requests_are_answered_in_order),
		T(test_api_server_two_clients_one_stalled_mid_request),
		T(test_api_server_stalled_request_times_out_and_is_closed),
		T(test_api_server_ten_mib_request_is_refused_without_reading_it_all),
		T(test_api_server_client_leaving_mid_request_gets_nothing_and_frees_its_place),
		T(test_api_server_one_client_too_many_is_told_busy),
		T(test_api_server_client_that_never_reads_is_closed_and_others_served),
		T(test_api_server_end_of_input_answers_whole_requests_only),
		T(test_api_server_stop_returns_with_clients_connected),
		T(test_api_socket_refuses_what_is_not_a_stale_socket),
		T(test_api_socket_replaces_a_stale_socket),
		T(test_api_socket_remove_leaves_a_file_that_replaced_it),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
