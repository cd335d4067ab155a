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

/* Pages of path, read from the disk, that hold value + page (the device's store). */
static int pages_on_disk(const char *path, uint64_t value)
{
	uint64_t *page;
	int fd, n, hits = 0;

	if (posix_memalign((void **)&page, PAGE, PAGE))
		die("posix_memalign");
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(path);
	for (n = 0; n < PAGES; n++) {
		if (pread(fd, page, PAGE, (off_t)n * PAGE) != PAGE)
			break;
		hits += page[0] == value + n && page[PAGE / 8 - 1] == value + n;
	}
	close(fd);
	free(page);
	return hits;
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

int main(int argc, char **argv)
{
	gup_fd = gup_test_open();
	if (argc == 3 && !strcmp(argv[1], "truncate"))
		return test_truncate(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "umount"))
		return test_umount(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "journal"))
		return test_journal(argv[2]);
	fprintf(stderr, "usage: pin_lifecycle truncate FILE | umount FILE MOUNTPOINT DEVICE | journal FILE\n");
	return 2;
}
