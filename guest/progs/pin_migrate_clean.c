// SPDX-License-Identifier: GPL-2.0
/*
 * pin_migrate_clean: a long-term pin that has to migrate clean page-cache
 * folios out of ZONE_MOVABLE must not dirty them.
 *
 *   pin_migrate_clean PATH
 *
 * Before a long-term pin migrates the folios it may not keep in
 * ZONE_MOVABLE, GUP gives back the pins it took on every folio of the
 * request.  No caller ever had those pins, so no device wrote through them.
 * But a file whose writeback once wrote a pinned folio is marked
 * (AS_PINNED_SNAPSHOTS), and dropping a pin of a clean folio of it queues
 * the folio to be dirtied: GUP's own give-back must not, or every such pin
 * writes the file again.
 *
 * PATH is a file on a filesystem whose writeback handles pins (ext4). The
 * program marks its mapping (a writable long-term pin, a CPU write through
 * the mapping, fsync while pinned), drops the page cache, writes the file
 * again into new folios with buffers and syncs it, checks in /proc/zoneinfo
 * that some are in ZONE_MOVABLE (boot with movablecore=), and takes a
 * read-only long-term pin, which must have moved them all out. Then it
 * counts the file's pages that are dirty (/proc/kpageflags), after waiting
 * for the worker that dirties unpinned folios.
 *
 * Then, as a control, it drops the pin: an unpin of a pin that was handed
 * out dirties every page.
 *
 * Prints "dirtied N of P pages (M were in ZONE_MOVABLE)" and what the unpin
 * dirtied. Exit status: 0 if the pin dirtied none and the unpin all, 1 if
 * not or if the read-only pin failed (a folio queued for dirtying holds a
 * reference, which can make its migration fail), 2 on a setup failure, 4
 * (skip) if no page was in ZONE_MOVABLE or if the unpin dirtied none either
 * (a kernel that dirties at unpin only the folios writeback wrote while
 * they were pinned, as the 6.12 series does, queues nothing here).
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
#include <unistd.h>
#include <linux/kernel-page-flags.h>

#include "gup_test.h"
#include "lib.h"

#define FILE_SIZE	(1UL << 20)
/* Not in the uapi header: a kernel-internal bit that /proc/kpageflags shows. */
#define KPF_PRIVATE_BIT	35

static long page_size;

/* The PFN range of ZONE_MOVABLE, from /proc/zoneinfo; false if empty. */
static bool movable_zone(unsigned long *start, unsigned long *end)
{
	unsigned long value;
	bool movable = false;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		die("/proc/zoneinfo");
	*start = *end = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			movable = strstr(line, "zone  Movable") != NULL;
			continue;
		}
		if (!movable)
			continue;
		if (sscanf(line, " spanned %lu", &value) == 1)
			*end = value;
		else if (sscanf(line, " start_pfn: %lu", &value) == 1)
			*start = value;
	}
	fclose(f);
	*end += *start;
	return *end > *start;
}

/* PFN of the page mapped at @addr, from /proc/self/pagemap. */
static uint64_t pfn_of(int pagemap, const char *addr)
{
	uint64_t entry;

	if (pread(pagemap, &entry, sizeof(entry),
		  (uintptr_t)addr / page_size * sizeof(entry)) != sizeof(entry))
		die("/proc/self/pagemap");
	if (!(entry & (1ULL << 63)))
		die_err(EFAULT, "page not present");
	return entry & ((1ULL << 55) - 1);
}

static uint64_t page_flags(int kpageflags, uint64_t pfn)
{
	uint64_t flags;

	if (pread(kpageflags, &flags, sizeof(flags),
		  pfn * sizeof(flags)) != sizeof(flags))
		die("/proc/kpageflags");
	return flags;
}

/* How many of the @nr_pages pages mapped at @mem are dirty. */
static unsigned long dirty_pages(int pagemap, int kpageflags, const char *mem,
				 unsigned long nr_pages)
{
	unsigned long dirty = 0;

	for (unsigned long i = 0; i < nr_pages; i++)
		if (page_flags(kpageflags, pfn_of(pagemap, mem + i * page_size)) &
		    (1ULL << KPF_DIRTY))
			dirty++;
	return dirty;
}

static char *map_file(int fd)
{
	char *mem = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);

	if (mem == MAP_FAILED)
		die("mmap");
	return mem;
}

/* A long-term pin of the whole mapping; 0 or the errno of the refusal. */
static int pin(int gup_fd, char *mem, unsigned int flags)
{
	struct pin_longterm_test args = {
		.addr = (uintptr_t)mem,
		.size = FILE_SIZE,
		.flags = flags,
	};

	return ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args) ? errno : 0;
}

int main(int argc, char **argv)
{
	unsigned long movable_start, movable_end, in_movable = 0, dirtied = 0;
	unsigned long unpin_dirtied = 0;
	unsigned long nr_pages = FILE_SIZE / sysconf(_SC_PAGESIZE);
	int fd, gup_fd, pagemap, kpageflags, err;
	char *mem, *buf;

	page_size = sysconf(_SC_PAGESIZE);
	if (argc != 2) {
		fprintf(stderr, "usage: pin_migrate_clean PATH\n");
		return 2;
	}
	if (!movable_zone(&movable_start, &movable_end)) {
		printf("no ZONE_MOVABLE (boot with movablecore=)\n");
		return 4;
	}
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[1]);
	if (ftruncate(fd, FILE_SIZE))
		die("ftruncate");
	gup_fd = gup_test_open();
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	kpageflags = open("/proc/kpageflags", O_RDONLY);
	if (pagemap < 0 || kpageflags < 0)
		die("pagemap or kpageflags");

	/*
	 * Mark the mapping: writeback writes folios that are pinned.  The
	 * file is written and clean first, so that the pin's migration out
	 * of ZONE_MOVABLE has only clean folios to move.
	 */
	buf = malloc(FILE_SIZE);
	if (!buf)
		die("malloc");
	memset(buf, 'a', FILE_SIZE);
	if (pwrite(fd, buf, FILE_SIZE, 0) != FILE_SIZE || fsync(fd))
		die("write");
	mem = map_file(fd);
	err = pin(gup_fd, mem, PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	if (err)
		die_err(err, "writable long-term pin");
	memset(mem, 'b', FILE_SIZE);
	if (fsync(fd))
		die("fsync while pinned");
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
	munmap(mem, FILE_SIZE);
	/* The unpin dirties the folios again; write them and drop them. */
	usleep(200 * 1000);
	if (fsync(fd))
		die("fsync");
	if (posix_fadvise(fd, 0, FILE_SIZE, POSIX_FADV_DONTNEED))
		die("posix_fadvise(DONTNEED)");

	/*
	 * New folios, where the allocator puts them, written again so that
	 * they have buffers (only a folio with buffers is dirtied for a
	 * device), and clean: the state writeback leaves a pinned folio in.
	 */
	memset(buf, 'b', FILE_SIZE);
	if (pwrite(fd, buf, FILE_SIZE, 0) != FILE_SIZE)
		die("write again");
	mem = map_file(fd);
	for (unsigned long i = 0; i < nr_pages; i++)
		if (mem[i * page_size] != 'b')
			die_err(EIO, "file lost its data");
	/* The unpin's worker may still dirty some: sync until all are clean. */
	for (int tries = 0; ; tries++) {
		if (fsync(fd))
			die("fsync");
		if (!dirty_pages(pagemap, kpageflags, mem, nr_pages))
			break;
		if (tries == 10)
			die_err(EBUSY, "pages stay dirty before the pin");
		usleep(200 * 1000);
	}
	for (unsigned long i = 0; i < nr_pages; i++) {
		uint64_t pfn, flags;

		pfn = pfn_of(pagemap, mem + i * page_size);
		if (pfn >= movable_start && pfn < movable_end)
			in_movable++;
		flags = page_flags(kpageflags, pfn);
		if (flags & (1ULL << KPF_DIRTY))
			die_err(EBUSY, "a page is dirty before the pin");
		if (!(flags & (1ULL << KPF_PRIVATE_BIT)))
			die_err(ENODATA, "a page has no buffers before the pin");
	}
	if (!in_movable) {
		printf("no page of the file was in ZONE_MOVABLE\n");
		return 4;
	}

	/*
	 * Read-only: the pin itself dirties nothing.  A folio queued for
	 * dirtying holds a reference that can make the migration fail.
	 */
	err = pin(gup_fd, mem, 0);
	if (err) {
		printf("read-only long-term pin: %s (%lu of %lu pages were in ZONE_MOVABLE)\n",
		       strerror(err), in_movable, nr_pages);
		return 1;
	}
	/* Let the worker that dirties unpinned folios run. */
	usleep(500 * 1000);
	for (unsigned long i = 0; i < nr_pages; i++) {
		uint64_t pfn = pfn_of(pagemap, mem + i * page_size);

		if (pfn >= movable_start && pfn < movable_end)
			die_err(EEXIST, "a pinned page is still in ZONE_MOVABLE");
	}
	dirtied = dirty_pages(pagemap, kpageflags, mem, nr_pages);
	printf("dirtied %lu of %lu pages (%lu were in ZONE_MOVABLE)\n",
	       dirtied, nr_pages, in_movable);

	/*
	 * The control: dropping the pin that was handed out does dirty the
	 * clean folios, so the mapping was marked and the folios qualify.
	 */
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
	usleep(500 * 1000);
	unpin_dirtied = dirty_pages(pagemap, kpageflags, mem, nr_pages);
	printf("the unpin then dirtied %lu of %lu pages\n", unpin_dirtied,
	       nr_pages);
	if (!dirtied && !unpin_dirtied) {
		/* 6.12's series: only folios written back while pinned. */
		printf("this kernel does not dirty clean folios at unpin: the check shows nothing\n");
		return 4;
	}
	return dirtied || unpin_dirtied != nr_pages ? 1 : 0;
}
