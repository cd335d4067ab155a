// SPDX-License-Identifier: GPL-2.0
/*
 * remote_access_pins: write and read a MAP_SHARED file mapping through
 * /proc/self/mem, which copies page by page through access_remote_vm(),
 * and check that each page copied was pinned and unpinned once
 * (nr_foll_pin_acquired/released in /proc/vmstat) and that what was
 * written reached the disk.
 *
 *   remote_access_pins PATH
 *
 * PATH is created and sized as needed. Exit status: 0 as expected, 1 the
 * pins or the data were not as expected, 2 setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "foll_pins.h"

#define PAGES 16

static int failures;

static void die(const char *what)
{
	fprintf(stderr, "remote_access_pins: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void expect_pins(const char *step, struct foll_pins before, long pages)
{
	struct foll_pins now = foll_pins_now();
	long acquired = now.acquired - before.acquired;
	long released = now.released - before.released;
	int ok = acquired == pages && released == pages;

	printf("%s: pins acquired %ld, released %ld (expected %ld each)%s\n",
	       step, acquired, released, pages, ok ? "" : ": WRONG");
	if (!ok)
		failures++;
}

static void fill(char *buf, size_t size, int seed)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(seed + i * 7 + i / 4096);
}

int main(int argc, char **argv)
{
	const size_t page = getpagesize(), size = PAGES * page;
	char *map, *expected, *got;
	struct foll_pins before;
	int fd, mem, dfd;

	if (argc != 2) {
		fprintf(stderr, "usage: remote_access_pins PATH\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[1]);
	if (ftruncate(fd, size))
		die("ftruncate");
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	fill(map, size, 1);
	if (fsync(fd))
		die("fsync");
	if (posix_memalign((void **)&expected, page, size) ||
	    posix_memalign((void **)&got, page, size))
		die("posix_memalign");
	fill(expected, size, 2);

	mem = open("/proc/self/mem", O_RDWR);
	if (mem < 0)
		die("/proc/self/mem");

	before = foll_pins_now();
	if (pwrite(mem, expected, size, (off_t)(uintptr_t)map) != (ssize_t)size)
		die("write to /proc/self/mem");
	expect_pins("write through /proc/self/mem", before, PAGES);
	if (memcmp(map, expected, size)) {
		printf("the mapping does not hold what was written through /proc/self/mem\n");
		failures++;
	}

	before = foll_pins_now();
	if (pread(mem, got, size, (off_t)(uintptr_t)map) != (ssize_t)size)
		die("read from /proc/self/mem");
	expect_pins("read through /proc/self/mem", before, PAGES);
	if (memcmp(got, expected, size)) {
		printf("reading /proc/self/mem returned other data than was written\n");
		failures++;
	}

	/* What was written must reach the disk: fsync, then read around the cache. */
	if (fsync(fd))
		die("fsync");
	dfd = open(argv[1], O_RDONLY | O_DIRECT);
	if (dfd < 0)
		die("open O_DIRECT");
	if (pread(dfd, got, size, 0) != (ssize_t)size)
		die("O_DIRECT read");
	if (memcmp(got, expected, size)) {
		printf("the file on disk does not hold what was written through /proc/self/mem\n");
		failures++;
	} else {
		printf("%d pages written through /proc/self/mem are on disk\n", PAGES);
	}
	close(dfd);
	close(mem);
	munmap(map, size);
	close(fd);
	return failures ? 1 : 0;
}
