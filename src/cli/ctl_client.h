/* The client's end of the control socket (docs/api.md): one request, one
 * reply, within a time limit, for `ringvisor ctl`. */
#ifndef RV_CTL_CLIENT_H
#define RV_CTL_CLIENT_H

#include <stddef.h>

/* The longest reply read; the server's are far shorter. */
#define CTL_REPLY_MAX (256 * 1024)

/* Connects to the socket at path, sends request (one line ending in "\n")
 * and reads the reply line. Returns it without its newline, NUL-terminated,
 * to free(); or NULL with a one-line reason in why (no server, no reply in
 * timeout_ms — negative: no limit —, the connection closed first). */
char *ctl_exchange(const char *path, const char *request, int timeout_ms, char *why, size_t why_len);

#endif
