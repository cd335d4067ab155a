// SPDX-License-Identifier: GPL-2.0
/*
 * count_blocks: how many 4 KiB blocks of FILE, read from the disk with
 * O_DIRECT, equal a reference. The scenario tests use it to find on disk
 * the data a device wrote into a pinned file. Runs in the guest.
 *
 *   count_blocks FILE BLOCK       every block against the 4 KiB in BLOCK
 *   count_blocks -s FILE OTHER    block N against block N of OTHER
 * Prints "MATCHING TOTAL". Exit: 0, or 2 on a read failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib.h"

#define BLOCK 4096

int main(int argc, char **argv)
{
	unsigned long matching = 0, total = 0;
	int fd, ref_fd, same_offsets = argc == 4 && !strcmp(argv[1], "-s");
	char *got, *want;
	ssize_t n;

	if (argc != 3 && !same_offsets) {
		fprintf(stderr, "usage: count_blocks [-s] FILE REFERENCE\n");
		return 2;
	}
	argv += same_offsets;
	if (posix_memalign((void **)&got, BLOCK, BLOCK) ||
	    posix_memalign((void **)&want, BLOCK, BLOCK))
		die("posix_memalign");
	ref_fd = open(argv[2], O_RDONLY | O_DIRECT);
	if (ref_fd < 0 || pread(ref_fd, want, BLOCK, 0) != BLOCK)
		die(argv[2]);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(argv[1]);
	while ((n = pread(fd, got, BLOCK, (off_t)total * BLOCK)) == BLOCK) {
		if (same_offsets &&
		    pread(ref_fd, want, BLOCK, (off_t)total * BLOCK) != BLOCK)
			break;
		matching += !memcmp(got, want, BLOCK);
		total++;
	}
	if (n < 0)
		die("O_DIRECT read");
	printf("%lu %lu\n", matching, total);
	return 0;
}
