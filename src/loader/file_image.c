#include "loader/file_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	return NULL;
}

int file_open_regular(const char *what, const char *path, uint64_t *size, char *why, size_t why_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, why_len, "%s%s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, why_len, "%s%s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		const char *kind = file_kind(st.st_mode);

		if (kind)
			snprintf(why, why_len, "%s%s: %s, not a regular file", what, path, kind);
		else
			snprintf(why, why_len, "%s%s: not a regular file", what, path);
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int file_image_read_fd(struct file_image *f, int fd, const char *what, const char *path, uint64_t size, char *why,
		       size_t why_len)
{
	size_t done = 0;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (size > SIZE_MAX - 1 || !(f->data = malloc(size ? (size_t)size : 1))) {
		snprintf(why, why_len, "%s%s: out of memory for %llu bytes", what, path, (unsigned long long)size);
		close(fd);
		return -1;
	}
	f->size = (size_t)size;
	while (done < f->size) {
		ssize_t n = read(fd, f->data + done, f->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, why_len, "%s%s: read failed: %s", what, path,
				 n ? strerror(errno) : "the file shrank while it was read");
			close(fd);
			file_image_free(f);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

void file_image_free(struct file_image *f)
{
	free(f->data);
	f->data = NULL;
	f->size = 0;
}
