/* The control socket's file: a UNIX stream socket at a path, created for the
 * owner only (mode 0600), and the client's end of it. */
#ifndef RV_API_SOCKET_H
#define RV_API_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

/* Which file the server created, so that it removes that one and no other. */
struct api_socket_file {
	dev_t dev;
	ino_t ino;
};

/* Listens at path: a non-blocking socket file of mode 0600. A socket left
 * there by a process that ended without removing it (nothing accepts on it)
 * is replaced; anything else at path is refused. Returns the descriptor, or
 * -1 with a one-line reason in why. */
int api_socket_listen(const char *path, struct api_socket_file *file, char *why, size_t why_len);
/* Removes path if it is still the file api_socket_listen made. */
void api_socket_remove(const char *path, const struct api_socket_file *file);
/* Connects to the socket at path; a non-blocking descriptor, or -1 with a
 * one-line reason in why. */
int api_socket_connect(const char *path, char *why, size_t why_len);

#endif
