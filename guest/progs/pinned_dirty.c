// SPDX-License-Identifier: GPL-2.0
/*
 * pinned_dirty: a pinned file range larger than the dirty limit, written by
 * an (emulated) device, must neither throttle other writers nor be
 * rewritten by idle writeback, and what the device wrote must reach the
 * disk after an unpin that does not dirty the pages. Runs in the guest
 * (root, debugfs, CONFIG_GUP_TEST); the caller sets vm.dirty_bytes and the
 * writeback intervals (guest/tests/pinned-dirty-limits).
 *
 *   pinned_dirty [-s MIB] [-i SECONDS] [-w MIB] [-e] [-n] [-d DEV] DIR
 *     -s  size of the pinned range (default 48 MiB)
 *     -i  how long to watch the disk while nothing but the device writes
 *         (default 12 s; 0 skips the step)
 *     -w  size of the other writer's file (default 16 MiB; 0 skips it)
 *     -e  before the first fsync, start writeback of the pinned range
 *         (sync_file_range(WRITE)) in a child whose page allocations all
 *         fail (fail_page_alloc with its task filter, set up by the
 *         caller): the quick allocation of each snapshot fails; prints
 *         dirty_kib_after_failed_writeback.
 *     -n  no fsync before the pin: writeback allocates the range's blocks
 *     -d  with -e: once that writeback is done, compare the blocks that
 *         the file's extents say are written (FIEMAP) with what DEV, the
 *         disk DIR is on, holds there; prints exposed_pages, the pages
 *         whose written extent holds something else (what the disk held
 *         before, which a crash would expose), and compared_pages.
 *
 * Steps: map DIR/pinned.data shared and write it; pin it writable through
 * gup_test (without FOLL_LONGTERM, which 6.12 refuses for file mappings);
 * the device writes round 1; fsync; the device writes round 2, which leaves
 * no page dirty; watch the disk's written sectors for -i seconds; time a
 * buffered writer of -w MiB to DIR/writer.data with fsync; unpin without
 * dirtying; fsync; read the range back with O_DIRECT.
 *
 * Prints "name value" lines: idle_written_kib, writer_ms, lost_pages.
 * Exit status: 0 when the writer finished and no page lost the device's
 * last write, 1 otherwise, 2 on a setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "gup_test_series.h"
#include "lib.h"

/* A writer that hangs on the dirty limit fails the run instead. */
#define WRITER_TIMEOUT_S	120

/* Sectors written to the block device that holds @dir, from its stat file. */
static unsigned long long sectors_written(const char *dir)
{
	unsigned long long f[7];
	char path[64];
	struct stat st;
	FILE *stat_file;

	if (stat(dir, &st))
		die(dir);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/stat",
		 major(st.st_dev), minor(st.st_dev));
	stat_file = fopen(path, "r");
	if (!stat_file)
		die(path);
	/* reads, merged, sectors, ms, writes, merged, sectors written */
	if (fscanf(stat_file, "%llu %llu %llu %llu %llu %llu %llu",
		   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]) != 7)
		die(path);
	fclose(stat_file);
	return f[6];
}

/*
 * Start writeback of the range from a child whose page allocations fail, so
 * that the copies of the pinned folios cannot be allocated.
 */
static void writeback_without_memory(int fd, size_t size)
{
	pid_t child = fork();
	int status;

	if (child < 0)
		die("fork");
	if (child == 0) {
		int fail = open("/proc/self/make-it-fail", O_WRONLY);
		volatile char stack[64 << 10];

		/* Copy the stack's pages now: a fault later could not. */
		memset((char *)stack, 0, sizeof(stack));
		if (fail < 0 || write(fail, "1", 1) != 1)
			_exit(2);
		close(fail);
		/* Whether it reports an error does not matter; the data does. */
		sync_file_range(fd, 0, size, SYNC_FILE_RANGE_WRITE);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		die("writeback child");
	}
}

static void device_write(int gup_fd, uint64_t value)
{
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_WRITE, &value))
		die("PIN_LONGTERM_TEST_WRITE");
}

/* Write @mib MiB to @path through the page cache, then fsync it. */
static void buffered_writer(const char *path, size_t mib)
{
	static char buf[1 << 20];
	size_t i;
	int fd;

	memset(buf, 0x5a, sizeof(buf));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	for (i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("writer: write");
	if (fsync(fd))
		die("writer: fsync");
	close(fd);
}

/* Pages on disk whose every word is not @value + page index. */
static size_t lost_pages(const char *path, size_t size, long page_size,
			 uint64_t value)
{
	size_t words = page_size / sizeof(uint64_t), lost = 0, i, j;
	uint64_t *disk = read_disk(path, size);

	for (i = 0; i < size / page_size; i++)
		for (j = 0; j < words; j++)
			if (disk[i * words + j] != value + i) {
				lost++;
				break;
			}
	free(disk);
	return lost;
}

/*
 * Pages of @fd that FIEMAP says are written on disk but whose blocks on
 * @dev do not hold the file's contents: the extent was marked written
 * before the data reached it. Compares at most a page at a time, never
 * past an extent's end (blocks may be smaller than a page); counts the
 * pieces compared in *@compared.
 */
static size_t exposed_pages(int fd, const char *dev, size_t size, long page_size,
			    size_t *compared)
{
	enum { MAX_EXTENTS = 512 };
	struct fiemap *fm = calloc(1, sizeof(*fm) +
				   MAX_EXTENTS * sizeof(struct fiemap_extent));
	char *disk, *cache;
	size_t exposed = 0;
	int dev_fd;

	if (!fm)
		die("calloc");
	dev_fd = open(dev, O_RDONLY | O_DIRECT);
	if (dev_fd < 0)
		die(dev);
	if (posix_memalign((void **)&disk, page_size, page_size) ||
	    posix_memalign((void **)&cache, page_size, page_size))
		die("posix_memalign");
	fm->fm_length = size;
	/* No FIEMAP_FLAG_SYNC: that would write the folios writeback left. */
	fm->fm_extent_count = MAX_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, fm))
		die("FS_IOC_FIEMAP");
	for (unsigned int e = 0; e < fm->fm_mapped_extents; e++) {
		struct fiemap_extent *x = &fm->fm_extents[e];

		if (x->fe_flags & (FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_DELALLOC |
				   FIEMAP_EXTENT_UNKNOWN))
			continue;
		for (__u64 off = 0; off < x->fe_length; off += page_size) {
			size_t len = x->fe_length - off < (__u64)page_size ?
				     x->fe_length - off : (size_t)page_size;

			if (pread(dev_fd, disk, len, x->fe_physical + off) != (ssize_t)len)
				die("reading the disk");
			if (pread(fd, cache, len, x->fe_logical + off) != (ssize_t)len)
				die("reading the file");
			if (memcmp(disk, cache, len))
				exposed++;
			(*compared)++;
		}
	}
	free(disk);
	free(cache);
	free(fm);
	close(dev_fd);
	return exposed;
}

int main(int argc, char **argv)
{
	size_t size_mib = 48, writer_mib = 16;
	long page_size = sysconf(_SC_PAGESIZE);
	struct pin_longterm_test pin = {};
	unsigned long long sectors;
	char pinned[4096], writer[4096];
	unsigned int idle_s = 12;
	int enomem = 0, fsync_first = 1;
	const char *dev = NULL;
	const uint64_t round2 = 2ULL << 32;
	int opt, fd, gup_fd;
	double start;
	size_t size, lost;
	char *map;

	while ((opt = getopt(argc, argv, "s:i:w:end:")) != -1) {
		switch (opt) {
		case 's': size_mib = strtoul(optarg, NULL, 0); break;
		case 'i': idle_s = strtoul(optarg, NULL, 0); break;
		case 'w': writer_mib = strtoul(optarg, NULL, 0); break;
		case 'e': enomem = 1; break;
		case 'n': fsync_first = 0; break;
		case 'd': dev = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	size = size_mib << 20;
	snprintf(pinned, sizeof(pinned), "%s/pinned.data", argv[optind]);
	snprintf(writer, sizeof(writer), "%s/writer.data", argv[optind]);

	gup_fd = gup_test_open();
	fd = open(pinned, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(pinned);
	if (ftruncate(fd, size))
		die("ftruncate");
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	memset(map, 0xaa, size);
	if (fsync_first && fsync(fd))
		die("fsync");

	pin.addr = (uintptr_t)map;
	pin.size = size;
	pin.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE |
		    PIN_LONGTERM_TEST_FLAG_SHORT_TERM;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &pin))
		die("PIN_LONGTERM_TEST_START");
	device_write(gup_fd, 1ULL << 32);
	if (enomem) {
		writeback_without_memory(fd, size);
		long long dirty = stat_file_value("/proc/meminfo", "Dirty");

		if (dirty < 0)
			die_err(ENOENT, "Dirty in /proc/meminfo");
		printf("dirty_kib_after_failed_writeback %lld\n", dirty);
		if (dev) {
			size_t compared = 0, exposed;

			/* Wait for that writeback only, without starting more. */
			if (sync_file_range(fd, 0, size, SYNC_FILE_RANGE_WAIT_BEFORE |
					    SYNC_FILE_RANGE_WAIT_AFTER))
				die("sync_file_range(WAIT)");
			exposed = exposed_pages(fd, dev, size, page_size, &compared);
			printf("exposed_pages %zu\ncompared_pages %zu\n", exposed, compared);
		}
	}
	if (fsync(fd))
		die("fsync while pinned");
	device_write(gup_fd, round2);

	if (idle_s) {
		sectors = sectors_written(argv[optind]);
		sleep(idle_s);
		printf("idle_written_kib %llu\n",
		       (sectors_written(argv[optind]) - sectors) / 2);
		fflush(stdout);
	}

	if (writer_mib) {
		alarm(WRITER_TIMEOUT_S);
		start = now_ms();
		buffered_writer(writer, writer_mib);
		printf("writer_ms %.0f\n", now_ms() - start);
		alarm(0);
	}

	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
	if (fsync(fd))
		die("fsync after unpin");
	lost = lost_pages(pinned, size, page_size, round2);
	printf("lost_pages %zu\n", lost);

	munmap(map, size);
	close(fd);
	unlink(pinned);
	unlink(writer);
	return lost ? 1 : 0;

usage:
	fprintf(stderr, "usage: pinned_dirty [-s MIB] [-i SECONDS] [-w MIB] [-e] [-n] [-d DEV] DIR\n");
	return 2;
}
