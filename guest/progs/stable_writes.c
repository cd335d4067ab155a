// SPDX-License-Identifier: GPL-2.0
/*
 * stable_writes: does writeback submit a stable copy of a page-cache page
 * that a device is writing into? Runs in the guest, on a filesystem over a
 * dm-integrity device in direct mode (no journal), which checksums each
 * block's data when the write is submitted and checks the checksum when the
 * block is read: a block whose data changed while its write was in flight
 * reads back as EIO (or EILSEQ). That is the torn write a stable-writes
 * device (checksums, RAID parity, T10 PI) cannot survive.
 *
 *   stable_writes [-t SECONDS] [-n PAGES] odirect|device FILE SOURCE
 *
 * FILE (PAGES pages, MAP_SHARED) is written by a "device" for SECONDS while
 * the main thread, page by page, has writeback write the page and reads it
 * back from the disk with O_DIRECT (an O_DIRECT read first writes the dirty
 * page cache of its range):
 *   odirect  the device is the disk: O_DIRECT reads from SOURCE (a file on
 *            another disk) into the mapping, alternating two generations of
 *            data. Each read pins the pages (short-term FOLL_PIN) while the
 *            disk's DMA writes them. 6.12 allows this, and writes the live
 *            page if writeback meets a page under such a read.
 *   device   gup_test pins the mapping long-term for writing and its
 *            emulated device stores a new generation into every page, again
 *            and again (PIN_LONGTERM_TEST_WRITE, the series' patch 9). 6.12
 *            refuses the pin.
 * Then the device stops (and unpins), FILE is fsynced and every page must
 * hold on disk what the device wrote last.
 *
 * Prints "metric value" lines: large_folio_pages (pages of FILE in large
 * folios when it was mapped; -1 if unknown), device_rounds, checked_reads,
 * torn_reads, lost_pages. Exit: 0 when no read was torn and no page lost,
 * 1 otherwise, 2 on a setup failure, 3 if the long-term pin was refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kernel-page-flags.h>

#include "gup_test_series.h"
#include "lib.h"

static size_t page_size, nr_pages;
static char *map;
static int source_fd, gup_fd = -1;
static atomic_bool stop;
/* The generation the device finished writing last (0: none yet). */
static atomic_ulong last_generation;
static unsigned long device_rounds;

/* The word the device leaves in every 64-bit slot of page @i. */
static uint64_t word(unsigned long generation, size_t i)
{
	return ((uint64_t)generation << 32) + i;
}

/* SOURCE holds generation 1, then generation 2, PAGES pages each. */
static void make_source(const char *path)
{
	size_t size = nr_pages * page_size, i, j;
	uint64_t *data;
	int fd;

	if (posix_memalign((void **)&data, page_size, 2 * size))
		die("posix_memalign");
	for (i = 0; i < 2 * nr_pages; i++)
		for (j = 0; j < page_size / sizeof(uint64_t); j++)
			data[i * page_size / sizeof(uint64_t) + j] =
				word(1 + i / nr_pages, i % nr_pages);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	if (pwrite(fd, data, 2 * size, 0) != (ssize_t)(2 * size) || fsync(fd))
		die("writing the source file");
	close(fd);
	free(data);
	source_fd = open(path, O_RDONLY | O_DIRECT);
	if (source_fd < 0)
		die(path);
}

/*
 * How many pages of the mapping the page cache holds in large folios, by
 * /proc/kpageflags (read faults map them and dirty nothing); -1 where
 * that cannot be read.
 */
static ssize_t pages_in_large_folios(void)
{
	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	int kpageflags = open("/proc/kpageflags", O_RDONLY);
	ssize_t large = 0;
	size_t i;

	if (pagemap < 0 || kpageflags < 0)
		large = -1;
	for (i = 0; i < nr_pages && large >= 0; i++) {
		uint64_t entry, flags;

		(void)*(volatile char *)(map + i * page_size);
		if (pread(pagemap, &entry, 8, ((uintptr_t)map / page_size + i) * 8) != 8 ||
		    !(entry >> 63) ||
		    pread(kpageflags, &flags, 8, (entry & ((1ULL << 55) - 1)) * 8) != 8) {
			large = -1;
			break;
		}
		if (flags & (1ULL << KPF_COMPOUND_HEAD | 1ULL << KPF_COMPOUND_TAIL))
			large++;
	}
	if (pagemap >= 0)
		close(pagemap);
	if (kpageflags >= 0)
		close(kpageflags);
	return large;
}

/* The disk as the device: its DMA writes the mapping during each read. */
static void *odirect_device(void *unused)
{
	size_t size = nr_pages * page_size;
	unsigned long generation;

	for (generation = 1; !atomic_load(&stop); generation = 3 - generation) {
		if (pread(source_fd, map, size, (generation - 1) * size) !=
		    (ssize_t)size)
			die("O_DIRECT read into the mapping");
		atomic_store(&last_generation, generation);
		device_rounds++;
	}
	return unused;
}

/* gup_test's emulated device: stores into the long-term pinned pages. */
static void *gup_test_device(void *unused)
{
	unsigned long generation;
	uint64_t value;

	for (generation = 1; !atomic_load(&stop); generation++) {
		value = word(generation, 0);
		if (ioctl(gup_fd, PIN_LONGTERM_TEST_WRITE, &value))
			die("PIN_LONGTERM_TEST_WRITE");
		atomic_store(&last_generation, generation);
		device_rounds++;
	}
	return unused;
}

/*
 * Write back page @i and read it from the disk. Returns false if the read
 * failed the integrity check: the disk holds data that is not what was
 * checksummed when the write was submitted.
 */
static bool write_and_check(int direct_fd, void *buf, size_t i)
{
	if (pread(direct_fd, buf, page_size, i * page_size) ==
	    (ssize_t)page_size)
		return true;
	if (errno != EIO && errno != EILSEQ)
		die("O_DIRECT read of the file");
	return false;
}

/* Pages on disk that do not hold generation @generation, read with O_DIRECT. */
static size_t lost_pages(int direct_fd, unsigned long generation,
			 unsigned long *torn)
{
	size_t words = page_size / sizeof(uint64_t), lost = 0, i, j;
	uint64_t *disk;

	if (posix_memalign((void **)&disk, page_size, page_size))
		die("posix_memalign");
	for (i = 0; i < nr_pages; i++) {
		if (!write_and_check(direct_fd, disk, i)) {
			(*torn)++;
			lost++;
			continue;
		}
		for (j = 0; j < words; j++)
			if (disk[j] != word(generation, i)) {
				lost++;
				break;
			}
	}
	free(disk);
	return lost;
}

int main(int argc, char **argv)
{
	unsigned long seconds = 20, checked = 0, torn = 0, generation;
	struct pin_longterm_test pin = {};
	int opt, fd, direct_fd;
	bool device_mode;
	pthread_t device;
	size_t lost, i;
	ssize_t large;
	double deadline;
	void *buf;

	page_size = sysconf(_SC_PAGESIZE);
	nr_pages = 64;
	while ((opt = getopt(argc, argv, "t:n:")) != -1) {
		switch (opt) {
		case 't': seconds = strtoul(optarg, NULL, 0); break;
		case 'n': nr_pages = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (optind != argc - 3 || !nr_pages)
		goto usage;
	if (!strcmp(argv[optind], "device"))
		device_mode = true;
	else if (!strcmp(argv[optind], "odirect"))
		device_mode = false;
	else
		goto usage;

	/*
	 * One write(2) of the whole file, not stores through the mapping: the
	 * page cache then holds it in large folios where the kernel has them
	 * (ext4 on mainline), whose pinned blocks writeback must copy.
	 */
	fd = open(argv[optind + 1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[optind + 1]);
	if (posix_memalign(&buf, page_size, nr_pages * page_size))
		die("posix_memalign");
	memset(buf, 0xaa, nr_pages * page_size);
	if (pwrite(fd, buf, nr_pages * page_size, 0) != (ssize_t)(nr_pages * page_size))
		die("writing the file");
	free(buf);
	if (fsync(fd))
		die("fsync");
	map = mmap(NULL, nr_pages * page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	large = pages_in_large_folios();
	direct_fd = open(argv[optind + 1], O_RDONLY | O_DIRECT);
	if (direct_fd < 0)
		die(argv[optind + 1]);
	if (posix_memalign(&buf, page_size, page_size))
		die("posix_memalign");

	if (device_mode) {
		gup_fd = gup_test_open();
		pin.addr = (uintptr_t)map;
		pin.size = nr_pages * page_size;
		pin.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE;
		if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &pin)) {
			fprintf(stderr, "stable_writes: long-term writable pin refused: %s\n",
				strerror(errno));
			return 3;
		}
	} else {
		make_source(argv[optind + 2]);
	}

	errno = pthread_create(&device, NULL,
			       device_mode ? gup_test_device : odirect_device,
			       NULL);
	if (errno)
		die("pthread_create");
	deadline = now_s() + seconds;
	while (now_s() < deadline) {
		for (i = 0; i < nr_pages; i++, checked++)
			if (!write_and_check(direct_fd, buf, i))
				torn++;
		if (fsync(fd))
			die("fsync while the device writes");
	}
	atomic_store(&stop, true);
	errno = pthread_join(device, NULL);
	if (errno)
		die("pthread_join");
	generation = atomic_load(&last_generation);

	if (device_mode && ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
	if (fsync(fd))
		die("fsync after the device stopped");
	lost = lost_pages(direct_fd, generation, &torn);

	printf("large_folio_pages %zd\n", large);
	printf("device_rounds %lu\n", device_rounds);
	printf("checked_reads %lu\n", checked);
	printf("torn_reads %lu\n", torn);
	printf("lost_pages %zu\n", lost);
	munmap(map, nr_pages * page_size);
	close(fd);
	return torn || lost || !generation ? 1 : 0;

usage:
	fprintf(stderr, "usage: stable_writes [-t SECONDS] [-n PAGES] odirect|device FILE SOURCE\n");
	return 2;
}
