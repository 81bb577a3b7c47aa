#include "engine/softcpu/write_log.h"

#include <stdlib.h>
#include <string.h>

void write_log_record(struct write_log *log, uint8_t *host, uint64_t gpa, unsigned size)
{
	struct write_log_entry *e;

	if (log->count == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 256;
		struct write_log_entry *grown = realloc(log->e, cap * sizeof(*grown));

		if (!grown)
			abort(); /* out of host memory: a debugging mode has no way on */
		log->e = grown;
		log->cap = cap;
	}
	e = &log->e[log->count++];
	e->host = host;
	e->gpa = gpa;
	e->size = (uint8_t)size;
	memcpy(e->old, host, size);
}

void write_log_undo(const struct write_log *log)
{
	for (size_t i = log->count; i-- > 0;)
		memcpy(log->e[i].host, log->e[i].old, log->e[i].size);
}

void write_log_clear(struct write_log *log)
{
	log->count = 0;
}

void write_log_free(struct write_log *log)
{
	free(log->e);
	*log = (struct write_log){ 0 };
}
