// SPDX-License-Identifier: GPL-2.0
/*
 * writeback_bench: the cost of writing back pinned page cache from
 * snapshots. Runs in the guest (needs root, debugfs and gup_test).
 *
 *   writeback_bench [-s MIB] [-r ROUNDS] [-p PAGES] unpinned|pinned DIR
 *
 * Maps DIR/writeback-bench.data (MIB MiB, MAP_SHARED) and, ROUNDS times,
 * changes every page (or only the first PAGES) and times the fsync() that
 * writes them:
 *   unpinned  the CPU stores into every page through the mapping;
 *   pinned    the range is pinned long-term for writing through gup_test and
 *             the "device" (PIN_LONGTERM_TEST_WRITE, kmap stores) changes
 *             every page; fsync() dirties the pinned folios again and
 *             writeback writes them (from copies where the disk needs
 *             stable writes).
 * The fsync() is timed: the same amount of data is written either way, so
 * the difference is what the pinned path adds (the walk that dirties pinned
 * folios, the copies where the device needs stable writes). fsync() submits
 * the writeback itself, so its system time holds that work; the caller
 * should stop periodic writeback (vm.dirty_writeback_centisecs=0), which
 * would otherwise take a share of the unpinned case's pages, which the CPU
 * dirtied, and not of the pinned.
 *
 * fsync() alone leaves out where the unpinned case tracks its changes: the
 * CPU's first store to each page after writeback faults (writeback
 * write-protected it) and ->page_mkwrite dirties the page, while fsync()
 * dirties the pinned pages itself. So the change phase's system time is
 * timed too: in the unpinned case that is the write faults (the stores are
 * user time); in the pinned case it is the emulated device's stores, which
 * a real device does without the CPU, so faults_fsync_sys_ms leaves them out.
 *
 * With -p 1 the rest of the file stays in the page cache, clean: the fsync()
 * of the pinned case then shows whether writing one pinned page costs in
 * proportion to the file's page cache (v1 and v2 walked all of it)
 * or to the pages writeback cleaned while pinned.
 *
 * Prints "metric<TAB>value" lines: fsync_ms and fsync_sys_ms (totals),
 * mib_per_s (changed data over fsync_ms), change_sys_ms (the change
 * phase's system time) and faults_fsync_sys_ms (fsync plus the write
 * faults: change_sys_ms for unpinned, none for pinned).
 * Exit: 0, 1 if the pinned range could not be pinned (the base refuses
 * long-term writable pins of ext4), 2 setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gup_test_series.h"
#include "lib.h"

static double sys_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

int main(int argc, char **argv)
{
	unsigned long mib = 64, rounds = 5, pages = 0;
	double fsync_ms = 0, fsync_sys_ms = 0, change_sys_ms = 0, start, start_sys;
	int opt, fd, gup_fd = -1;
	size_t size, changed, page = getpagesize();
	bool pinned;
	char path[4096];
	char *mem;

	while ((opt = getopt(argc, argv, "s:r:p:")) != -1) {
		switch (opt) {
		case 's': mib = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 'p': pages = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (optind != argc - 2 || !mib || !rounds)
		goto usage;
	if (!strcmp(argv[optind], "pinned"))
		pinned = true;
	else if (!strcmp(argv[optind], "unpinned"))
		pinned = false;
	else
		goto usage;
	size = mib << 20;
	changed = pages ? pages * page : size;
	if (changed > size)
		goto usage;
	snprintf(path, sizeof(path), "%s/writeback-bench.data", argv[optind + 1]);

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	if (fallocate(fd, 0, 0, size))
		die("fallocate");
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memset(mem, 0xff, size);
	if (fsync(fd))
		die("fsync");

	if (pinned) {
		struct pin_longterm_test args = {
			.addr = (uintptr_t)mem,
			.size = changed,
			.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE,
		};

		gup_fd = gup_test_open();
		if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
			fprintf(stderr, "writeback_bench: long-term pin refused: %s\n",
				strerror(errno));
			return 1;
		}
	}

	for (unsigned long round = 0; round < rounds; round++) {
		uint64_t value = (round + 1) << 32;

		start_sys = sys_ms();
		if (pinned) {
			if (ioctl(gup_fd, PIN_LONGTERM_TEST_WRITE, &value))
				die("PIN_LONGTERM_TEST_WRITE");
		} else {
			for (size_t off = 0; off < changed; off += page)
				memset(mem + off, (int)(round + 1), page);
		}
		change_sys_ms += sys_ms() - start_sys;
		start = now_ms();
		start_sys = sys_ms();
		if (fsync(fd))
			die("fsync");
		fsync_ms += now_ms() - start;
		fsync_sys_ms += sys_ms() - start_sys;
	}

	if (pinned && ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
	munmap(mem, size);
	close(fd);
	unlink(path);

	printf("fsync_ms\t%.3f\n", fsync_ms);
	printf("fsync_sys_ms\t%.3f\n", fsync_sys_ms);
	printf("mib_per_s\t%.1f\n",
	       (double)changed * rounds / (1 << 20) / (fsync_ms / 1e3));
	printf("change_sys_ms\t%.3f\n", change_sys_ms);
	printf("faults_fsync_sys_ms\t%.3f\n", fsync_sys_ms + (pinned ? 0 : change_sys_ms));
	return 0;

usage:
	fprintf(stderr, "usage: writeback_bench [-s MIB] [-r ROUNDS] [-p PAGES] unpinned|pinned DIR\n");
	return 2;
}
