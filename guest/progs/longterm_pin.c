// SPDX-License-Identifier: GPL-2.0
/*
 * longterm_pin: take a long-term pin of a mapping through gup_test's
 * PIN_LONGTERM_TEST_START, check through the pin that the pinned pages are
 * the mapping's pages, and release it. Runs in the guest (needs root and
 * debugfs with CONFIG_GUP_TEST).
 *
 *   longterm_pin [-w] [-f] [-r] [-p] [-H] [-s BYTES] file PATH | memfd | anon
 *     -w   writable pin (FOLL_LONGTERM|FOLL_WRITE); read-only without it
 *     -f   through pin_user_pages_fast() (gup-fast) instead of pin_user_pages()
 *     -r   map an existing file read-only (O_RDONLY, PROT_READ), as it is
 *     -p   map the file MAP_PRIVATE
 *     -H   align the mapping to a PMD, madvise(MADV_HUGEPAGE) it and read
 *          every page before the pin, so that page cache folios of PMD size
 *          are mapped by PMDs; "no-pmd-mapping" if none is (with -r: a
 *          write would replace the private mapping's pages by copies)
 *     -s   size of the mapping (default 1 MiB)
 *   file PATH maps PATH MAP_SHARED (created and sized as needed), memfd a
 *   shared memfd, anon private anonymous memory.
 *
 * Prints one word for the outcome: "pinned" or the errno name of the
 * refusal (e.g. "EFAULT"). Exit status: 0 pinned and verified, 1 refused,
 * 2 anything else (setup failure, or the pinned pages did not hold the data),
 * 3 no PMD mapping with -H.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gup_test.h"
#include "lib.h"

static bool read_only, private_map, pmd_mapped;

static void usage(void)
{
	fprintf(stderr, "usage: longterm_pin [-w] [-f] [-r] [-p] [-H] [-s BYTES] file PATH | memfd | anon\n");
	exit(2);
}

/*
 * Kilobytes of the mapping at @addr that are mapped by PMDs, from its
 * /proc/self/smaps entry (FilePmdMapped or ShmemPmdMapped).
 */
static long pmd_mapped_kb(const void *addr)
{
	char line[256], key[64];
	unsigned long start, end;
	bool ours = false;
	long kb, total = 0;
	FILE *smaps = fopen("/proc/self/smaps", "r");

	if (!smaps)
		die("/proc/self/smaps");
	while (fgets(line, sizeof(line), smaps)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			ours = start <= (uintptr_t)addr && (uintptr_t)addr < end;
			continue;
		}
		if (ours && sscanf(line, "%63[^:]: %ld kB", key, &kb) == 2 &&
		    (!strcmp(key, "FilePmdMapped") || !strcmp(key, "ShmemPmdMapped")))
			total += kb;
	}
	fclose(smaps);
	return total;
}

/* A PMD-aligned stretch of @size bytes of address space, reserved. */
static void *pmd_aligned_area(size_t size)
{
	unsigned long pmd_size;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	char *area;

	if (!f || fscanf(f, "%lu", &pmd_size) != 1 || !pmd_size)
		die("hpage_pmd_size");
	fclose(f);
	area = mmap(NULL, size + pmd_size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		die("mmap");
	return (void *)(((uintptr_t)area + pmd_size - 1) & ~(pmd_size - 1));
}

static char *map_memory(const char *kind, const char *path, size_t size)
{
	int fd = -1;
	int flags = MAP_SHARED;
	int prot = PROT_READ | PROT_WRITE;
	void *where = NULL;
	char *mem;

	if (!strcmp(kind, "file")) {
		if (!path)
			usage();
		fd = read_only ? open(path, O_RDONLY) : open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0)
			die(path);
		if (read_only)
			prot = PROT_READ;
		if (private_map)
			flags = MAP_PRIVATE;
	} else if (read_only || private_map) {
		usage();	/* both are about files */
	} else if (!strcmp(kind, "memfd")) {
		fd = memfd_create("longterm_pin", 0);
		if (fd < 0)
			die("memfd_create");
	} else if (!strcmp(kind, "anon")) {
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
	} else {
		usage();
	}
	if (fd >= 0 && !read_only && ftruncate(fd, size))
		die("ftruncate");
	if (pmd_mapped) {
		where = pmd_aligned_area(size);
		flags |= MAP_FIXED;
	}
	mem = mmap(where, size, prot, flags, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	if (fd >= 0)
		close(fd);
	if (pmd_mapped && madvise(mem, size, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
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

	while ((opt = getopt(argc, argv, "wfrpHs:")) != -1) {
		switch (opt) {
		case 'w':
			args.flags |= PIN_LONGTERM_TEST_FLAG_USE_WRITE;
			break;
		case 'f':
			args.flags |= PIN_LONGTERM_TEST_FLAG_USE_FAST;
			break;
		case 'r':
			read_only = true;
			break;
		case 'p':
			private_map = true;
			break;
		case 'H':
			pmd_mapped = true;
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
	if (read_only) {
		/* Fault every page in by reading it; the file keeps its data. */
		for (size_t off = 0; off < size; off += page_size)
			*(volatile char *)(mem + off);
	} else {
		fill(mem, size, page_size);
	}
	if (pmd_mapped && !pmd_mapped_kb(mem)) {
		printf("no-pmd-mapping\n");
		return 3;
	}

	gup_fd = gup_test_open();

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
