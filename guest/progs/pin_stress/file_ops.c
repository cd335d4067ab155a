// SPDX-License-Identifier: GPL-2.0
/*
 * Operations on the files themselves: CPU writes and reads, syncs,
 * cache drops, size changes, hole punching, remapping, forks, unmounts.
 */
#include "pin_stress.h"

bool op_cpu_write(void)
{
	int t = pick_target(false), nr;
	struct target *tg = &targets[t];
	long start = pick_range(tg, 8, &nr);
	uint64_t tag = new_tag();
	int how = rnd_below(tg->dio_fd >= 0 ? 3 : 2);
	static uint64_t *buf;

	/*
	 * An O_DIRECT write invalidates the page cache of its range, and
	 * 6.12's invalidation removes a pinned folio without private data
	 * from the file (the series refuses it only for one with buffers, as
	 * every folio pinned for writing has): a device reading through a
	 * read-only pin would go on seeing the old data. That is not what
	 * the model follows, so keep O_DIRECT away from read-only pins (of
	 * gup_test and of RDMA regions).
	 */
	for (int k = 0; k < NR_PIN_SETS && how == 2; k++) {
		const struct pinned *pin = all_pins[k];

		if (pin->target == t && !pin->writable &&
		    start < pin->start + pin->nr && pin->start < start + nr)
			how = 1;
	}

	if (!buf && posix_memalign((void **)&buf, PAGE, 8 * PAGE))
		die("posix_memalign");
	for (int i = 0; i < nr; i++)
		fill(how ? buf + i * WORDS : tg->map + (start + i) * WORDS, tag);
	if (how) {
		int fd = how == 1 ? tg->fd : tg->dio_fd;
		ssize_t n = pwrite(fd, buf, nr * PAGE, start * PAGE);

		if (n != (ssize_t)(nr * PAGE))
			die("%s pwrite %s", how == 1 ? "buffered" : "O_DIRECT", tg->name);
	}
	for (int i = 0; i < nr; i++)
		set_file_page(t, start + i, tag);
	note("cpu_write %s %ld+%d by %s", tg->name, start, nr,
	     (const char *[]){ "mmap", "pwrite", "O_DIRECT" }[how]);
	return true;
}

/*
 * Read pages through the mapping and compare them with the model. For the
 * memfd this also makes what a writable pin may later take clean: a read
 * fault maps a shmem page writable without dirtying it.
 */
bool op_cpu_read(void)
{
	int t = pick_target(false), nr;
	struct target *tg = &targets[t];
	long start = pick_range(tg, 16, &nr);

	for (int i = 0; i < nr; i++) {
		bool torn;
		uint64_t tag = page_tag(tg->map + (start + i) * WORDS, &torn);

		if (torn || tag != tg->model[start + i])
			check_failed("%s page %ld read through the mapping holds %#" PRIx64
				     "%s, expected %#" PRIx64, tg->name, start + i, tag,
				     torn ? " (torn)" : "", tg->model[start + i]);
	}
	note("cpu_read %s %ld+%d", tg->name, start, nr);
	return true;
}

bool op_sync(void)
{
	struct target *tg = &targets[pick_target(false)];
	int how = rnd_below(7), ret = 0;
	bool armed = false, fired;

	switch (how) {
	case 0:
		ret = fsync(tg->fd);
		break;
	case 1:
		ret = fdatasync(tg->fd);
		break;
	case 2:
		ret = sync_file_range(tg->fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
				      SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
		break;
	case 3:
		/* Background writeback in this task: the snapshot may fail. */
		armed = inject_arm();
		ret = sync_file_range(tg->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		break;
	case 4:
		ret = msync(tg->map, tg->pages * PAGE, MS_SYNC);
		break;
	case 5:
		ret = syncfs(tg->fd);
		break;
	case 6:
		sync();
		break;
	}
	fired = inject_disarm(armed);
	note("sync %s by %s: %s", tg->name,
	     (const char *[]){ "fsync", "fdatasync", "sync_file_range", "sync_file_range(WRITE)",
			       "msync", "syncfs", "sync" }[how], ret ? strerror(errno) : "ok");
	if (ret && fired)
		injected_failure("sync_file_range", errno);
	else if (ret)
		check_failed("sync %d of %s: %s", how, tg->name, strerror(errno));
	return true;
}

bool op_drop_caches(void)
{
	write_file("/proc/sys/vm/drop_caches", chance(50) ? "1" : "3");
	note("drop_caches");
	return true;
}

bool op_truncate(void)
{
	int t = pick_target(false);
	struct target *tg = &targets[t];
	long pages = 1 + rnd_below(tg->pages);

	if (tg->bdev)
		return false;
	removed_from_file(t, pages, tg->pages, true);
	set_size(tg, pages);
	note("truncate %s to %ld pages", tg->name, pages);
	return true;
}

bool op_extend(void)
{
	int t = pick_target(false);
	struct target *tg = &targets[t];
	long pages = tg->pages + 1 + rnd_below(max_pages - tg->pages);

	if (tg->pages >= max_pages || tg->bdev)
		return false;
	/* Pages past the old end read as zeros. */
	for (long p = tg->pages; p < pages; p++)
		tg->model[p] = 0;
	set_size(tg, pages);
	note("extend %s to %ld pages", tg->name, pages);
	return true;
}

bool op_punch_hole(void)
{
	int t = pick_target(false), nr;
	struct target *tg = &targets[t];
	long start = pick_range(tg, 16, &nr);

	if (fallocate(tg->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      start * PAGE, nr * PAGE)) {
		/* The FUSE server may not implement it: nothing changed then. */
		if (tg->fuse && errno == EOPNOTSUPP)
			return false;
		check_failed("punching a hole in %s: %s", tg->name, strerror(errno));
		return true;
	}
	removed_from_file(t, start, start + nr, false);
	for (int i = 0; i < nr; i++)
		set_file_page(t, start + i, 0);
	note("punch_hole %s %ld+%d", tg->name, start, nr);
	return true;
}

/* Move the mapping, or unmap it and map it again: the pins stay. */
bool op_remap(void)
{
	struct target *tg = &targets[pick_target(false)];
	size_t len = max_pages * PAGE;
	void *to;

	if (chance(50)) {
		/* Reserve a new place, then move the mapping over it. */
		to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to == MAP_FAILED)
			die("mmap");
		to = mremap(tg->map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (to == MAP_FAILED)
			die("mremap %s", tg->name);
		tg->map = to;
	} else {
		munmap(tg->map, len);
		map_target(tg, NULL);
	}
	note("remap %s", tg->name);
	return true;
}

/* A child writes a page through the shared mapping it inherited, and exits. */
bool op_fork_write(void)
{
	struct target *tg = &targets[pick_target(false)];
	long page = rnd_below(tg->pages);
	uint64_t tag = new_tag();
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		fill(tg->map + page * WORDS, tag);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child writing %s", tg->name);
	set_file_page(tg - targets, page, tag);
	note("fork_write %s page %ld", tg->name, page);
	return true;
}
bool op_umount_busy(void)
{
	struct target *tg = &targets[pick_target(false)];

	if (!tg->dir[0])
		return false;
	if (!umount2(tg->dir, 0))
		die("%s was unmounted under open files", tg->dir);
	if (errno != EBUSY)
		check_failed("umount %s: %s, expected EBUSY", tg->dir, strerror(errno));
	note("umount_busy %s", tg->dir);
	return true;
}

/* A bad request must fail with the expected error and change nothing. */
