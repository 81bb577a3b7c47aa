#include "deferred.h"

#include "str.h"
#include "test.h"

#define MAX_CHECKS 128

struct deferred {
	const char *name;
	uint64_t got, want;
};

static struct deferred checks[MAX_CHECKS];
static unsigned int nchecks, dropped;

void check_later(const char *name, uint64_t got, uint64_t want)
{
	if (nchecks == MAX_CHECKS) {
		dropped++;
		return;
	}
	checks[nchecks++] = (struct deferred){ name, got, want };
}

static void print_pass(const char *prefix, const char *name)
{
	if (prefix)
		printf("PASS: %s: %s\n", prefix, name);
	else
		pass(name);
}

static void print_fail(const char *prefix, const struct deferred *c, unsigned int part)
{
	fail(c->name, "%s%spart %u: got 0x%llx, want 0x%llx", prefix ? prefix : "", prefix ? ", " : "", part,
	     (unsigned long long)c->got, (unsigned long long)c->want);
}

void print_checks(const char *prefix)
{
	unsigned int first = 0;

	while (first < nchecks) {
		unsigned int end = first, bad = 0;

		while (end < nchecks && !strcmp(checks[end].name, checks[first].name))
			end++;
		for (unsigned int i = first; i < end; i++) {
			if (checks[i].got != checks[i].want) {
				print_fail(prefix, &checks[i], i - first);
				bad++;
			}
		}
		if (!bad)
			print_pass(prefix, checks[first].name);
		first = end;
	}
	if (dropped)
		fail("print_checks", "%u checks did not fit", dropped);
	nchecks = dropped = 0;
}
