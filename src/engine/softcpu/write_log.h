/* An undo log of the guest-RAM writes the core makes, for running one stretch of
 * guest code twice from the same state (the dbt engine's lockstep check,
 * engine/dbt/lockstep.h). While cpu->write_log is set, the soft TLB gets no
 * write entries (mem.c), so every store takes mem_write_slow, which records the
 * bytes it is about to overwrite. Page-walk accessed and dirty bits are not
 * recorded: a second run sets the same bits again. */
#ifndef RV_SOFTCPU_WRITE_LOG_H
#define RV_SOFTCPU_WRITE_LOG_H

#include <stddef.h>
#include <stdint.h>

struct write_log_entry {
	uint8_t *host; /* where in guest RAM */
	uint64_t gpa;
	uint8_t size; /* 1 to 8 */
	uint8_t old[8];
};

struct write_log {
	struct write_log_entry *e;
	size_t count, cap;
};

/* Records the size bytes at host (guest-physical gpa) before a write replaces them. */
void write_log_record(struct write_log *log, uint8_t *host, uint64_t gpa, unsigned size);
/* Puts back every recorded byte, newest first; the log stays as it is. */
void write_log_undo(const struct write_log *log);
void write_log_clear(struct write_log *log);
void write_log_free(struct write_log *log);

#endif
