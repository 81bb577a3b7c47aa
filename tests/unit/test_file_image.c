/* The files loaders read (src/loader/file_image.c) and loader_load's limit:
 * special and huge files are refused by fstat before anything is read. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "loader/file_image.h"
#include "loader/loader.h"
#include "unit_helpers.h"
#include "vm/memory.h"

static void temp_dir(char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");

	snprintf(path, len, "%s/ringvisor-unit-XXXXXX", dir && *dir ? dir : "/tmp");
	assert_non_null(mkdtemp(path));
}

static void test_fifo_is_refused_without_blocking(void **state)
{
	char dir[128], fifo[160], why[256];
	uint64_t size = 0;

	(void)state;
	temp_dir(dir, sizeof(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Without O_NONBLOCK this open() would wait for a writer forever. */
	assert_int_equal(file_open_regular("--initrd ", fifo, &size, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "--initrd "));
	assert_non_null(strstr(why, "a FIFO, not a regular file"));
	unlink(fifo);
	rmdir(dir);
}

static void test_directory_and_device_are_refused(void **state)
{
	char dir[128], why[256];
	uint64_t size;

	(void)state;
	temp_dir(dir, sizeof(dir));
	assert_int_equal(file_open_regular("", dir, &size, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "a directory, not a regular file"));
	assert_int_equal(file_open_regular("", "/dev/zero", &size, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "a device, not a regular file"));
	rmdir(dir);
}

static void test_regular_file_is_read_whole(void **state)
{
	char path[128], why[256];
	struct file_image f;
	uint64_t size;
	int fd;

	(void)state;
	assert_int_equal(temp_file_write(path, sizeof(path), "kernel", 6), 0);
	fd = file_open_regular("", path, &size, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(size, 6);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(file_image_read_fd(&f, fd, "", path, size, why, sizeof(why)), 0);
	assert_int_equal(f.size, 6);
	assert_memory_equal(f.data, "kernel", 6);
	file_image_free(&f);
	unlink(path);
}

static void test_file_that_shrank_is_an_error(void **state)
{
	char path[128], why[256];
	struct file_image f;
	uint64_t size;
	int fd;

	(void)state;
	assert_int_equal(temp_file_write(path, sizeof(path), "kernel", 6), 0);
	fd = file_open_regular("", path, &size, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(truncate(path, 2), 0);
	assert_int_equal(file_image_read_fd(&f, fd, "", path, size, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "shrank"));
	assert_null(f.data);
	unlink(path);
}

static void test_kernel_larger_than_guest_ram_is_refused_before_it_is_read(void **state)
{
	struct guest_memory mem;
	struct vcpu_state s;
	char path[128], why[256];
	struct load_request req = { .format = FORMAT_FLAT };

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 2ull << 20, why, sizeof(why)), 0);
	assert_int_equal(temp_file_write(path, sizeof(path), "", 0), 0);
	/* 6 GiB of holes: reading it would cost 6 GiB of host memory. */
	assert_int_equal(truncate(path, 6ll << 30), 0);
	req.kernel_path = path;
	assert_int_equal(loader_load(&req, &mem, &s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "6442450944 bytes, more than the guest's RAM (2097152 bytes; see --mem)"));
	unlink(path);
	guest_memory_destroy(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_is_refused_without_blocking),
		cmocka_unit_test(test_directory_and_device_are_refused),
		cmocka_unit_test(test_regular_file_is_read_whole),
		cmocka_unit_test(test_file_that_shrank_is_an_error),
		cmocka_unit_test(test_kernel_larger_than_guest_ram_is_refused_before_it_is_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
