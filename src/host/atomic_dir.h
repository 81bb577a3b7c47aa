/* A directory written as a whole or not at all: its files are written into
 * a temporary directory beside it (".NAME.tmp-PID", mode 0700), each synced
 * as it is closed; commit syncs that directory, renames it onto NAME (which
 * must be absent or an empty directory: rename(2) replaces an empty one) and
 * syncs the parent, so that after a crash NAME is either what it was or
 * complete. abort removes what was written. */
#ifndef RV_HOST_ATOMIC_DIR_H
#define RV_HOST_ATOMIC_DIR_H

#include <stddef.h>

struct atomic_dir {
	char *path;   /* NAME as given, without trailing slashes */
	char *parent; /* its directory ("." if none) */
	char *tmp;    /* the temporary directory */
	int fd;	      /* tmp, open */
};

/* Refuses a path that exists and is not an empty directory, then makes the
 * temporary directory. 0, or -1 with a one-line reason. */
int atomic_dir_begin(struct atomic_dir *d, const char *path, char *why, size_t why_len);
/* A new file in it, mode 0600, open for writing: a descriptor, or -1 with a
 * reason. Close it with atomic_dir_close_file. */
int atomic_dir_create(struct atomic_dir *d, const char *name, char *why, size_t why_len);
/* Syncs and closes fd; 0, or -1 with a reason (the data may not be on disk). */
int atomic_dir_close_file(int fd, const char *name, char *why, size_t why_len);
/* A whole file of len bytes: created, written, synced, closed. */
int atomic_dir_write(struct atomic_dir *d, const char *name, const void *buf, size_t len, char *why, size_t why_len);
/* Puts the directory in place; 0, or -1 with a reason (then abort it). */
int atomic_dir_commit(struct atomic_dir *d, char *why, size_t why_len);
/* Removes the temporary directory if it is still there, and frees d; also
 * after a failed atomic_dir_begin. */
void atomic_dir_end(struct atomic_dir *d);

#endif
