/* `ringvisor run`'s --cpu (src/cli/run_options.c): an unknown model and a model
 * the chosen engine cannot provide are configuration errors (status 2, one line
 * on stderr), found before the kernel is looked at; without --cpu the VM gets
 * the default, the highest level every available engine provides. The software
 * engines run wherever ringvisor runs; host is KVM's pass-through alone and v3
 * has no engine yet (docs/cpu-model.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/run_options.h"
#include "engine/engine.h"
#include "vm/machine.h"
#include "x86/cpu_model.h"

/* Parses a copy of the NULL-terminated arguments; returns the status. */
static int parse(struct vm_config *cfg, const char *const *args)
{
	static char copies[16][32];
	char *argv[16];
	char skipped[512];
	bool help = false;
	int argc = 0;

	for (; args[argc]; argc++) {
		snprintf(copies[argc], sizeof(copies[argc]), "%s", args[argc]);
		argv[argc] = copies[argc];
	}
	argv[argc] = NULL;
	return run_options_parse(argc, argv, cfg, &help, skipped, sizeof(skipped));
}

static void test_unknown_cpu_model_is_a_configuration_error(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--cpu", "bogus", "k", NULL }), STATUS_CONFIG);
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--cpu", "", "k", NULL }), STATUS_CONFIG);
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--cpu", "x86-64-v2", "k", NULL }), STATUS_CONFIG);
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "k", "--cpu", NULL }), STATUS_CONFIG);
}

static void test_host_model_is_refused_on_the_software_engines(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--engine", "interp", "--cpu", "host", "k", NULL }),
			 STATUS_CONFIG);
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--engine", "dbt", "--cpu", "host", "k", NULL }),
			 STATUS_CONFIG);
}

/* v3 and max on the software engines, by name, whatever the host. */
static void test_v3_and_max_are_taken_on_the_software_engines(void **state)
{
	static const char *const engines[] = { "interp", "dbt" };
	static const char *const models[] = { "v3", "max" };
	struct vm_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		for (size_t k = 0; k < sizeof(models) / sizeof(models[0]); k++) {
			assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--engine", engines[i], "--cpu",
									    models[k], "k", NULL }),
					 0);
			assert_ptr_equal(cfg.cpu_model, cpu_model_find(models[k]));
		}
}

static void test_baseline_is_chosen_by_name(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(
	    parse(&cfg, (const char *const[]){ "run", "--engine", "interp", "--cpu", "baseline", "k", NULL }), 0);
	assert_ptr_equal(cfg.cpu_model, cpu_model_find("baseline"));
	/* The last --cpu wins, as for the other options. */
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--cpu", "host", "--engine", "dbt", "--cpu",
							    "baseline", "k", NULL }),
			 0);
	assert_ptr_equal(cfg.cpu_model, cpu_model_find("baseline"));
}

/* Without --cpu: the default, which every available engine provides. */
static void test_without_cpu_the_default_model_is_used(void **state)
{
	const struct cpu_model *def = engine_default_model();
	struct vm_config cfg;

	(void)state;
	assert_non_null(def);
	assert_true(def->level >= 1);
	assert_int_equal(parse(&cfg, (const char *const[]){ "run", "--engine", "interp", "k", NULL }), 0);
	assert_ptr_equal(cfg.cpu_model, def);
	for (const struct engine_ops *const *e = engine_list(); *e; e++) {
		char why[256];

		if (engine_available(*e) && (*e)->provides_model(def, why, sizeof(why)))
			fail_msg("default %s not provided by available engine %s: %s", def->name, (*e)->name, why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_cpu_model_is_a_configuration_error),
		cmocka_unit_test(test_host_model_is_refused_on_the_software_engines),
		cmocka_unit_test(test_v3_and_max_are_taken_on_the_software_engines),
		cmocka_unit_test(test_baseline_is_chosen_by_name),
		cmocka_unit_test(test_without_cpu_the_default_model_is_used),
	};

	return cmocka_run_group_tests_name("run_options", tests, NULL, NULL);
}
