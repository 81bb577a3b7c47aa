#include "dbtrace.h"

#include "printf.h"
#include "test.h"

volatile struct db_event db_events[DB_EVENTS_MAX];
volatile unsigned int db_count;
volatile uint64_t db_stop_rip;

static void db_record(struct trap_frame *f)
{
	if (db_count < DB_EVENTS_MAX) {
		volatile struct db_event *e = &db_events[db_count];

		e->rip = f->rip;
		e->cs = f->cs;
		e->rflags = f->rflags;
		e->dr6 = read_dr(6);
		e->rcx = f->rcx;
	}
	db_count++;
	write_dr(6, 0);
	if (f->rip == db_stop_rip || db_count >= DB_EVENTS_MAX)
		f->rflags &= ~FL_TF;
}

void db_trace_start(uint64_t stop_rip)
{
	db_count = 0;
	db_stop_rip = stop_rip;
	write_dr(6, 0);
	trap_set_handler(VEC_DB, db_record);
	trap_clear();
}

void db_trace_stop(void)
{
	write_dr(7, 0);
	trap_set_handler(VEC_DB, 0);
}

/* Under a FAIL line: what came. */
static void list_events(void)
{
	unsigned int n = db_count < DB_EVENTS_MAX ? db_count : DB_EVENTS_MAX;

	for (unsigned int i = 0; i < n; i++)
		printf("  #DB at %llx:%llx, RFLAGS %llx, DR6 %llx, RCX %llx\n", (unsigned long long)db_events[i].cs,
		       (unsigned long long)db_events[i].rip, (unsigned long long)db_events[i].rflags,
		       (unsigned long long)db_events[i].dr6, (unsigned long long)db_events[i].rcx);
}

void db_expect_rips(const char *name, const uint64_t *rips, unsigned int n)
{
	bool ok = db_count == n;

	for (unsigned int i = 0; ok && i < n; i++)
		ok = db_events[i].rip == rips[i];
	if (ok) {
		pass(name);
		return;
	}
	fail(name, "%u #DB, want %u, the first at %llx", db_count, n, n ? (unsigned long long)rips[0] : 0ull);
	list_events();
}

void db_expect_dr6(const char *name, uint64_t want)
{
	unsigned int n = db_count < DB_EVENTS_MAX ? db_count : DB_EVENTS_MAX;
	bool ok = n > 0;

	for (unsigned int i = 0; i < n; i++)
		if (db_events[i].dr6 != (DR6_INIT | want))
			ok = false;
	if (ok) {
		pass(name);
		return;
	}
	fail(name, "want DR6 0x%llx in each #DB", (unsigned long long)(DR6_INIT | want));
	list_events();
}
