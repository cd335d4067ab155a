// SPDX-License-Identifier: GPL-2.0
/*
 * longterm_pin: take a long-term pin of a mapping through gup_test's
 * PIN_LONGTERM_TEST_START, check through the pin that the pinned pages are
 * the mapping's pages, and release it. Runs in the guest (needs root and
 * debugfs with CONFIG_GUP_TEST).
 *
 *   longterm_pin [-w] [-f] [-s BYTES] file PATH | memfd | anon
 *     -w   writable pin (FOLL_LONGTERM|FOLL_WRITE); read-only without it
 *     -f   through pin_user_pages_fast() (gup-fast) instead of pin_user_pages()
 *     -s   size of the mapping (default 1 MiB)
 *   file PATH maps PATH MAP_SHARED (created and sized as needed), memfd a
 *   shared memfd, anon private anonymous memory.
 *
 * Prints one word for the outcome: "pinned" or the errno name of the
 * refusal (e.g. "EFAULT"). Exit status: 0 pinned and verified, 1 refused,
 * 2 anything else (setup failure, or the pinned pages did not hold the data).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gup_test.h"

static void die(const char *what)
{
	fprintf(stderr, "longterm_pin: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void usage(void)
{
	fprintf(stderr, "usage: longterm_pin [-w] [-f] [-s BYTES] file PATH | memfd | anon\n");
	exit(2);
}

static char *map_memory(const char *kind, const char *path, size_t size)
{
	int fd = -1;
	int flags = MAP_SHARED;
	char *mem;

	if (!strcmp(kind, "file")) {
		if (!path)
			usage();
		fd = open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0)
			die(path);
	} else if (!strcmp(kind, "memfd")) {
		fd = memfd_create("longterm_pin", 0);
		if (fd < 0)
			die("memfd_create");
	} else if (!strcmp(kind, "anon")) {
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
	} else {
		usage();
	}
	if (fd >= 0 && ftruncate(fd, size))
		die("ftruncate");
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	if (fd >= 0)
		close(fd);
	return mem;
}

/* A byte pattern that differs per page, so a wrong page is noticed. */
static void fill(char *mem, size_t size, long page_size)
{
	for (size_t off = 0; off < size; off += page_size)
		memset(mem + off, 'A' + (off / page_size) % 26, page_size);
}

int main(int argc, char **argv)
{
	struct pin_longterm_test args = { 0 };
	size_t size = 1 << 20;
	long page_size = sysconf(_SC_PAGESIZE);
	char *mem, *copy;
	uint64_t copy_addr;
	int opt, gup_fd;

	while ((opt = getopt(argc, argv, "wfs:")) != -1) {
		switch (opt) {
		case 'w':
			args.flags |= PIN_LONGTERM_TEST_FLAG_USE_WRITE;
			break;
		case 'f':
			args.flags |= PIN_LONGTERM_TEST_FLAG_USE_FAST;
			break;
		case 's':
			size = strtoull(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || !size || size % page_size)
		usage();

	mem = map_memory(argv[optind], argv[optind + 1], size);
	fill(mem, size, page_size);

	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gup_fd < 0)
		die("/sys/kernel/debug/gup_test");

	args.addr = (uintptr_t)mem;
	args.size = size;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
		int err = errno;

		printf("%s\n", strerrorname_np(err) ?: "unknown errno");
		return err == EFAULT || err == EOPNOTSUPP ? 1 : 2;
	}

	copy = malloc(size);
	if (!copy)
		die("malloc");
	copy_addr = (uintptr_t)copy;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_READ, &copy_addr))
		die("PIN_LONGTERM_TEST_READ");
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
	if (memcmp(copy, mem, size)) {
		printf("pinned-wrong-pages\n");
		return 2;
	}
	printf("pinned\n");
	return 0;
}
