// SPDX-License-Identifier: GPL-2.0
/*
 * remote_access_pins: write and read a MAP_SHARED file mapping through
 * /proc/self/mem, which copies page by page through access_remote_vm(),
 * and check that each page written was pinned and unpinned once
 * (nr_foll_pin_acquired/released in /proc/vmstat), that reads took no
 * pin, and that what was written reached the disk. Then read a forked
 * child's anonymous memory, which it shares with its parent copy-on-write,
 * through /proc/CHILD/mem: the child's pages must stay shared (the same
 * page frames as the parent's in /proc/PID/pagemap), as a read pin would
 * unshare them.
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
#include <sys/wait.h>
#include <unistd.h>

#include "foll_pins.h"
#include "lib.h"

#define PAGES 16

static int failures;

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

/* The page frame of @addr in process @pid, from its pagemap; 0 if absent. */
static uint64_t pfn_of(pid_t pid, const void *addr)
{
	char path[64];
	uint64_t entry;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	if (pread(fd, &entry, sizeof(entry),
		  (off_t)((uintptr_t)addr / getpagesize() * sizeof(entry))) != sizeof(entry))
		die("pagemap read");
	close(fd);
	if (!(entry & (1ULL << 63)))
		return 0;
	return entry & ((1ULL << 55) - 1);
}

/*
 * Read a forked child's copy-on-write anonymous pages through its
 * /proc/PID/mem: they must still be the parent's page frames afterwards.
 */
static void read_child_keeps_cow(size_t page)
{
	const size_t size = PAGES * page;
	int to_child[2], from_child[2], mem, unshared = 0;
	char path[64], c, *anon, *got;
	pid_t child;

	anon = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		die("mmap anonymous");
	fill(anon, size, 3);
	got = malloc(size);
	if (!got || pipe(to_child) || pipe(from_child))
		die("malloc or pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		/* Touch nothing of anon: wait until the parent is done. */
		if (write(from_child[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	if (read(from_child[0], &c, 1) != 1)
		die("waiting for the child");

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
	mem = open(path, O_RDONLY);
	if (mem < 0)
		die(path);
	if (pread(mem, got, size, (off_t)(uintptr_t)anon) != (ssize_t)size)
		die("read from /proc/CHILD/mem");
	if (memcmp(got, anon, size)) {
		printf("reading the child's memory returned other data than it holds\n");
		failures++;
	}
	for (size_t i = 0; i < PAGES; i++) {
		uint64_t mine = pfn_of(getpid(), anon + i * page);
		uint64_t theirs = pfn_of(child, anon + i * page);

		if (!mine)
			die("no page frame in pagemap (not root?)");
		if (mine != theirs)
			unshared++;
	}
	printf("read of a child's copy-on-write memory through /proc/PID/mem: %d of %d pages unshared (expected 0)%s\n",
	       unshared, PAGES, unshared ? ": WRONG" : "");
	if (unshared)
		failures++;
	close(mem);
	if (write(to_child[1], "x", 1) != 1)
		die("releasing the child");
	waitpid(child, NULL, 0);
	munmap(anon, size);
	free(got);
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
	expect_pins("read through /proc/self/mem", before, 0);
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

	read_child_keeps_cow(page);
	return failures ? 1 : 0;
}
