// SPDX-License-Identifier: GPL-2.0
/* The files, the memfd and the block device the mix works on. */
#include "pin_stress.h"

void map_target(struct target *t, void *at)
{
	int flags = MAP_SHARED | (at ? MAP_FIXED_NOREPLACE : 0);

	t->map = mmap(at, max_pages * PAGE, PROT_READ | PROT_WRITE, flags, t->fd, 0);
	if (t->map == MAP_FAILED)
		die("mmap %s", t->name);
}

void set_size(struct target *t, long pages)
{
	if (ftruncate(t->fd, pages * PAGE))
		die("ftruncate %s", t->name);
	t->pages = pages;
}

void open_target(struct target *t, const char *dir, int index)
{
	struct statfs sfs;

	t->dio_fd = -1;
	if (dir) {
		snprintf(t->dir, sizeof(t->dir), "%s", dir);
		snprintf(t->path, sizeof(t->path), "%s/stress-%d", dir, index);
		t->name = t->path;
		unlink(t->path);
		t->fd = open(t->path, O_RDWR | O_CREAT, 0644);
		if (t->fd < 0 || fstatfs(t->fd, &sfs))
			die("%s", t->path);
		/* A FUSE server need not take O_DIRECT's alignment through. */
		t->fuse = sfs.f_type == FUSE_MAGIC;
		if (!t->fuse)
			t->dio_fd = open(t->path, O_RDWR | O_DIRECT);
		if (!t->fuse && t->dio_fd < 0)
			die("O_DIRECT %s", t->path);
	} else {
		t->name = "memfd";
		t->fd = memfd_create("pin_stress", 0);
		if (t->fd < 0)
			die("memfd_create");
	}
	if (fstatfs(t->fd, &sfs))
		die("fstatfs %s", t->name);
	t->pin_write_allowed = sfs.f_type == EXT4_MAGIC || sfs.f_type == TMPFS_MAGIC;
	if (sfs.f_type != EXT4_MAGIC && sfs.f_type != TMPFS_MAGIC &&
	    sfs.f_type != XFS_MAGIC && sfs.f_type != FUSE_MAGIC) {
		errno = EINVAL;
		die("%s: only ext4, xfs, FUSE and memfd have a known outcome", t->name);
	}
	t->model = calloc(max_pages, sizeof(uint64_t));
	if (!t->model)
		die("calloc");
	set_size(t, max_pages / 2 + rnd_below(max_pages / 2) + 1);
	map_target(t, NULL);
}

/*
 * A block device (-b): its page cache, def_blk_aops, is the one a device
 * pins through a MAP_SHARED mapping of /dev/...; it cannot be truncated or
 * extended, and hole punching zeroes. The mix uses its first max_pages
 * pages; the next max_pages are its control pages, written once.
 */
void open_bdev_target(struct target *t, const char *path, int index)
{
	uint64_t page[WORDS], size;

	snprintf(t->path, sizeof(t->path), "%s", path);
	t->name = t->path;
	t->bdev = true;
	t->fd = open(path, O_RDWR);
	t->dio_fd = open(path, O_RDWR | O_DIRECT);
	if (t->fd < 0 || t->dio_fd < 0)
		die("%s", path);
	if (ioctl(t->fd, BLKGETSIZE64, &size))
		die("BLKGETSIZE64 %s", path);
	if (size < 2 * max_pages * PAGE) {
		errno = ENOSPC;
		die("%s is smaller than %ld pages", path, 2 * max_pages);
	}
	for (long p = 0; p < max_pages; p++) {
		fill(page, CONTROL_TAG(index, p));
		if (pwrite(t->fd, page, PAGE, (max_pages + p) * PAGE) != (ssize_t)PAGE)
			die("write %s", path);
	}
	/* The mix starts from zeros, as a file does. */
	memset(page, 0, PAGE);
	for (long p = 0; p < max_pages; p++)
		if (pwrite(t->fd, page, PAGE, p * PAGE) != (ssize_t)PAGE)
			die("write %s", path);
	if (fsync(t->fd))
		die("fsync %s", path);
	t->pin_write_allowed = true;
	t->model = calloc(max_pages, sizeof(uint64_t));
	if (!t->model)
		die("calloc");
	t->pages = max_pages;
	map_target(t, NULL);
}

/* Control files: written once, never pinned or touched again. */
void write_control(const char *dir, int index)
{
	char path[4096];
	uint64_t page[WORDS];
	int fd;

	snprintf(path, sizeof(path), "%s/control-%d", dir, index);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("%s", path);
	for (long p = 0; p < max_pages; p++) {
		fill(page, CONTROL_TAG(index, p));
		if (pwrite(fd, page, PAGE, p * PAGE) != (ssize_t)PAGE)
			die("write %s", path);
	}
	if (fsync(fd))
		die("fsync %s", path);
	close(fd);
}

void write_source(const char *dir)
{
	char path[4096];
	uint64_t page[WORDS];
	int fd;

	snprintf(path, sizeof(path), "%s/stress-source", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("%s", path);
	for (long k = 0; k < SRC_PAGES; k++) {
		fill(page, SRC_TAG(k));
		if (pwrite(fd, page, PAGE, k * PAGE) != (ssize_t)PAGE)
			die("write %s", path);
	}
	if (fsync(fd))
		die("fsync %s", path);
	close(fd);
	src_fd = open(path, O_RDONLY | O_DIRECT);
	if (src_fd < 0)
		die("O_DIRECT %s", path);
}

int pick_target(bool only_pinnable)
{
	for (int tries = 0; tries < 32; tries++) {
		int t = rnd_below(nr_targets);

		if (!only_pinnable || targets[t].pin_write_allowed)
			return t;
	}
	return -1;
}

/* A range of 1..max pages inside the target's current size. */
long pick_range(const struct target *t, int max, int *nr)
{
	long start = rnd_below(t->pages);

	*nr = 1 + rnd_below(max);
	if (start + *nr > t->pages)
		*nr = t->pages - start;
	return start;
}
