/* Checks made where nothing can be printed (code at CPL 3 has no access to
 * the UART): recorded with check_later(), printed afterwards at CPL 0 by
 * print_checks(), one PASS line per check name or a FAIL line per part
 * that differed. */
#ifndef GUEST_DEFERRED_H
#define GUEST_DEFERRED_H

#include <stdint.h>

/* Consecutive calls with the same name are parts of one check. */
void check_later(const char *name, uint64_t got, uint64_t want);
/* "PASS: prefix: name" (or "PASS: name" if prefix is 0) per check; then
 * forgets them. */
void print_checks(const char *prefix);

#endif
