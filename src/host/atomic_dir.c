#include "host/atomic_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 if path is an empty directory, 0 if it does not exist, -1 otherwise
 * (with a reason). */
static int check_target(const char *path, char *why, size_t why_len)
{
	struct stat st;
	struct dirent *e;
	DIR *dir;
	bool empty = true;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "%s exists and is not a directory", path);
		return -1;
	}
	dir = opendir(path);
	if (!dir) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (empty && (e = readdir(dir)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(dir);
	if (!empty) {
		snprintf(why, why_len, "%s exists and is not empty", path);
		return -1;
	}
	return 1;
}

/* d->path without trailing slashes, its parent, and the temporary name. */
static int split(struct atomic_dir *d, const char *path)
{
	size_t n = strlen(path);
	char *slash;
	const char *base;

	while (n > 1 && path[n - 1] == '/')
		n--;
	d->path = strndup(path, n);
	if (!d->path)
		return -1;
	slash = strrchr(d->path, '/');
	d->parent = slash ? strndup(d->path, slash == d->path ? 1 : (size_t)(slash - d->path)) : strdup(".");
	base = slash ? slash + 1 : d->path;
	if (!d->parent || asprintf(&d->tmp, "%s/.%s.tmp-%ld", d->parent, base, (long)getpid()) < 0) {
		d->tmp = NULL;
		return -1;
	}
	return 0;
}

int atomic_dir_begin(struct atomic_dir *d, const char *path, char *why, size_t why_len)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (!*path) {
		snprintf(why, why_len, "no directory name given");
		return -1;
	}
	if (split(d, path)) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	if (!strcmp(d->path, "/") || check_target(d->path, why, why_len) < 0)
		goto fail_target;
	if (mkdir(d->tmp, 0700)) {
		snprintf(why, why_len, "cannot create %s: %s", d->tmp, strerror(errno));
		free(d->tmp);
		d->tmp = NULL; /* not ours to remove */
		return -1;
	}
	d->fd = open(d->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0) {
		snprintf(why, why_len, "%s: %s", d->tmp, strerror(errno));
		return -1;
	}
	return 0;
fail_target:
	if (!strcmp(d->path, "/"))
		snprintf(why, why_len, "/ cannot be a snapshot directory");
	free(d->tmp);
	d->tmp = NULL;
	return -1;
}

int atomic_dir_create(struct atomic_dir *d, const char *name, char *why, size_t why_len)
{
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		snprintf(why, why_len, "cannot create %s/%s: %s", d->tmp, name, strerror(errno));
	return fd;
}

int atomic_dir_close_file(int fd, const char *name, char *why, size_t why_len)
{
	int rc = fsync(fd);

	if (rc)
		snprintf(why, why_len, "%s: fsync: %s", name, strerror(errno));
	if (close(fd) && !rc) {
		snprintf(why, why_len, "%s: close: %s", name, strerror(errno));
		rc = -1;
	}
	return rc ? -1 : 0;
}

int atomic_dir_write(struct atomic_dir *d, const char *name, const void *buf, size_t len, char *why, size_t why_len)
{
	int fd = atomic_dir_create(d, name, why, why_len);
	const char *p = buf;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, why_len, "%s: write: %s", name, n < 0 ? strerror(errno) : "no progress");
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return atomic_dir_close_file(fd, name, why, why_len);
}

static int sync_dir(const char *path, char *why, size_t why_len)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fsync(fd);

	if (rc)
		snprintf(why, why_len, "%s: fsync: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc ? -1 : 0;
}

int atomic_dir_commit(struct atomic_dir *d, char *why, size_t why_len)
{
	if (fsync(d->fd)) {
		snprintf(why, why_len, "%s: fsync: %s", d->tmp, strerror(errno));
		return -1;
	}
	if (rename(d->tmp, d->path)) {
		snprintf(why, why_len, "cannot put %s in place: %s", d->path,
			 errno == ENOTEMPTY || errno == EEXIST ? "it is not empty" : strerror(errno));
		return -1;
	}
	free(d->tmp);
	d->tmp = NULL;
	return sync_dir(d->parent, why, why_len);
}

/* Removes the temporary directory's files (only those it can hold: no
 * subdirectories are ever made) and the directory. */
static void remove_tmp(struct atomic_dir *d)
{
	DIR *dir;
	struct dirent *e;

	if (d->fd >= 0 && (dir = fdopendir(dup(d->fd)))) {
		while ((e = readdir(dir)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(d->fd, e->d_name, 0);
		closedir(dir);
	}
	rmdir(d->tmp);
}

void atomic_dir_end(struct atomic_dir *d)
{
	if (d->tmp)
		remove_tmp(d);
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d->parent);
	free(d->tmp);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}
