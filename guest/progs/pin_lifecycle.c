// SPDX-License-Identifier: GPL-2.0
/*
 * pin_lifecycle: what happens to a long-term writable pin of an ext4 file
 * when the file or its filesystem changes under it, as
 * Documentation/core-api/pin_user_pages.rst describes. The device is
 * gup_test: PIN_LONGTERM_TEST_START pins, PIN_LONGTERM_TEST_WRITE stores
 * into the pinned pages through the kernel mapping, as DMA would.
 *
 *   pin_lifecycle truncate FILE
 *	the device writes, fsync puts it on disk; the file is truncated to 0
 *	while pinned; the device writes again (into memory the file no longer
 *	has); after the unpin the file is empty and, extended again, reads
 *	zeros.
 *   pin_lifecycle umount FILE MOUNTPOINT DEVICE
 *	the device writes, the range is unmapped and the file closed while the
 *	pin stays; umount(MOUNTPOINT) must succeed; the device writes again;
 *	after the unpin DEVICE is mounted again and FILE holds the first write.
 *   pin_lifecycle journal FILE   (a filesystem mounted with nodelalloc)
 *	FS_IOC_SETFLAGS +FS_JOURNAL_DATA_FL fails with EBUSY while pinned,
 *	succeeds after the unpin, and a new long-term writable pin is refused.
 *   pin_lifecycle immutable FILE
 *   pin_lifecycle readonly FILE MOUNTPOINT
 *   pin_lifecycle swapfile FILE
 *	a file that takes no writes keeps what it held: the CPU writes the
 *	pinned range and fsync cleans it (writeback has then written pinned
 *	folios, so the file's unpins dirty them again); the range is unmapped;
 *	the file is made immutable (FS_IOC_SETFLAGS +FS_IMMUTABLE_FL), or the
 *	file is closed and MOUNTPOINT remounted read-only, or the file (a swap
 *	header in its first page) is made a swap file with swapon(2); the
 *	device writes; after the unpin nothing is dirtied (immutable and swap
 *	file: an fsync runs the worker that dirties unpinned folios;
 *	read-only: a second's wait for it), and once the file is mutable, the
 *	filesystem writable or the swap file off again no page of the
 *	device's write reaches the disk (swap: nor the swap header's page).
 *
 * Prints one line of what it saw. Exit: 0 as documented, 1 not as
 * documented (or the pin was refused: "refused EFAULT"), 2 setup failure.
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
#include <sys/mount.h>
#include <sys/swap.h>
#include <unistd.h>
#include <linux/fs.h>

#include "gup_test_series.h"
#include "lib.h"

#define PAGES 16
#define PAGE 4096

static int gup_fd;

static char *map_file(const char *path, int *fdp)
{
	char *mem;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path);
	if (ftruncate(fd, PAGES * PAGE))
		die("ftruncate");
	mem = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memset(mem, 0, PAGES * PAGE);
	*fdp = fd;
	return mem;
}

/* Long-term writable pin; 0, or the errno of the refusal. */
static int pin(char *mem)
{
	struct pin_longterm_test args = {
		.addr = (uintptr_t)mem,
		.size = PAGES * PAGE,
		.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE,
	};

	return ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args) ? errno : 0;
}

static void unpin(void)
{
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
}

static void device_write(uint64_t value)
{
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_WRITE, &value))
		die("PIN_LONGTERM_TEST_WRITE");
}

/* Every byte of the CPU's fill of the range, as a 64-bit word. */
#define CPU_FILL	0x1111111111111111ULL

/*
 * Pages of @path whose first and last 64-bit words hold first + page * step:
 * the device's store (value, 1) or the CPU's fill (CPU_FILL, 0).  With
 * O_DIRECT in @flags, as the disk holds them.
 */
static int pages_holding(const char *path, int flags, uint64_t first,
			 uint64_t step)
{
	uint64_t *page;
	int fd, n, hits = 0;

	if (posix_memalign((void **)&page, PAGE, PAGE))
		die("posix_memalign");
	fd = open(path, O_RDONLY | flags);
	if (fd < 0)
		die(path);
	for (n = 0; n < PAGES; n++) {
		uint64_t want = first + n * step;

		if (pread(fd, page, PAGE, (off_t)n * PAGE) != PAGE)
			break;
		hits += page[0] == want && page[PAGE / 8 - 1] == want;
	}
	close(fd);
	free(page);
	return hits;
}

/* Pages of path, read from the disk, that hold value + page (the device's store). */
static int pages_on_disk(const char *path, uint64_t value)
{
	return pages_holding(path, O_DIRECT, value, 1);
}

/* The worker that dirties unpinned folios runs within this after an unpin. */
#define UNPIN_WORKER_WAIT_US	(1000 * 1000)

static void set_immutable(int fd, int on)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		die("FS_IOC_GETFLAGS");
	flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags))
		die("FS_IOC_SETFLAGS immutable");
}

static int refused(int err)
{
	printf("refused %s\n", strerrorname_np(err));
	return 1;
}

static int test_truncate(const char *path)
{
	int fd, err, before, zeros = 0;
	char *mem, page[PAGE];
	off_t size;

	mem = map_file(path, &fd);
	err = pin(mem);
	if (err)
		return refused(err);
	device_write(0xa000);
	if (fsync(fd))
		die("fsync");
	before = pages_on_disk(path, 0xa000);
	if (ftruncate(fd, 0))
		die("ftruncate to 0 while pinned");
	device_write(0xb000);
	unpin();
	munmap(mem, PAGES * PAGE);
	if (fsync(fd))
		die("fsync");
	size = lseek(fd, 0, SEEK_END);
	if (ftruncate(fd, PAGES * PAGE))
		die("ftruncate back");
	for (int n = 0; n < PAGES; n++) {
		static const char zero[PAGE];

		if (pread(fd, page, PAGE, (off_t)n * PAGE) != PAGE)
			die("pread");
		zeros += !memcmp(page, zero, PAGE);
	}
	close(fd);
	printf("synced before truncate %d/%d, size after %lld, zero pages when extended %d/%d\n",
	       before, PAGES, (long long)size, zeros, PAGES);
	return before == PAGES && size == 0 && zeros == PAGES ? 0 : 1;
}

static int test_umount(const char *path, const char *mountpoint, const char *device)
{
	int fd, err, on_disk;
	char *mem;

	mem = map_file(path, &fd);
	err = pin(mem);
	if (err)
		return refused(err);
	device_write(0xc000);
	munmap(mem, PAGES * PAGE);
	close(fd);
	if (umount(mountpoint)) {
		printf("umount while pinned failed: %s\n", strerrorname_np(errno));
		unpin();
		return 1;
	}
	device_write(0xd000);
	unpin();
	if (mount(device, mountpoint, "ext4", 0, NULL))
		die("mounting again");
	on_disk = pages_on_disk(path, 0xc000);
	printf("umount while pinned: ok, written by the umount %d/%d\n", on_disk, PAGES);
	return on_disk == PAGES ? 0 : 1;
}

static int test_journal(const char *path)
{
	int fd, err, flags, busy, after;
	char *mem;

	mem = map_file(path, &fd);
	err = pin(mem);
	if (err)
		return refused(err);
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		die("FS_IOC_GETFLAGS");
	flags |= FS_JOURNAL_DATA_FL;
	busy = ioctl(fd, FS_IOC_SETFLAGS, &flags) ? errno : 0;
	unpin();
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags))
		die("FS_IOC_SETFLAGS after the unpin");
	after = pin(mem);
	if (!after)
		unpin();
	munmap(mem, PAGES * PAGE);
	close(fd);
	printf("chattr +j while pinned: %s; long-term writable pin afterwards: %s\n",
	       busy ? strerrorname_np(busy) : "allowed",
	       after ? strerrorname_np(after) : "allowed");
	return busy == EBUSY && after == EFAULT ? 0 : 1;
}

/*
 * A pinned range that writeback cleaned while pinned, written by the CPU
 * (0x11 bytes) and fsynced; unmapped.  The file stays open in *fdp.
 */
static int pinned_and_written_back(const char *path, int *fdp)
{
	char *mem;
	int err;

	mem = map_file(path, fdp);
	err = pin(mem);
	if (err)
		return err;
	memset(mem, CPU_FILL & 0xff, PAGES * PAGE);
	if (fsync(*fdp))
		die("fsync while pinned");
	munmap(mem, PAGES * PAGE);
	return 0;
}

static int test_immutable(const char *path)
{
	int fd, err, cached, on_disk, cpu;

	err = pinned_and_written_back(path, &fd);
	if (err)
		return refused(err);
	set_immutable(fd, 1);
	device_write(0xe000);
	unpin();
	/* Data integrity writeback runs the worker's queue itself. */
	if (fsync(fd))
		die("fsync of the immutable file");
	/* The control: the device did write, into the file's cached folios. */
	cached = pages_holding(path, 0, 0xe000, 1);
	set_immutable(fd, 0);
	on_disk = pages_on_disk(path, 0xe000);
	cpu = pages_holding(path, O_DIRECT, CPU_FILL, 0);
	close(fd);
	printf("immutable while pinned: the device's write cached %d/%d; after chattr -i, on disk %d/%d, the CPU's %d/%d\n",
	       cached, PAGES, on_disk, PAGES, cpu, PAGES);
	return cached == PAGES && on_disk == 0 && cpu == PAGES ? 0 : 1;
}

static int test_readonly(const char *path, const char *mountpoint)
{
	int fd, err, cached, on_disk, cpu;

	err = pinned_and_written_back(path, &fd);
	if (err)
		return refused(err);
	close(fd);
	if (mount(NULL, mountpoint, NULL, MS_REMOUNT | MS_RDONLY, NULL)) {
		printf("remount read-only while pinned failed: %s\n",
		       strerrorname_np(errno));
		unpin();
		return 1;
	}
	device_write(0xf000);
	unpin();
	/* A read-only filesystem's fsync writes nothing: let the worker run. */
	usleep(UNPIN_WORKER_WAIT_US);
	/* The control: the device did write, into the file's cached folios. */
	cached = pages_holding(path, 0, 0xf000, 1);
	if (mount(NULL, mountpoint, NULL, MS_REMOUNT, NULL))
		die("remount read-write");
	on_disk = pages_on_disk(path, 0xf000);
	cpu = pages_holding(path, O_DIRECT, CPU_FILL, 0);
	printf("read-only while pinned: the device's write cached %d/%d; after remount rw, on disk %d/%d, the CPU's %d/%d\n",
	       cached, PAGES, on_disk, PAGES, cpu, PAGES);
	return cached == PAGES && on_disk == 0 && cpu == PAGES ? 0 : 1;
}

/*
 * A version 1 swap header (include/linux/swap.h, union swap_header) for a
 * swap area of the whole range: from byte 1024 the version, the last page
 * and the count of bad pages; the magic in the page's last ten bytes.
 */
#define SWAP_MAGIC		"SWAPSPACE2"
#define SWAP_VERSION_OFFSET	1024
#define SWAP_MAGIC_OFFSET	(PAGE - 10)

static void write_swap_header(char *page)
{
	uint32_t info[3] = { 1, PAGES - 1, 0 }; /* version, last_page, nr_badpages */

	memset(page, 0, PAGE);
	memcpy(page + SWAP_VERSION_OFFSET, info, sizeof(info));
	memcpy(page + SWAP_MAGIC_OFFSET, SWAP_MAGIC, strlen(SWAP_MAGIC));
}

/* Does the disk's first page of @path still hold the swap header? */
static int swap_header_on_disk(const char *path)
{
	char *page, header[PAGE];
	int fd, same;

	if (posix_memalign((void **)&page, PAGE, PAGE))
		die("posix_memalign");
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(path);
	if (pread(fd, page, PAGE, 0) != PAGE)
		die("pread of the swap header");
	write_swap_header(header);
	same = !memcmp(page, header, PAGE);
	close(fd);
	free(page);
	return same;
}

static int test_swapfile(const char *path)
{
	int fd, err, cached, on_disk, cpu, header;
	char page[PAGE];

	err = pinned_and_written_back(path, &fd);
	if (err)
		return refused(err);
	/* Into the pinned first page, which writeback then cleans again. */
	write_swap_header(page);
	if (pwrite(fd, page, PAGE, 0) != PAGE || fsync(fd))
		die("writing the swap header");
	if (swapon(path, 0)) {
		printf("swapon while pinned failed: %s\n", strerrorname_np(errno));
		unpin();
		return 1;
	}
	device_write(0xd000);
	unpin();
	/* Data integrity writeback runs the worker's queue itself. */
	if (fsync(fd))
		die("fsync of the swap file");
	/* The control: the device did write, into the file's cached folios. */
	cached = pages_holding(path, 0, 0xd000, 1);
	if (swapoff(path))
		die("swapoff");
	on_disk = pages_on_disk(path, 0xd000);
	/* The first page holds the header, not the fill. */
	cpu = pages_holding(path, O_DIRECT, CPU_FILL, 0);
	header = swap_header_on_disk(path);
	close(fd);
	printf("swap file while pinned: the device's write cached %d/%d; after swapoff, on disk %d/%d, the CPU's %d/%d, the swap header %s\n",
	       cached, PAGES, on_disk, PAGES, cpu, PAGES - 1,
	       header ? "intact" : "overwritten");
	return cached == PAGES && on_disk == 0 && cpu == PAGES - 1 && header ? 0 : 1;
}

int main(int argc, char **argv)
{
	gup_fd = gup_test_open();
	if (argc == 3 && !strcmp(argv[1], "truncate"))
		return test_truncate(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "umount"))
		return test_umount(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "journal"))
		return test_journal(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "immutable"))
		return test_immutable(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "readonly"))
		return test_readonly(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "swapfile"))
		return test_swapfile(argv[2]);
	fprintf(stderr, "usage: pin_lifecycle truncate FILE | umount FILE MOUNTPOINT DEVICE | journal FILE | immutable FILE | readonly FILE MOUNTPOINT | swapfile FILE\n");
	return 2;
}
