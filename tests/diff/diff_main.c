/* diff-test: differential testing of the interpreter against silicon, and the
 * randomized decoder test. See tests/diff/README.md.
 *
 *   diff-test [--seed N] [--count N]     fixed seed (CI): N sequences, then the decoder test
 *   diff-test --soak [--count N]         fresh seeds until interrupted (or N sequences)
 *   diff-test --decoder-only             only the decoder test
 *   diff-test --case-seed S              one case, verbose
 *   diff-test --ref LIST --sw LIST       references and engines under test, comma-separated
 *                                        (default native,kvm and interp; --hw is --ref)
 *
 * Prints one summary line "N passed, N failed, N skipped"; exits 1 on any failure. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decoder_check.h"
#include "differ.h"
#include "known_bugs.h"
#include "log.h"
#include "native.h"
#include "x86/cpu_model.h"

#define DEFAULT_SEED 0x5eed2024ull
#define DEFAULT_COUNT 10000
#define DEFAULT_DECODER_BLOCKS 5000
#define SOAK_BATCH 1000

struct options {
	uint64_t seed;
	uint64_t count; /* 0 with --soak: until interrupted */
	bool soak, decoder_only, one_case, verbose, stats;
	uint64_t case_seed;
	const char *refs, *subs;
	unsigned decoder_blocks;
	unsigned max_reports;
};

struct tally {
	uint64_t passed, failed, skipped;
	uint64_t reported;
	/* --stats: instructions generated, and how the silicon runs ended */
	uint64_t mnemonics[ZYDIS_MNEMONIC_MAX_VALUE + 1];
	uint64_t endings[OC_TIMEOUT + 1][GI_VECTORS];
	uint64_t items;
	uint64_t loop_cases, loop_skipped, loops;  /* sequences with loops (gen_loop.c), loops */
	uint64_t loop_faults, loop_faults_stepped; /* silicon's exceptions inside a loop, after its count's step */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: diff-test [--seed N] [--count N] [--soak] [--case-seed S] [--decoder-only]\n"
			"                 [--decoder-blocks N] [--max-reports N] [--all-bugs] [--stats] [--verbose]\n"
			"                 [--ref LIST] [--sw LIST] [--raw-simd | --raw-simd-only]\n");
	exit(2);
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		usage();
	return v;
}

static void parse(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .seed = DEFAULT_SEED,
			       .count = DEFAULT_COUNT,
			       .refs = "native,kvm",
			       .subs = "interp",
			       .decoder_blocks = DEFAULT_DECODER_BLOCKS,
			       .max_reports = 5 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (!strcmp(a, "--seed") && more)
			o->seed = number(argv[++i]);
		else if (!strcmp(a, "--count") && more)
			o->count = number(argv[++i]);
		else if (!strcmp(a, "--soak"))
			o->soak = true;
		else if (!strcmp(a, "--case-seed") && more)
			o->one_case = true, o->case_seed = number(argv[++i]);
		else if (!strcmp(a, "--decoder-only"))
			o->decoder_only = true;
		else if (!strcmp(a, "--decoder-blocks") && more)
			o->decoder_blocks = (unsigned)number(argv[++i]);
		else if (!strcmp(a, "--max-reports") && more)
			o->max_reports = (unsigned)number(argv[++i]);
		else if (!strcmp(a, "--all-bugs"))
			known_bugs_disable(true);
		else if (!strcmp(a, "--raw-simd"))
			gen_set_raw_simd(6, false);
		else if (!strcmp(a, "--raw-simd-only"))
			gen_set_raw_simd(1, true);
		else if (!strcmp(a, "--verbose"))
			o->verbose = true;
		else if (!strcmp(a, "--stats"))
			o->stats = true;
		else if ((!strcmp(a, "--ref") || !strcmp(a, "--hw")) && more)
			o->refs = argv[++i];
		else if (!strcmp(a, "--sw") && more)
			o->subs = argv[++i];
		else
			usage();
	}
	if (o->soak && o->count == DEFAULT_COUNT)
		o->count = 0;
}

static uint64_t fresh_seed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
}

/* Whether silicon's exception was inside a loop, and after its count's step. */
static void count_loop_fault(struct tally *t, const struct test_case *tc, const struct mismatch *m)
{
	struct layout *l = malloc(sizeof(*l));
	bool stepped = false;
	int i;

	if (l && m->hw_rip && seq_layout(&tc->seq, l) == 0 && (i = layout_item_at(&tc->seq, l, m->hw_rip)) >= 0 &&
	    gen_loop_stop(&tc->seq, (unsigned)i, m->hw_gpr, &stepped)) {
		t->loop_faults++;
		t->loop_faults_stepped += stepped;
	}
	free(l);
}

static void count_case(struct tally *t, const struct test_case *tc, const struct mismatch *m)
{
	unsigned loops = seq_loops(&tc->seq);

	t->loops += loops;
	t->loop_cases += loops != 0;
	t->loop_skipped += loops && !m;
	if (loops && m)
		count_loop_fault(t, tc, m);
	for (unsigned i = 0; i < tc->seq.n; i++)
		if (!tc->seq.it[i].setup)
			t->mnemonics[tc->seq.it[i].req.mnemonic]++, t->items++;
	if (m && m->hw_class / 256 <= OC_TIMEOUT)
		t->endings[m->hw_class / 256][m->hw_class / 256 == OC_EXCEPTION ? m->hw_class % GI_VECTORS : 0]++;
}

static void print_stats(const struct tally *t)
{
	printf("stats: %llu instructions (not counting setup movs); by mnemonic:\n", (unsigned long long)t->items);
	for (unsigned i = 0; i <= ZYDIS_MNEMONIC_MAX_VALUE; i++)
		if (t->mnemonics[i])
			printf("  %-10s %llu\n", ZydisMnemonicGetString((ZydisMnemonic)i),
			       (unsigned long long)t->mnemonics[i]);
	printf("stats: %llu sequences with loops (%llu loops), %llu of them skipped; silicon raised %llu exceptions "
	       "inside a loop, %llu of them after its count's first step\n",
	       (unsigned long long)t->loop_cases, (unsigned long long)t->loops, (unsigned long long)t->loop_skipped,
	       (unsigned long long)t->loop_faults, (unsigned long long)t->loop_faults_stepped);
	printf("stats: how the runs on silicon ended: INT3 at the end %llu", (unsigned long long)t->endings[OC_END][0]);
	for (unsigned v = 0; v < GI_VECTORS; v++)
		if (t->endings[OC_EXCEPTION][v])
			printf(", vector %u: %llu", v, (unsigned long long)t->endings[OC_EXCEPTION][v]);
	printf("\n");
}

static void one(struct differ *d, const struct options *o, uint64_t case_seed, const char *label, struct tally *t)
{
	struct test_case *tc = malloc(sizeof(*tc));
	struct mismatch *m = malloc(sizeof(*m));
	char why[256], title[200];
	enum verdict v;

	if (!tc || !m) {
		fprintf(stderr, "diff-test: out of memory\n");
		exit(1);
	}
	gen_case(case_seed, tc);
	v = differ_run(d, tc, m, why, sizeof(why));
	if (o->stats)
		count_case(t, tc, v == V_SKIP ? NULL : m);
	if (v == V_SKIP) {
		t->skipped++;
		if (o->verbose)
			printf("skipped %s: %s\n", label, why);
	} else if (v == V_PASS) {
		t->passed++;
	} else {
		t->failed++;
		if (t->reported++ < o->max_reports) {
			snprintf(title, sizeof(title), "%s (case seed %#llx; rerun: diff-test --case-seed %#llx)",
				 label, (unsigned long long)case_seed, (unsigned long long)case_seed);
			differ_shrink(d, tc);
			differ_report(stdout, d, tc, title);
			fflush(stdout);
		}
	}
	if (o->one_case && v == V_PASS)
		differ_report(stdout, d, tc, "(none: the engines agree on this case)");
	free(tc);
	free(m);
}

static void run_seed(struct differ *d, const struct options *o, uint64_t seed, uint64_t n, struct tally *t)
{
	char label[80];

	for (uint64_t i = 0; i < n && !interrupted; i++) {
		snprintf(label, sizeof(label), "seed %#llx case %llu", (unsigned long long)seed, (unsigned long long)i);
		one(d, o, gen_case_seed(seed, i), label, t);
	}
}

static void print_rate(const struct engine_box *b)
{
	if (b->runs && b->seconds > 0)
		printf("%s: %llu runs in %.2f s, %.0f sequences/s\n", b->name, (unsigned long long)b->runs, b->seconds,
		       (double)b->runs / b->seconds);
}

static void print_rates(const struct differ *d)
{
	for (unsigned i = 0; i < d->nref; i++)
		print_rate(&d->ref[i]);
	for (unsigned i = 0; i < d->nsub; i++)
		print_rate(&d->sub[i]);
}

static void print_engines(const struct differ *d)
{
	char vendor[13], model[13];

	printf("differential test: references");
	for (unsigned i = 0; i < d->nref; i++)
		printf(" %s", d->ref[i].name);
	printf("; under test");
	for (unsigned i = 0; i < d->nsub; i++)
		printf(" %s", d->sub[i].name);
	printf("\n");
	if (d->left_out[0])
		printf("differential test: reference left out: %s\n", d->left_out);
	if (!differ_runs_host_state(d))
		printf("differential test: SGDT, SIDT, SLDT, STR, SMSW and RDPMC not generated: they show the host's "
		       "own system state natively, and no engine reference runs here\n");
	if (!cpu_model_host_is_same_vendor(vendor, model))
		printf("differential test: the host is %s, the guest CPU model %s's: forms whose outcome the vendors "
		       "define differently are not generated (LFS/LGS/LSS, far JMP/CALL/RETF, the XSAVE family, "
		       "misaligned SHA operands, masked moves that fault, FS/GS bases at the canonical boundary, "
		       "AC set by POPF; "
		       "tests/diff/README.md)\n",
		       vendor, model);
	if (!differ_runs_noncanonical(d))
		printf("differential test: no non-canonical addresses: the host uses 5-level paging, where the "
		       "guest's non-canonical addresses are canonical\n");
}

static void run_sequences(const struct options *o, struct tally *t)
{
	struct differ d;
	char why[256], host_vendor[13], model_vendor[13];

	if (differ_open(&d, o->refs, o->subs, why, sizeof(why))) {
		t->skipped += o->one_case ? 1 : o->count ? o->count : 1;
		printf("SKIP differential test (%s against %s), nothing compared: %s\n", o->subs, o->refs, why);
		return;
	}
	print_engines(&d);
	gen_allow_host_state(differ_runs_host_state(&d));
	gen_allow_noncanonical(differ_runs_noncanonical(&d));
	gen_allow_native_only(differ_runs_native(&d));
	gen_allow_unmasked_simd(!differ_runs_host_state(&d)); /* native alone */
	gen_allow_vendor_specific(cpu_model_host_is_same_vendor(host_vendor, model_vendor));
	if (o->one_case) {
		one(&d, o, o->case_seed, "single case", t);
	} else if (!o->soak) {
		printf("differential test: seed %#llx, %llu sequences\n", (unsigned long long)o->seed,
		       (unsigned long long)o->count);
		run_seed(&d, o, o->seed, o->count, t);
	} else {
		while (!interrupted && (!o->count || t->passed + t->failed + t->skipped < o->count)) {
			uint64_t seed = fresh_seed(),
				 left = o->count ? o->count - (t->passed + t->failed + t->skipped) : 0;
			uint64_t n = o->count && left < SOAK_BATCH ? left : SOAK_BATCH;

			run_seed(&d, o, seed, n, t);
			printf("soak: seed %#llx done; %llu passed, %llu failed so far\n", (unsigned long long)seed,
			       (unsigned long long)t->passed, (unsigned long long)t->failed);
			fflush(stdout);
		}
	}
	print_rates(&d);
	if (o->stats)
		print_stats(t);
	differ_close(&d);
}

static void run_decoder(const struct options *o, uint64_t seed, struct tally *t)
{
	struct decoder_result r;

	decoder_check_run(seed, o->decoder_blocks, o->max_reports, &r);
	printf("decoder test: seed %#llx, %u blocks, %u instructions checked, %u disagreements\n",
	       (unsigned long long)seed, r.blocks, r.insns, r.failed);
	t->passed += r.passed;
	t->failed += r.failed;
}

int main(int argc, char **argv)
{
	struct options o;
	static struct tally t;

	parse(argc, argv, &o);
	log_set_level(LOG_ERROR); /* the interpreter's "not implemented" warnings are expected here */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!o.decoder_only)
		run_sequences(&o, &t);
	if (!o.one_case && o.decoder_blocks)
		run_decoder(&o, o.soak ? fresh_seed() : o.seed, &t);
	if (t.failed || o.verbose)
		known_bugs_print(stdout);
	printf("%llu passed, %llu failed, %llu skipped\n", (unsigned long long)t.passed, (unsigned long long)t.failed,
	       (unsigned long long)t.skipped);
	return t.failed ? 1 : 0;
}
