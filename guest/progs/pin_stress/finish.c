// SPDX-License-Identifier: GPL-2.0
/* The end of a run: release every pin, fsync, read every file back. */
#include "pin_stress.h"

/* Read a file back (from the disk) and compare each page with its tag. */
static void verify_file(const char *name, int fd, long first, long pages,
			uint64_t (*tag_of)(long, const void *), const void *ctx,
			unsigned long *bytes, unsigned long *lost)
{
	static uint64_t *buf;

	if (!buf && posix_memalign((void **)&buf, PAGE, PAGE))
		die("posix_memalign");
	for (long p = 0; p < pages; p++) {
		uint64_t want = tag_of(p, ctx), got;
		bool torn;

		if (pread(fd, buf, PAGE, (first + p) * PAGE) != (ssize_t)PAGE)
			die("reading back %s", name);
		got = page_tag(buf, &torn);
		*bytes += PAGE;
		if (torn || got != want) {
			*lost += PAGE;
			check_failed("%s page %ld holds %#" PRIx64 "%s, expected %#" PRIx64,
				     name, p, got, torn ? " (torn)" : "", want);
		}
	}
}

/*
 * Pages of a disk file that are dirty in the page cache. After the final
 * fsync there must be none: fsync writes every page, the ones that were
 * pinned included, as nothing is pinned any more. This is checked before
 * the file is read back, because an O_DIRECT read would itself first write
 * the dirty pages it covers and so hide a page that fsync missed. The
 * pages are found through a read-only mapping (a read fault dirties
 * nothing) and /proc/self/pagemap, their flags in /proc/kpageflags.
 */
static long dirty_pages(const struct target *tg)
{
	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	int kpageflags = open("/proc/kpageflags", O_RDONLY);
	volatile uint64_t *map;
	long dirty = 0;

	if (pagemap < 0 || kpageflags < 0)
		die("/proc/self/pagemap or /proc/kpageflags");
	map = mmap(NULL, tg->pages * PAGE, PROT_READ, MAP_SHARED, tg->fd, 0);
	if (map == MAP_FAILED)
		die("mmap %s", tg->name);
	for (long p = 0; p < tg->pages; p++) {
		uint64_t entry, flags;

		(void)map[p * WORDS];
		if (pread(pagemap, &entry, 8, ((uintptr_t)map / PAGE + p) * 8) != 8)
			die("reading /proc/self/pagemap");
		/* Present (bit 63); reclaim may have unmapped it since: clean then. */
		if (!(entry >> 63))
			continue;
		if (pread(kpageflags, &flags, 8, (entry & ((1ULL << 55) - 1)) * 8) != 8)
			die("reading /proc/kpageflags");
		if (flags & (1ULL << KPF_DIRTY)) {
			/* Which page, and its flags, for whoever reads a failure. */
			if (dirty++ < 8)
				printf("# %s page %ld dirty after fsync: kpageflags %#llx\n",
				       tg->name, p, (unsigned long long)flags);
		}
	}
	munmap((void *)map, tg->pages * PAGE);
	close(pagemap);
	close(kpageflags);
	return dirty;
}

static uint64_t model_tag(long p, const void *ctx)
{
	return ((const struct target *)ctx)->model[p];
}

static uint64_t control_tag(long p, const void *ctx)
{
	return CONTROL_TAG(*(const int *)ctx, p);
}

/*
 * Touch every page of mib MiB of anonymous memory, round and round, slowly
 * enough to leave the CPU to the mix: reclaim swaps it out, the hog faults
 * it back in.
 */
void finish(void)
{
	unsigned long bytes = 0, lost = 0, control_bytes = 0, control_lost = 0;
	long held = -1, culled, dirty_after_fsync = 0;

	inject = false;
	if (hog_pid > 0) {
		kill(hog_pid, SIGKILL);
		waitpid(hog_pid, NULL, 0);
	}
	/* Release everything, each way once in a while. */
	check_pinned_pages("at the end");
	op_unpin();
	op_mr_read();
	op_mr_deregister();
	if (rdma.buf_mr && ibv_dereg_mr(rdma.buf_mr))
		check_failed("ibv_dereg_mr of the buffer: %s", strerror(errno));
	rdma_buffer_pins = 0;
	for (int k = 0; k < NR_RINGS; k++)
		ring_teardown(&rings[k], chance(50));
	settle_pins("after releasing everything");
	held = pins_held();

	for (int t = 0; t < nr_targets; t++) {
		struct target *tg = &targets[t];

		munmap(tg->map, max_pages * PAGE);
		if (fsync(tg->fd))
			check_failed("final fsync of %s: %s", tg->name, strerror(errno));
		if (tg->path[0])
			dirty_after_fsync += dirty_pages(tg);
	}
	if (dirty_after_fsync) {
		long again = 0;

		/*
		 * Tell a page that fsync did not write from one that something
		 * dirtied after it: fsync once more.
		 */
		for (int t = 0; t < nr_targets; t++)
			if (targets[t].path[0] && !fsync(targets[t].fd))
				again += dirty_pages(&targets[t]);
		check_failed("%ld pages still dirty after the final fsync, %ld after another",
			     dirty_after_fsync, again);
	}
	write_file("/proc/sys/vm/drop_caches", "3");
	/* drop_caches drained the per-CPU batches of folios going back. */
	vmstat((const char *const []){ "nr_unevictable_pinned" }, &culled, 1);
	if (culled > 0)
		check_failed("nr_unevictable_pinned is %ld with nothing pinned", culled);
	for (int t = 0; t < nr_targets; t++) {
		struct target *tg = &targets[t];
		struct stat st;

		if (!tg->bdev && (fstat(tg->fd, &st) || st.st_size != tg->pages * (long)PAGE))
			check_failed("%s is %lld bytes, expected %ld", tg->name,
				     (long long)st.st_size, tg->pages * PAGE);
		verify_file(tg->name, tg->dio_fd >= 0 ? tg->dio_fd : tg->fd, 0, tg->pages,
			    model_tag, tg, &bytes, &lost);
	}
	for (int t = 0; t < nr_targets; t++) {
		char path[4096 + 16];
		int fd;

		if (targets[t].bdev) {
			snprintf(path, sizeof(path), "%s's control pages", targets[t].path);
			verify_file(path, targets[t].dio_fd, max_pages, max_pages, control_tag, &t,
				    &control_bytes, &control_lost);
			continue;
		}
		if (!targets[t].dir[0])
			continue;
		snprintf(path, sizeof(path), "%s/control-%d", targets[t].dir, t);
		fd = open(path, O_RDONLY | (targets[t].fuse ? 0 : O_DIRECT));
		if (fd < 0)
			die("%s", path);
		verify_file(path, fd, 0, max_pages, control_tag, &t, &control_bytes, &control_lost);
		close(fd);
	}

	for (int i = 0; i < NR_OPS; i++)
		printf("ops_%s %lu\n", op_names[i], op_count[i]);
	printf("device_pages_written %lu\n", device_pages_written);
	printf("device_pages_written_after_removal %lu\n", detached_device_writes);
	printf("pinned_pages_dropped_by_invalidation %lu\n", pages_dropped_by_invalidation);
	printf("faults_injected %lu\n", faults_injected);
	printf("calls_failed_by_injection %lu\n", refused_by_fault);
	printf("bytes_verified %lu\n", bytes);
	printf("bytes_lost %lu\n", lost);
	printf("control_bytes_verified %lu\n", control_bytes);
	printf("control_bytes_changed %lu\n", control_lost);
	printf("pages_dirty_after_final_fsync %ld\n", dirty_after_fsync);
	printf("pins_held_at_end %ld\n", held);
	printf("failed_checks %d\n", failures);
}
