/*
 * randread DEVICE COUNT SEED: COUNT reads of 4 KiB at random 4 KiB-aligned
 * offsets of DEVICE, one at a time (queue depth 1), with O_DIRECT so that
 * each one is a request to the device, not a page-cache hit. A Linux program
 * for the io initramfs of scripts/build-linux-guest.sh (built static on the
 * host), run by bench/io.py; the guest's script times it with /proc/uptime.
 *
 * The image bench/io.py gives holds, in the first 8 bytes of each 4 KiB
 * block, the block's index (little endian), so every read is checked; the
 * one output line is "randread COUNT WRONG", WRONG the reads that failed or
 * returned another block. COUNT 0 opens the device and reads nothing: the
 * baseline of the exits-per-read measurement.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096

/* xorshift64: reproducible offsets from the seed, no libc state. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static long read_blocks(int fd, uint64_t blocks, long count, uint64_t seed)
{
	unsigned char *buf;
	uint64_t state = seed ? seed : 1;
	long wrong = 0;

	if (posix_memalign((void **)&buf, BLOCK, BLOCK) != 0)
		return count;
	for (long i = 0; i < count; i++) {
		uint64_t block = next_random(&state) % blocks;
		uint64_t tag;

		if (pread(fd, buf, BLOCK, (off_t)(block * BLOCK)) != BLOCK) {
			wrong++;
			continue;
		}
		memcpy(&tag, buf, sizeof(tag));
		if (tag != block)
			wrong++;
	}
	free(buf);
	return wrong;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: randread DEVICE COUNT SEED\n");
		return 2;
	}
	long count = strtol(argv[2], NULL, 10);
	uint64_t seed = strtoull(argv[3], NULL, 10);
	int fd = open(argv[1], O_RDONLY | O_DIRECT);

	if (fd < 0 || count < 0) {
		perror(argv[1]);
		return 1;
	}
	off_t size = lseek(fd, 0, SEEK_END);

	if (size < BLOCK) {
		fprintf(stderr, "randread: %s is smaller than one block\n", argv[1]);
		return 1;
	}
	long wrong = read_blocks(fd, (uint64_t)size / BLOCK, count, seed);

	close(fd);
	printf("randread %ld %ld\n", count, wrong);
	return 0;
}
