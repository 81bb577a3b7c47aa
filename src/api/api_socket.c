#include "api/api_socket.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections not yet accepted; beyond them a client's connect fails. */
#define LISTEN_BACKLOG 16

static int make_address(const char *path, struct sockaddr_un *addr, char *why, size_t why_len)
{
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (!*path) {
		snprintf(why, why_len, "empty socket path");
		return -1;
	}
	if (strlen(path) >= sizeof(addr->sun_path)) {
		snprintf(why, why_len, "%.64s...: a socket path has at most %zu bytes", path,
			 sizeof(addr->sun_path) - 1);
		return -1;
	}
	memcpy(addr->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Is anything accepting on the socket at addr? 1 yes, 0 no (stale), -1 cannot tell. */
static int socket_alive(const struct sockaddr_un *addr, char *why, size_t why_len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int alive;

	if (fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 || errno == EAGAIN)
		alive = 1; /* EAGAIN: a live server whose backlog is full */
	else if (errno == ECONNREFUSED)
		alive = 0;
	else {
		snprintf(why, why_len, "%s: %s", addr->sun_path, strerror(errno));
		alive = -1;
	}
	close(fd);
	return alive;
}

/* Clears the way for bind: nothing at path, or a stale socket removed. */
static int clear_path(const struct sockaddr_un *addr, char *why, size_t why_len)
{
	const char *path = addr->sun_path;
	struct stat st;
	int alive;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, why_len, "%s exists and is not a socket", path);
		return -1;
	}
	alive = socket_alive(addr, why, why_len);
	if (alive < 0)
		return -1;
	if (alive) {
		snprintf(why, why_len, "%s: another process is serving on this socket", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(why, why_len, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int bind_private(int fd, const struct sockaddr_un *addr, char *why, size_t why_len)
{
	/* Linux gives the file the socket inode's mode less the umask: 0600
	 * from the start, so there is no moment where others may connect. */
	if (fchmod(fd, 0600) < 0 || bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		snprintf(why, why_len, "cannot create %s: %s", addr->sun_path, strerror(errno));
		return -1;
	}
	/* Where another system ignores the socket's own mode. */
	if (chmod(addr->sun_path, 0600) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		snprintf(why, why_len, "%s: %s", addr->sun_path, strerror(errno));
		unlink(addr->sun_path);
		return -1;
	}
	return 0;
}

int api_socket_listen(const char *path, struct api_socket_file *file, char *why, size_t why_len)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd;

	if (make_address(path, &addr, why, why_len) || clear_path(&addr, why, why_len))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind_private(fd, &addr, why, why_len)) {
		close(fd);
		return -1;
	}
	if (lstat(path, &st) < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*file = (struct api_socket_file){ .dev = st.st_dev, .ino = st.st_ino };
	return fd;
}

void api_socket_remove(const char *path, const struct api_socket_file *file)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == file->dev && st.st_ino == file->ino)
		unlink(path);
}

int api_socket_connect(const char *path, char *why, size_t why_len)
{
	struct sockaddr_un addr;
	int fd;

	if (make_address(path, &addr, why, why_len))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == EAGAIN)
			snprintf(why, why_len, "%s: the server takes no more connections now", path);
		else if (errno == ECONNREFUSED)
			snprintf(why, why_len, "%s: no ringvisor serves this socket (Connection refused)", path);
		else
			snprintf(why, why_len, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
