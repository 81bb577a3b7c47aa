/* A snapshot directory written from a VM and read back (src/vm/snapshot.c,
 * snapshot_restore.c, snapshot_memory.c, host/atomic_dir.c), driven from C
 * as the control socket will drive it: vm_pause, vm_snapshot, vm_restore.
 * The VM is vm_harness.h's (interp, 16 MiB, never run, so a pause is at
 * once). Pins down: a VM that is not paused is refused; the directory holds
 * config.json, state and memory, owner-only; memory is RAM byte for byte,
 * its zero pages holes; a directory that exists must be empty, and one that
 * is not is left as it was, no temporary directory left behind; a restore
 * gives the same RAM and vCPU state on another engine, its TSC going on from
 * the saved one, and never writes the memory file; it refuses a memory file
 * of another size and a state with a byte changed. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "vm/snapshot.h"
#include "vm/snapshot_restore.h"
#include "vm/vm_control.h"
#include "vm_harness.h"

struct fixture {
	struct vm_harness *h;
	char dir[128]; /* a fresh directory for the test's snapshots */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	void *h;

	if (!f || vm_harness_setup(&h, true))
		return -1;
	f->h = h;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ringvisor-snap-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];
	void *h = f->h;

	vm_harness_teardown(&h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void path(char *out, const struct fixture *f, const char *a, const char *b)
{
	snprintf(out, 256, "%s/%s%s%s", f->dir, a, b ? "/" : "", b ? b : "");
}

static int take(struct fixture *f, const char *name, char *why, size_t why_len)
{
	char p[256];

	path(p, f, name, NULL);
	return vm_snapshot(&f->h->vm, p, why, why_len);
}

static void test_a_vm_that_is_not_paused_is_refused(void **state)
{
	struct fixture *f = *state;
	char why[256], p[256];
	struct stat st;

	assert_int_equal(take(f, "s", why, sizeof(why)), -1);
	assert_string_equal(why, "the VM is not paused");
	path(p, f, "s", NULL);
	assert_int_equal(stat(p, &st), -1);
}

static void test_the_directory_holds_config_state_and_memory_owner_only(void **state)
{
	struct fixture *f = *state;
	static const char *const files[] = { "config.json", "state", "memory" };
	char why[256], p[256];
	struct stat st;

	assert_int_equal(vm_pause(&f->h->vm, why, sizeof(why)), 0);
	assert_true(vm_paused(&f->h->vm));
	assert_int_equal(take(f, "s", why, sizeof(why)), 0);
	for (size_t i = 0; i < 3; i++) {
		path(p, f, "s", files[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	path(p, f, "s", "memory");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal((uint64_t)st.st_size, f->h->vm.mem.size);
	vm_resume(&f->h->vm);
	assert_false(vm_paused(&f->h->vm));
}

static uint8_t *read_all(const char *p, size_t *len)
{
	FILE *fp = fopen(p, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void test_memory_is_ram_byte_for_byte_with_zero_pages_as_holes(void **state)
{
	struct fixture *f = *state;
	struct guest_memory *mem = &f->h->vm.mem;
	char why[256], p[256];
	struct stat st;
	uint8_t *file;
	size_t len;

	/* Data at an odd place and a page of zeros after data. */
	memset(mem->base + (5 << 20) + 100, 0xa5, 5000);
	memset(mem->base + (9 << 20), 0x5a, 4096);
	assert_int_equal(vm_pause(&f->h->vm, why, sizeof(why)), 0);
	assert_int_equal(take(f, "s", why, sizeof(why)), 0);
	path(p, f, "s", "memory");
	file = read_all(p, &len);
	assert_int_equal(len, mem->size);
	assert_memory_equal(file, mem->base, len);
	free(file);
	assert_int_equal(stat(p, &st), 0);
	/* The loaded byte of the kernel, the ACPI tables and the two runs above:
	 * far under a MiB of the 16. */
	assert_true((uint64_t)st.st_blocks * 512 < (1u << 20));
}

static void test_an_existing_directory_must_be_empty_and_is_left_as_it_was(void **state)
{
	struct fixture *f = *state;
	char why[256], p[256], q[256];
	size_t len;
	uint8_t *kept;
	FILE *fp;

	assert_int_equal(vm_pause(&f->h->vm, why, sizeof(why)), 0);
	path(p, f, "empty", NULL);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(take(f, "empty", why, sizeof(why)), 0);
	path(p, f, "full", NULL);
	assert_int_equal(mkdir(p, 0755), 0);
	path(q, f, "full", "keep");
	fp = fopen(q, "w");
	assert_non_null(fp);
	fputs("mine", fp);
	fclose(fp);
	assert_int_equal(take(f, "full", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "exists and is not empty"));
	kept = read_all(q, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(kept, "mine", 4);
	free(kept);
	path(q, f, "full", "state");
	assert_int_equal(access(q, F_OK), -1);
	/* A file in the way, and a parent that is not there. */
	assert_int_equal(take(f, "full/keep", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not a directory"));
	assert_int_equal(take(f, "no/such/parent", why, sizeof(why)), -1);
	snprintf(q, sizeof(q), "ls -A '%s' | grep -q tmp-", f->dir);
	assert_int_not_equal(system(q), 0);
}

/* The configuration a restore of f's snapshot s gets, on engine. */
static void restore_config(struct fixture *f, const char *engine, struct snapshot_config *c, struct vm_config *cfg)
{
	char why[256], p[256];

	path(p, f, "s", NULL);
	assert_int_equal(snapshot_config_load(p, c, why, sizeof(why)), 0);
	snapshot_config_to_vm(c, cfg);
	cfg->engine = engine_find(engine);
	cfg->cpu_model = cpu_model_find(c->cpu);
	assert_non_null(cfg->cpu_model);
}

static void test_a_restore_gives_the_same_ram_and_vcpu_on_another_engine(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = &f->h->vm;
	struct vcpu_state s, back;
	struct snapshot_config c;
	struct vm_config cfg;
	struct vm *r = calloc(1, sizeof(*r));
	char why[256], p[256];
	uint8_t *file;
	size_t len;

	assert_non_null(r);
	assert_int_equal(vm->ops->get_state(vm->vcpus[0].ev, &s), 0);
	s.gpr[GPR_RAX] = 0x1122334455667788ull;
	s.gpr[GPR_R15] = 42;
	assert_int_equal(vm->ops->set_state(vm->vcpus[0].ev, &s), 0);
	memset(vm->mem.base + (3 << 20), 0x77, 8192);
	assert_int_equal(vm_pause(vm, why, sizeof(why)), 0);
	assert_int_equal(take(f, "s", why, sizeof(why)), 0);
	assert_int_equal(vm->ops->get_state(vm->vcpus[0].ev, &s), 0);

	restore_config(f, "dbt", &c, &cfg);
	path(p, f, "s", NULL);
	if (vm_restore(r, &cfg, p, why, sizeof(why)))
		fail_msg("vm_restore: %s", why);
	assert_string_equal(r->ops->name, "dbt");
	assert_int_equal(r->mem.size, vm->mem.size);
	assert_memory_equal(r->mem.base, vm->mem.base, vm->mem.size);
	assert_int_equal(r->ops->get_state(r->vcpus[0].ev, &back), 0);
	assert_memory_equal(back.gpr, s.gpr, sizeof(s.gpr));
	assert_int_equal(back.rip, s.rip);
	assert_int_equal(back.cr0, s.cr0);
	assert_memory_equal(&back.seg[SREG_CS], &s.seg[SREG_CS], sizeof(s.seg[0]));
	/* The TSC goes on from the saved one (which read later than s's). */
	assert_true(back.msr.tsc >= s.msr.tsc);

	/* Mapped privately: the restored guest's writes stay out of the file. */
	memset(r->mem.base + (3 << 20), 0x99, 4096);
	path(p, f, "s", "memory");
	file = read_all(p, &len);
	assert_int_equal(file[(3 << 20)], 0x77);
	free(file);
	vm_destroy(r);
	free(r);
	snapshot_config_free(&c);
}

static void test_a_restore_refuses_a_short_memory_file_and_a_changed_state(void **state)
{
	struct fixture *f = *state;
	struct snapshot_config c;
	struct vm_config cfg;
	struct vm *r = calloc(1, sizeof(*r));
	char why[512], p[256], d[256];
	uint8_t *bytes;
	size_t len;
	FILE *fp;

	assert_non_null(r);
	assert_int_equal(vm_pause(&f->h->vm, why, sizeof(why)), 0);
	assert_int_equal(take(f, "s", why, sizeof(why)), 0);
	restore_config(f, "interp", &c, &cfg);
	path(d, f, "s", NULL);
	path(p, f, "s", "memory");
	assert_int_equal(truncate(p, (off_t)(f->h->vm.mem.size - 4096)), 0);
	assert_int_equal(vm_restore(r, &cfg, d, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "but config.json says the guest has"));
	assert_int_equal(truncate(p, (off_t)f->h->vm.mem.size), 0);

	path(p, f, "s", "state");
	bytes = read_all(p, &len);
	bytes[len / 2] ^= 1;
	fp = fopen(p, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(bytes, 1, len, fp), len);
	fclose(fp);
	free(bytes);
	assert_int_equal(vm_restore(r, &cfg, d, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "checksum does not match"));
	free(r);
	snapshot_config_free(&c);
}

/* The stream alone, through the same VM: what is saved loads back. */
static void test_the_state_stream_saves_and_loads_on_one_vm(void **state)
{
	struct fixture *f = *state;
	struct state_writer w;
	char why[256];

	state_writer_init(&w);
	assert_int_equal(vm_state_save(&f->h->vm, &w, why, sizeof(why)), 0);
	assert_true(w.len > 16);
	if (vm_state_load(&f->h->vm, w.buf, w.len, why, sizeof(why)))
		fail_msg("vm_state_load: %s", why);
	w.buf[20] ^= 0x40;
	assert_int_equal(vm_state_load(&f->h->vm, w.buf, w.len, why, sizeof(why)), -1);
	state_writer_free(&w);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_vm_that_is_not_paused_is_refused),
		T(test_the_directory_holds_config_state_and_memory_owner_only),
		T(test_memory_is_ram_byte_for_byte_with_zero_pages_as_holes),
		T(test_an_existing_directory_must_be_empty_and_is_left_as_it_was),
		T(test_a_restore_gives_the_same_ram_and_vcpu_on_another_engine),
		T(test_a_restore_refuses_a_short_memory_file_and_a_changed_state),
		T(test_the_state_stream_saves_and_loads_on_one_vm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
