// SPDX-License-Identifier: GPL-2.0
// LDLIBS: -luring -libverbs
/*
 * pin_stress: a randomized mix of long-term and short-term pins, emulated
 * device writes, io_uring registered buffers, RDMA memory regions, CPU
 * writes, syncs, cache drops, truncation, hole punching, remapping, forks,
 * exits and kills on
 * MAP_SHARED mappings of files (and of a memfd), checked against a model of
 * what every page must hold. Runs in the guest, as root, with gup_test.
 *
 *   pin_stress [-t SECONDS] [-s SEED] [-p PAGES] [-m MIB] [-r DEVICE]
 *              [-b BLOCKDEV] [-F] [-v] DIR...
 *     -t   how long the random mix runs (default 30 s)
 *     -m   a child keeps touching MIB of anonymous memory, for the caller's
 *          reclaim of the cgroup to push into swap
 *     -s   seed of the mix (default: from the clock; printed)
 *     -p   pages per file (default 256)
 *     -r   register RDMA memory regions on this (rxe) device, whose NIC
 *          writes and reads them
 *     -b   also work on the page cache of this block device, whose
 *          contents it overwrites (at least 2 * PAGES pages)
 *     -F   inject allocation failures (fail-nth: failslab and
 *          fail_page_alloc, which the caller enables) into the pin, sg
 *          release, io_uring registration and sync_file_range() calls
 *     -v   print every operation
 *   Each DIR gets a file that the mix works on and a control file that it
 *   never touches; the first DIR also holds the source blocks io_uring reads.
 *
 * One process makes every change to the data, one at a time, so the model
 * is exact: every page is filled with one 64-bit word, its tag (0: zeros),
 * and the model keeps each page's tag. What runs concurrently with the
 * changes is the kernel's: writeback, reclaim (the caller adds memory
 * pressure), the unpin paths of killed processes.
 *
 * The emulated device is gup_test's PIN_LONGTERM_TEST_WRITE: it stores into
 * the pinned pages through the kernel's mapping, with no fault and no
 * dirtying, as DMA does. io_uring's READ_FIXED with O_DIRECT has the disk
 * controller write the pinned pages, and an RDMA WRITE into a memory
 * region has rxe, the software NIC, write them. A pinned page that
 * truncation or a hole punch removes from the file leaves it: what the
 * device writes there afterwards goes nowhere (the documented outcome), so
 * the model follows such a page separately.
 *
 * Checked while running: whether each pin is allowed (ext4, memfd and the
 * block device: yes; a writable long-term pin of xfs or FUSE: EFAULT),
 * that a pinned page holds what the model says (PIN_LONGTERM_TEST_READ,
 * RDMA READ), that bad requests fail with the expected error and leave the
 * pins as they were, that syncs succeed, and that the filesystems cannot
 * be unmounted while in use. At the end every pin is released (by stop, sg
 * release with or without dirtying, unregistering, closing,
 * deregistering), the files are fsynced (after which no page of theirs may
 * be dirty), the page cache is dropped, and each file is read back
 * (O_DIRECT for disk files, through the server for FUSE): every page must
 * hold its model's tag, the control files their own, and
 * nr_foll_pin_acquired must again equal nr_foll_pin_released.
 *
 * Prints "key value" lines (operation counts, faults injected, bytes
 * verified, bytes lost); exit 0 if every check passed, 1 if one failed,
 * 2 on a setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <linux/fs.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <linux/kernel-page-flags.h>

#include "gup_test_series.h"

#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(uint64_t))
#define MAX_TARGETS	8
#define MAX_PIN_PAGES	64
#define SRC_PAGES	256
#define SRC_TAG(k)	(0x5352430000000000ULL + (k))
#define CONTROL_TAG(t, p) (0xC0C0000000000000ULL + ((uint64_t)(t) << 32) + (p))
#define NR_RINGS	2
/* gup_test's, the rings' and the RDMA memory region's */
#define NR_PIN_SETS	(NR_RINGS + 2)
#define EXT4_MAGIC	0xEF53
#define XFS_MAGIC	0x58465342
#define TMPFS_MAGIC	0x01021994
#define FUSE_MAGIC	0x65735546

struct target {
	const char *name;	/* the path, or "memfd" */
	char path[512];		/* empty for the memfd */
	char dir[256];		/* empty for the memfd and a block device */
	bool bdev;		/* a block device: fixed size, control pages after it */
	bool fuse;		/* on FUSE: no O_DIRECT, hole punching may be missing */
	int fd;
	int dio_fd;		/* O_DIRECT, -1 for the memfd and FUSE */
	uint64_t *map;		/* MAP_SHARED of max_pages */
	long pages;		/* current size in pages */
	uint64_t *model;	/* max_pages tags */
	bool pin_write_allowed;	/* writable long-term pins expected to work */
};

/*
 * A set of pinned pages. A page still in its file holds the model's tag;
 * one removed from the file (orphan >= 0) holds orphans[orphan], shared by
 * every pin of that page. A page truncated away may also hold zeros
 * (orphan_maybe_zero) until the device writes it again: ext4 sets the new
 * size before it truncates the page cache, and writeback that reaches a
 * dirty folio wholly past the new end in between zeroes it and writes
 * nothing (ext4_bio_write_folio() zeroes what lies past i_size). The
 * page is no longer in the file; what it held is the pinner's business.
 *
 * A page of a FUSE file may also leave the file without being removed
 * from it: FUSE drops the page cache (invalidate_inode_pages2()) when it
 * finds the file changed on the server and when the file is opened again,
 * and a pinned folio without private data goes with it (FUSE folios have
 * none; only a folio with buffers is kept, see filemap_release_folio()).
 * The pin keeps the page as it was at that moment, which the kernel
 * chooses. So a read-only pin of a FUSE page may hold any tag the page had
 * since it was last seen through the pin: earlier[i] keeps them.
 */
struct pinned {
	int target;		/* -1: nothing pinned */
	long start;
	int nr;
	bool writable;
	int orphan[MAX_PIN_PAGES];
	uint64_t *earlier[MAX_PIN_PAGES];
	int nr_earlier[MAX_PIN_PAGES];
};

static uint64_t *orphans;
static bool *orphan_maybe_zero;
static int nr_orphans;

struct ring {
	struct io_uring uring;
	bool up;
	struct pinned pin;
	uint64_t *ubuf;		/* address the buffer was registered at */
};

static struct target targets[MAX_TARGETS];
static int nr_targets;
static long max_pages = 256;
static struct pinned gup_pin = { .target = -1 };
static struct ring rings[NR_RINGS];
static int gup_fd, src_fd;
static uint64_t rng_state, next_tag = 1;
static bool verbose, inject;
static int failures;
static pid_t hog_pid;

static const char *const op_names[] = {
	"cpu_write", "cpu_read", "pin", "device_write", "pinned_read", "unpin",
	"uring_register", "uring_read", "uring_unregister", "sync",
	"drop_caches", "truncate", "extend", "punch_hole", "remap",
	"fork_write", "kill_pinned", "umount_busy", "bad_input", "mr_register",
	"mr_write", "mr_read", "mr_deregister",
};
enum op {
	OP_CPU_WRITE, OP_CPU_READ, OP_PIN, OP_DEVICE_WRITE, OP_PINNED_READ, OP_UNPIN,
	OP_URING_REG, OP_URING_READ, OP_URING_UNREG, OP_SYNC, OP_DROP,
	OP_TRUNCATE, OP_EXTEND, OP_PUNCH, OP_REMAP, OP_FORK_WRITE,
	OP_KILL_PINNED, OP_UMOUNT, OP_BAD_INPUT, OP_MR_REG, OP_MR_WRITE,
	OP_MR_READ, OP_MR_DEREG, NR_OPS
};
static const int op_weight[NR_OPS] = {
	[OP_CPU_WRITE] = 12, [OP_CPU_READ] = 6, [OP_PIN] = 8, [OP_DEVICE_WRITE] = 12,
	[OP_PINNED_READ] = 4, [OP_UNPIN] = 6, [OP_URING_REG] = 4,
	[OP_URING_READ] = 8, [OP_URING_UNREG] = 3, [OP_SYNC] = 8,
	[OP_DROP] = 2, [OP_TRUNCATE] = 2, [OP_EXTEND] = 3, [OP_PUNCH] = 2,
	[OP_REMAP] = 2, [OP_FORK_WRITE] = 2, [OP_KILL_PINNED] = 2,
	[OP_UMOUNT] = 1, [OP_BAD_INPUT] = 3, [OP_MR_REG] = 3, [OP_MR_WRITE] = 8,
	[OP_MR_READ] = 3, [OP_MR_DEREG] = 2,
};
static unsigned long op_count[NR_OPS];
static unsigned long faults_injected, refused_by_fault;
static unsigned long device_pages_written, detached_device_writes;
static unsigned long pages_dropped_by_invalidation;

static void die(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	fprintf(stderr, "pin_stress: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(err));
	va_end(ap);
	exit(2);
}

/* A failed check: reported, counted, and the run goes on. */
static void check_failed(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAILED: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	failures++;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static long rnd_below(long n)
{
	return n > 0 ? (long)(rnd() % (uint64_t)n) : 0;
}

static bool chance(int percent)
{
	return rnd_below(100) < percent;
}

/* Tags leave the low 16 bits for the device's per-page index. */
static uint64_t new_tag(void)
{
	return next_tag++ << 16;
}

static void fill(uint64_t *page, uint64_t tag)
{
	for (unsigned long i = 0; i < WORDS; i++)
		page[i] = tag;
}

/* The page's tag, or report it torn (words differ) through *torn. */
static uint64_t page_tag(const uint64_t *page, bool *torn)
{
	*torn = false;
	for (unsigned long i = 1; i < WORDS; i++)
		if (page[i] != page[0])
			*torn = true;
	return page[0];
}

/*
 * /proc/vmstat values, exact: stat_refresh first folds in the per-CPU
 * deltas. One read for all names, so that related counters agree.
 */
static void vmstat(const char *const *names, long *values, int nr)
{
	char key[128];
	long value;
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			die("stat_refresh");
		close(fd);
	}
	for (int i = 0; i < nr; i++)
		values[i] = -1;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		die("/proc/vmstat");
	while (fscanf(f, "%127s %ld", key, &value) == 2)
		for (int i = 0; i < nr; i++)
			if (!strcmp(key, names[i]))
				values[i] = value;
	fclose(f);
}

static long pins_base;	/* pins held by others when the run began */
static long rdma_buffer_pins;	/* the RDMA buffer's, while registered */

static long pins_held(void)
{
	static const char *const names[] = { "nr_foll_pin_acquired", "nr_foll_pin_released" };
	long values[2];

	vmstat(names, values, 2);
	return values[0] - values[1] - pins_base;
}

/* Every pinned set this process holds. */
static struct pinned *all_pins[NR_PIN_SETS];

static long expected_pins(void)
{
	long nr = 0;

	for (int k = 0; k < NR_PIN_SETS; k++)
		if (all_pins[k]->target >= 0)
			nr += all_pins[k]->nr;
	return nr + rdma_buffer_pins;
}

/*
 * Wait until the pins held are the ones the model expects: io_uring drops
 * the pins of a closed ring, or of a dead process's, from a worker.
 */
static void settle_pins(const char *when)
{
	long held = pins_held();

	for (int i = 0; held != expected_pins() && i < 100; i++) {
		usleep(100 * 1000);
		held = pins_held();
	}
	if (held != expected_pins())
		check_failed("%s: %ld pages pinned, %ld expected", when, held, expected_pins());
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die("%s", path);
	close(fd);
}

/*
 * Fault injection with fail-nth: the nth fault-injection point the calling
 * thread passes fails. inject_arm() arms it (sometimes) before a call and
 * inject_disarm() reports whether it fired. The file stays open, as opening
 * it would itself pass the points.
 */
static int fail_nth_fd = -1;

static bool inject_arm(void)
{
	char text[16];

	if (!inject || !chance(40))
		return false;
	snprintf(text, sizeof(text), "%ld", 1 + rnd_below(24));
	if (pwrite(fail_nth_fd, text, strlen(text), 0) < 0)
		die("arming fail-nth");
	return true;
}

/* An allocation that fails makes the call fail with ENOMEM, nothing else. */
static void injected_failure(const char *call, int err)
{
	refused_by_fault++;
	if (err != ENOMEM)
		check_failed("%s failed with %s under an injected allocation failure",
			     call, strerror(err));
}

/*
 * Judge a pin or registration of pages of tg: err is 0 or the errno it
 * failed with, allowed whether it may pin (a writable long-term pin of xfs
 * must fail with EFAULT). A fault that fired need not be why a call
 * failed, as many allocations have a fallback: an expected refusal is one
 * even under injection, and any other failure under injection must be
 * ENOMEM.
 */
static void check_pin_outcome(const char *call, const struct target *tg, long start, int nr,
			      bool allowed, int err, bool fired)
{
	if (!allowed && err == EFAULT)
		return;
	if (err && fired)
		injected_failure(call, err);
	else if (allowed && err)
		check_failed("%s of %s pages %ld+%d: %s", call, tg->name, start, nr,
			     strerror(err));
	else if (!allowed)
		check_failed("%s of %s pages %ld+%d: %s, expected EFAULT", call, tg->name,
			     start, nr, err ? strerror(err) : "success");
}

static bool inject_disarm(bool armed)
{
	char text[16] = "";
	bool fired;

	if (!armed)
		return false;
	if (pread(fail_nth_fd, text, sizeof(text) - 1, 0) < 0)
		die("reading fail-nth");
	fired = atoi(text) == 0;
	if (!fired && pwrite(fail_nth_fd, "0", 1, 0) < 0)
		die("disarming fail-nth");
	if (fired)
		faults_injected++;
	return fired;
}

static void map_target(struct target *t, void *at)
{
	int flags = MAP_SHARED | (at ? MAP_FIXED_NOREPLACE : 0);

	t->map = mmap(at, max_pages * PAGE, PROT_READ | PROT_WRITE, flags, t->fd, 0);
	if (t->map == MAP_FAILED)
		die("mmap %s", t->name);
}

static void set_size(struct target *t, long pages)
{
	if (ftruncate(t->fd, pages * PAGE))
		die("ftruncate %s", t->name);
	t->pages = pages;
}

static void open_target(struct target *t, const char *dir, int index)
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
static void open_bdev_target(struct target *t, const char *path, int index)
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
static void write_control(const char *dir, int index)
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

static void write_source(const char *dir)
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

/* A new orphan holding tag, for the pages that leave a file. */
static int new_orphan(uint64_t tag, bool maybe_zero)
{
	orphans = realloc(orphans, (nr_orphans + 1) * sizeof(*orphans));
	orphan_maybe_zero = realloc(orphan_maybe_zero, (nr_orphans + 1) * sizeof(*orphan_maybe_zero));
	if (!orphans || !orphan_maybe_zero)
		die("realloc");
	orphans[nr_orphans] = tag;
	orphan_maybe_zero[nr_orphans] = maybe_zero;
	return nr_orphans++;
}

/*
 * Pages first..end-1 of target leave the file; pins keep them as orphans.
 * truncated: by truncation, which may zero them (see struct pinned).
 */
static void removed_from_file(int target, long first, long end, bool truncated)
{
	for (long p = first; p < end; p++) {
		int orphan = -1;

		for (int k = 0; k < NR_PIN_SETS; k++) {
			struct pinned *pin = all_pins[k];
			int i = p - pin->start;

			if (pin->target != target || i < 0 || i >= pin->nr || pin->orphan[i] >= 0)
				continue;
			if (orphan < 0)
				orphan = new_orphan(targets[target].model[p], truncated);
			pin->orphan[i] = orphan;
		}
	}
}

/*
 * Page p of target now holds tag. A read-only pin of a FUSE page that is
 * still in the file may go on holding the old one (see struct pinned).
 */
static void set_file_page(int target, long p, uint64_t tag)
{
	struct target *tg = &targets[target];

	for (int k = 0; k < NR_PIN_SETS && tg->fuse && tg->model[p] != tag; k++) {
		struct pinned *pin = all_pins[k];
		int i = p - pin->start;

		if (pin->target != target || pin->writable || i < 0 || i >= pin->nr ||
		    pin->orphan[i] >= 0)
			continue;
		pin->earlier[i] = realloc(pin->earlier[i],
					  (pin->nr_earlier[i] + 1) * sizeof(uint64_t));
		if (!pin->earlier[i])
			die("realloc");
		pin->earlier[i][pin->nr_earlier[i]++] = tg->model[p];
	}
	tg->model[p] = tag;
}

/*
 * Pinned page i was seen holding tag, not what the model says. If that is
 * a tag it had earlier, and the file's mapping shows what the model says
 * (the page cache holds another folio there now: a pinned page left stale
 * in the page cache would show there too), FUSE dropped it from the page
 * cache in between (before any truncation the model followed since): from
 * now on it is an orphan that keeps tag. Either way, what it held before
 * this look no longer matters.
 */
static bool dropped_by_invalidation(struct pinned *pin, int i, uint64_t tag)
{
	struct target *tg = &targets[pin->target];
	long p = pin->start + i;
	bool dropped = false, torn;

	for (int e = 0; e < pin->nr_earlier[i] && !dropped; e++)
		dropped = pin->earlier[i][e] == tag;
	pin->nr_earlier[i] = 0;
	if (dropped && pin->orphan[i] < 0)
		dropped = page_tag(tg->map + p * WORDS, &torn) == tg->model[p] && !torn;
	if (dropped) {
		pin->orphan[i] = new_orphan(tag, false);
		pages_dropped_by_invalidation++;
	}
	return dropped;
}

/* What the device (or the disk, for io_uring) wrote into pinned page i. */
static void device_wrote(struct pinned *pin, int i, uint64_t tag)
{
	device_pages_written++;
	if (pin->orphan[i] < 0) {
		set_file_page(pin->target, pin->start + i, tag);
	} else {
		orphans[pin->orphan[i]] = tag;
		orphan_maybe_zero[pin->orphan[i]] = false;
		detached_device_writes++;
	}
}

static uint64_t pinned_tag(const struct pinned *pin, int i)
{
	return pin->orphan[i] < 0 ? targets[pin->target].model[pin->start + i] :
				    orphans[pin->orphan[i]];
}

static void pinned_in_file(struct pinned *pin, int target, long start, int nr, bool writable)
{
	pin->target = target;
	pin->start = start;
	pin->nr = nr;
	pin->writable = writable;
	for (int i = 0; i < nr; i++) {
		pin->orphan[i] = -1;
		pin->nr_earlier[i] = 0;
	}
}

static int pick_target(bool only_pinnable)
{
	for (int tries = 0; tries < 32; tries++) {
		int t = rnd_below(nr_targets);

		if (!only_pinnable || targets[t].pin_write_allowed)
			return t;
	}
	return -1;
}

/* A range of 1..max pages inside the target's current size. */
static long pick_range(const struct target *t, int max, int *nr)
{
	long start = rnd_below(t->pages);

	*nr = 1 + rnd_below(max);
	if (start + *nr > t->pages)
		*nr = t->pages - start;
	return start;
}

static bool op_cpu_write(void)
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
static bool op_cpu_read(void)
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

static bool op_pin(void)
{
	int t = pick_target(false), nr, flags;
	struct target *tg = &targets[t];
	struct pin_longterm_test args;
	long start;
	bool armed, fired, expect_ok;
	int ret;

	if (gup_pin.target >= 0)
		return false;
	start = pick_range(tg, MAX_PIN_PAGES, &nr);
	flags = chance(80) ? PIN_LONGTERM_TEST_FLAG_USE_WRITE : 0;
	if (chance(30))
		flags |= PIN_LONGTERM_TEST_FLAG_USE_FAST;
	/*
	 * A short-term pin is a direct I/O in flight: it must dirty what it
	 * wrote on release, which gup_test's stop does not, so it only reads.
	 */
	if (!(flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE) && chance(30))
		flags |= PIN_LONGTERM_TEST_FLAG_SHORT_TERM;
	args = (struct pin_longterm_test){
		.addr = (uintptr_t)(tg->map + start * WORDS),
		.size = nr * PAGE,
		.flags = flags,
	};
	armed = !(flags & PIN_LONGTERM_TEST_FLAG_USE_FAST) && inject_arm();
	ret = ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args);
	fired = inject_disarm(armed);
	expect_ok = tg->pin_write_allowed || !(flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	note("pin %s %ld+%d flags %d: %s%s", tg->name, start, nr, flags,
	     ret ? strerror(errno) : "pinned", fired ? " (fault injected)" : "");
	check_pin_outcome(flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE ?
			  "writable PIN_LONGTERM_TEST_START" : "read-only PIN_LONGTERM_TEST_START",
			  tg, start, nr, expect_ok, ret ? errno : 0, fired);
	if (ret)
		return true;
	pinned_in_file(&gup_pin, t, start, nr, flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	return true;
}

static bool op_device_write(void)
{
	uint64_t tag = new_tag();

	if (gup_pin.target < 0 || !gup_pin.writable)
		return false;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_WRITE, &tag)) {
		check_failed("PIN_LONGTERM_TEST_WRITE: %s", strerror(errno));
		return true;
	}
	for (int i = 0; i < gup_pin.nr; i++)
		device_wrote(&gup_pin, i, tag + i);
	note("device_write %s %ld+%d", targets[gup_pin.target].name,
	     gup_pin.start, gup_pin.nr);
	return true;
}

/* Through the pin, each pinned page must hold what the model says. */
/* What was read through a pin, page by page, against the model. */
static void compare_pinned(struct pinned *pin, const uint64_t *buf, const char *when)
{
	for (int i = 0; i < pin->nr; i++) {
		bool torn;
		uint64_t tag = page_tag(buf + i * WORDS, &torn);

		if (!torn && !tag && pin->orphan[i] >= 0 &&
		    orphan_maybe_zero[pin->orphan[i]])
			continue;
		if (!torn && tag != pinned_tag(pin, i) && dropped_by_invalidation(pin, i, tag))
			continue;
		if (!torn)
			pin->nr_earlier[i] = 0;
		if (torn || tag != pinned_tag(pin, i))
			check_failed("%s: pinned page %d (%s page %ld, %s) holds %#" PRIx64
				     "%s, expected %#" PRIx64, when, i,
				     targets[pin->target].name, pin->start + i,
				     pin->orphan[i] < 0 ? "in the file" : "removed",
				     tag, torn ? " (torn)" : "", pinned_tag(pin, i));
	}
}

static void check_pinned_pages(const char *when)
{
	static uint64_t buf[MAX_PIN_PAGES * WORDS];
	uint64_t addr = (uintptr_t)buf;

	if (gup_pin.target < 0)
		return;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_READ, &addr)) {
		check_failed("PIN_LONGTERM_TEST_READ %s: %s", when, strerror(errno));
		return;
	}
	compare_pinned(&gup_pin, buf, when);
}

static bool op_unpin(void)
{
	struct pin_longterm_test_sg sg = { 0 };
	bool armed, fired;
	int ret;

	if (gup_pin.target < 0)
		return false;
	if (chance(50)) {
		ret = ioctl(gup_fd, PIN_LONGTERM_TEST_STOP);
		note("unpin by stop: %s", ret ? strerror(errno) : "ok");
		if (ret)
			check_failed("PIN_LONGTERM_TEST_STOP: %s", strerror(errno));
		gup_pin.target = -1;
		return false;
	}
	sg.max_segment = chance(50) ? 0 : PAGE << rnd_below(5);
	if (gup_pin.writable && chance(50))
		sg.flags |= PIN_LONGTERM_TEST_SG_DIRTY;
	if (chance(30))
		sg.flags |= PIN_LONGTERM_TEST_SG_PARTIAL;
	if (chance(30))
		sg.flags |= PIN_LONGTERM_TEST_SG_PER_ENTRY;
	armed = inject_arm();
	ret = ioctl(gup_fd, PIN_LONGTERM_TEST_STOP_SG, &sg);
	fired = inject_disarm(armed);
	note("unpin from sg (max_segment %u flags %u): %s%s", sg.max_segment,
	     sg.flags, ret ? strerror(errno) : "ok", fired ? " (fault injected)" : "");
	if (ret && fired) {
		/* The pins stay: check that, and release them the plain way. */
		injected_failure("PIN_LONGTERM_TEST_STOP_SG", errno);
		settle_pins("after a failed sg release");
		check_pinned_pages("after a failed sg release");
		if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
			check_failed("PIN_LONGTERM_TEST_STOP: %s", strerror(errno));
	} else if (ret) {
		check_failed("PIN_LONGTERM_TEST_STOP_SG: %s", strerror(errno));
	}
	gup_pin.target = -1;
	return true;
}

static int ring_setup(struct ring *r, struct target *tg, long start, int nr,
		      bool *fired)
{
	struct iovec iov = {
		.iov_base = tg->map + start * WORDS,
		.iov_len = nr * PAGE,
	};
	bool armed;
	int ret;

	ret = io_uring_queue_init(8, &r->uring, 0);
	if (ret)
		return ret;
	armed = inject_arm();
	ret = io_uring_register_buffers(&r->uring, &iov, 1);
	*fired = inject_disarm(armed);
	if (ret) {
		io_uring_queue_exit(&r->uring);
		return ret;
	}
	r->up = true;
	r->ubuf = iov.iov_base;
	pinned_in_file(&r->pin, tg - targets, start, nr, true);
	return 0;
}

static bool op_uring_register(void)
{
	struct ring *r = &rings[rnd_below(NR_RINGS)];
	int t = pick_target(false), nr, ret;
	struct target *tg = &targets[t];
	long start;
	bool fired = false;

	if (r->up)
		return false;
	start = pick_range(tg, 32, &nr);
	ret = ring_setup(r, tg, start, nr, &fired);
	note("uring_register %s %ld+%d: %s%s", tg->name, start, nr,
	     ret ? strerror(-ret) : "registered", fired ? " (fault injected)" : "");
	check_pin_outcome("io_uring_register_buffers", tg, start, nr, tg->pin_write_allowed,
			  -ret, fired);
	return true;
}

/* READ_FIXED of source blocks into buffer pages first..first+n-1. */
static int ring_read(struct ring *r, int first, int n, long src)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_prep_read_fixed(sqe, src_fd, r->ubuf + first * WORDS, n * PAGE,
				 src * PAGE, 0);
	ret = io_uring_submit_and_wait(&r->uring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(&r->uring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&r->uring, cqe);
	return ret;
}

static bool op_uring_read(void)
{
	struct ring *r = &rings[rnd_below(NR_RINGS)];
	int first, n, ret;
	long src;

	if (!r->up)
		return false;
	first = rnd_below(r->pin.nr);
	n = 1 + rnd_below(r->pin.nr - first);
	src = rnd_below(SRC_PAGES - n + 1);
	ret = ring_read(r, first, n, src);
	note("uring_read %s %ld+%d from source %ld: %d", targets[r->pin.target].name,
	     r->pin.start + first, n, src, ret);
	if (ret != (int)(n * PAGE)) {
		check_failed("READ_FIXED of %d bytes into %s: %d (%s)", n * (int)PAGE,
			     targets[r->pin.target].name, ret, ret < 0 ? strerror(-ret) : "short");
		return true;
	}
	for (int i = 0; i < n; i++)
		device_wrote(&r->pin, first + i, SRC_TAG(src + i));
	return true;
}

static void ring_teardown(struct ring *r, bool unregister)
{
	if (!r->up)
		return;
	if (unregister) {
		int ret = io_uring_unregister_buffers(&r->uring);

		if (ret)
			check_failed("io_uring_unregister_buffers: %s", strerror(-ret));
	}
	io_uring_queue_exit(&r->uring);
	r->up = false;
	r->pin.target = -1;
}

static bool op_uring_unregister(void)
{
	struct ring *r = &rings[rnd_below(NR_RINGS)];
	bool unregister = chance(50);

	if (!r->up)
		return false;
	note("uring_%s %s", unregister ? "unregister" : "close", targets[r->pin.target].name);
	ring_teardown(r, unregister);
	return true;
}

static bool op_sync(void)
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

static bool op_drop_caches(void)
{
	write_file("/proc/sys/vm/drop_caches", chance(50) ? "1" : "3");
	note("drop_caches");
	return true;
}

static bool op_truncate(void)
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

static bool op_extend(void)
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

static bool op_punch_hole(void)
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
static bool op_remap(void)
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
static bool op_fork_write(void)
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

/*
 * RDMA memory regions on rxe (-r DEVICE). The "NIC" is rxe: an RDMA WRITE
 * from a queue pair connected to its twin on the same device has rxe copy
 * the data into the pages of the region, which ib_umem pinned long-term;
 * an RDMA READ has it copy them out. The source and sink of those
 * transfers is a registered buffer of anonymous memory, which stays
 * pinned for the whole run: each transfer's data is written into it by
 * the CPU first, so a fork that left the process a copy of its own pinned
 * page (fork_write and kill_pinned fork) would send stale data and fail
 * the checks.
 */
struct rdma {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	uint64_t *buf;			/* MAX_PIN_PAGES pages, registered */
	struct ibv_mr *buf_mr;
	struct ibv_mr *mr;		/* on a target, or NULL */
	uint64_t iova;			/* the region's address when registered */
	struct pinned pin;
};

static const char *rdma_device;
static struct rdma rdma = { .pin.target = -1 };

static int qp_modify(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask)
{
	int ret = ibv_modify_qp(qp, attr, mask);

	if (ret)
		errno = ret;
	return ret;
}

/* Connect r->qp[0] and r->qp[1] to each other through GID index gid. */
static int rdma_connect(struct rdma *r, int gid_index, const union ibv_gid *gid)
{
	for (int i = 0; i < 2; i++) {
		struct ibv_qp_attr attr = {
			.qp_state = IBV_QPS_INIT,
			.port_num = 1,
			.qp_access_flags = IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE,
		};

		if (qp_modify(r->qp[i], &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			      IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
			return -1;
		attr = (struct ibv_qp_attr){
			.qp_state = IBV_QPS_RTR,
			.path_mtu = IBV_MTU_1024,
			.dest_qp_num = r->qp[!i]->qp_num,
			.max_dest_rd_atomic = 1,
			.min_rnr_timer = 12,
			.ah_attr = {
				.is_global = 1,
				.port_num = 1,
				.grh = { .dgid = *gid, .sgid_index = gid_index, .hop_limit = 1 },
			},
		};
		if (qp_modify(r->qp[i], &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			      IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			      IBV_QP_MIN_RNR_TIMER))
			return -1;
		attr = (struct ibv_qp_attr){
			.qp_state = IBV_QPS_RTS,
			.timeout = 14,
			.retry_cnt = 7,
			.rnr_retry = 7,
			.max_rd_atomic = 1,
		};
		if (qp_modify(r->qp[i], &attr, IBV_QP_STATE | IBV_QP_TIMEOUT |
			      IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			      IBV_QP_MAX_QP_RD_ATOMIC))
			return -1;
	}
	return 0;
}

/* Open the device, a pair of connected queue pairs and the buffer. */
static int rdma_open(struct rdma *r)
{
	struct ibv_qp_init_attr qp_attr = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1, .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	struct ibv_port_attr port;
	union ibv_gid gid;
	int n, gid_index = -1;

	list = ibv_get_device_list(&n);
	for (int i = 0; list && i < n && !r->ctx; i++)
		if (!strcmp(ibv_get_device_name(list[i]), rdma_device))
			r->ctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	if (!r->ctx)
		return -1;
	if (ibv_query_port(r->ctx, 1, &port))
		return -1;
	/*
	 * The RoCE v2 GID of the netdev's IPv4 address, which the caller
	 * gave it: it resolves to the device itself without IPv6.
	 */
	for (int i = 0; i < port.gid_tbl_len && gid_index < 0; i++) {
		struct ibv_gid_entry entry;

		if (ibv_query_gid_ex(r->ctx, 1, i, &entry, 0) ||
		    entry.gid_type != IBV_GID_TYPE_ROCE_V2 ||
		    !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)entry.gid.raw))
			continue;
		gid = entry.gid;
		gid_index = i;
	}
	if (gid_index < 0) {
		errno = ENODEV;
		return -1;
	}
	r->pd = ibv_alloc_pd(r->ctx);
	r->cq = r->pd ? ibv_create_cq(r->ctx, 8, NULL, NULL, 0) : NULL;
	if (!r->cq)
		return -1;
	qp_attr.send_cq = qp_attr.recv_cq = r->cq;
	for (int i = 0; i < 2; i++) {
		r->qp[i] = ibv_create_qp(r->pd, &qp_attr);
		if (!r->qp[i])
			return -1;
	}
	if (rdma_connect(r, gid_index, &gid))
		return -1;
	r->buf = mmap(NULL, MAX_PIN_PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->buf == MAP_FAILED)
		return -1;
	r->buf_mr = ibv_reg_mr(r->pd, r->buf, MAX_PIN_PAGES * PAGE, IBV_ACCESS_LOCAL_WRITE);
	return r->buf_mr ? 0 : -1;
}

/*
 * Register pages start..start+nr-1 of target t: writable (the peer may
 * RDMA WRITE into it; ib_umem pins with FOLL_WRITE) or read-only. On
 * failure, returns -1 with errno set.
 */
static int rdma_register(struct rdma *r, int t, long start, int nr, bool writable)
{
	void *addr = targets[t].map + start * WORDS;

	r->mr = ibv_reg_mr(r->pd, addr, nr * PAGE, IBV_ACCESS_REMOTE_READ |
			   (writable ? IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE : 0));
	if (!r->mr)
		return -1;
	r->iova = (uintptr_t)addr;
	pinned_in_file(&r->pin, t, start, nr, writable);
	return 0;
}

/*
 * One RDMA WRITE (or READ) between pages first..first+n-1 of the region
 * and the start of the buffer, to completion. Returns 0 or -1 with errno.
 */
static int rdma_transfer(struct rdma *r, bool write, int first, int n)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->buf,
		.length = n * PAGE,
		.lkey = r->buf_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
		.wr.rdma = { .remote_addr = r->iova + first * PAGE, .rkey = r->mr->rkey },
	}, *bad;
	struct ibv_wc wc;
	int ret;

	ret = ibv_post_send(r->qp[0], &wr, &bad);
	if (ret) {
		errno = ret;
		return -1;
	}
	for (int polls = 0; !(ret = ibv_poll_cq(r->cq, 1, &wc)); polls++) {
		if (polls > 100000) {
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(100);
	}
	if (ret < 0 || wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "pin_stress: RDMA %s: %s\n", write ? "WRITE" : "READ",
			ret < 0 ? "poll failed" : ibv_wc_status_str(wc.status));
		errno = EIO;
		return -1;
	}
	return 0;
}

static bool op_mr_register(void)
{
	int t = pick_target(false), nr, ret;
	struct target *tg = &targets[t];
	bool writable = chance(80), armed, fired;
	long start;

	if (!rdma.ctx || rdma.mr)
		return false;
	start = pick_range(tg, 32, &nr);
	armed = inject_arm();
	ret = rdma_register(&rdma, t, start, nr, writable);
	fired = inject_disarm(armed);
	note("mr_register %s %ld+%d %s: %s%s", tg->name, start, nr,
	     writable ? "writable" : "read-only", ret ? strerror(errno) : "registered",
	     fired ? " (fault injected)" : "");
	check_pin_outcome(writable ? "writable ibv_reg_mr" : "read-only ibv_reg_mr", tg, start,
			  nr, tg->pin_write_allowed || !writable, ret ? errno : 0, fired);
	return true;
}

/* The NIC writes tagged pages into the region. */
static bool op_mr_write(void)
{
	uint64_t tag = new_tag();
	int first, n;

	if (!rdma.mr || !rdma.pin.writable)
		return false;
	first = rnd_below(rdma.pin.nr);
	n = 1 + rnd_below(rdma.pin.nr - first);
	for (int i = 0; i < n; i++)
		fill(rdma.buf + i * WORDS, tag + first + i);
	if (rdma_transfer(&rdma, true, first, n)) {
		check_failed("RDMA WRITE into %s: %s", targets[rdma.pin.target].name,
			     strerror(errno));
		return true;
	}
	for (int i = 0; i < n; i++)
		device_wrote(&rdma.pin, first + i, tag + first + i);
	note("mr_write %s %ld+%d", targets[rdma.pin.target].name, rdma.pin.start + first, n);
	return true;
}

/* The NIC reads the region: each page must hold what the model says. */
static bool op_mr_read(void)
{
	if (!rdma.mr)
		return false;
	memset(rdma.buf, 0xff, rdma.pin.nr * PAGE);
	if (rdma_transfer(&rdma, false, 0, rdma.pin.nr)) {
		check_failed("RDMA READ from %s: %s", targets[rdma.pin.target].name,
			     strerror(errno));
		return true;
	}
	compare_pinned(&rdma.pin, rdma.buf, "RDMA READ");
	note("mr_read %s %ld+%d", targets[rdma.pin.target].name, rdma.pin.start, rdma.pin.nr);
	return true;
}

static bool op_mr_deregister(void)
{
	if (!rdma.mr)
		return false;
	note("mr_deregister %s", targets[rdma.pin.target].name);
	if (ibv_dereg_mr(rdma.mr))
		check_failed("ibv_dereg_mr: %s", strerror(errno));
	rdma.mr = NULL;
	rdma.pin.target = -1;
	return true;
}

/*
 * A child pins (through its own gup_test file, an io_uring registration or
 * an RDMA memory region), has the device write, reports, and then is
 * killed with SIGKILL or exits: the pins go with the process, without the
 * pages being dirtied.
 */
enum pinner { BY_GUP_TEST, BY_URING, BY_RDMA };

static bool op_kill_pinned(void)
{
	int t = pick_target(true), nr, report[2];
	struct target *tg;
	enum pinner by = rnd_below(rdma.ctx ? 3 : 2);
	bool killed = chance(70);
	static const char *const pinner_names[] = { "gup_test", "io_uring", "an RDMA region" };
	long start;
	uint64_t tag = new_tag();
	struct pinned pin;
	pid_t pid;
	int status;
	long src = 0;
	char result = 0;

	if (t < 0 || (by == BY_GUP_TEST && gup_pin.target >= 0))
		return false;
	tg = &targets[t];
	start = pick_range(tg, 32, &nr);
	if (by == BY_URING)
		src = rnd_below(SRC_PAGES - nr + 1);
	if (pipe(report))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		inject = false;	/* the fail-nth file is the parent's */
		close(report[0]);
		if (by == BY_URING) {
			struct ring r = { .pin.target = -1 };
			bool fired;

			if (ring_setup(&r, tg, start, nr, &fired) ||
			    ring_read(&r, 0, nr, src) != (int)(nr * PAGE))
				_exit(1);
		} else if (by == BY_RDMA) {
			struct rdma r = { .pin.target = -1 };

			if (rdma_open(&r) || rdma_register(&r, t, start, nr, true))
				_exit(1);
			for (int i = 0; i < nr; i++)
				fill(r.buf + i * WORDS, tag + i);
			if (rdma_transfer(&r, true, 0, nr))
				_exit(1);
		} else {
			struct pin_longterm_test args = {
				.addr = (uintptr_t)(tg->map + start * WORDS),
				.size = nr * PAGE,
				.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE,
			};
			int fd = open("/sys/kernel/debug/gup_test", O_RDWR);

			if (fd < 0 || ioctl(fd, PIN_LONGTERM_TEST_START, &args) ||
			    ioctl(fd, PIN_LONGTERM_TEST_WRITE, &tag))
				_exit(1);
		}
		if (write(report[1], "k", 1) != 1)
			_exit(1);
		if (killed)
			pause();
		_exit(0);
	}
	close(report[1]);
	if (read(report[0], &result, 1) != 1 || result != 'k') {
		waitpid(pid, &status, 0);
		check_failed("a child could not pin %s %ld+%d by %s", tg->name, start, nr,
			     pinner_names[by]);
		close(report[0]);
		return true;
	}
	close(report[0]);
	pinned_in_file(&pin, t, start, nr, true);
	for (int i = 0; i < nr; i++)
		device_wrote(&pin, i, by == BY_URING ? SRC_TAG(src + i) : tag + i);
	if (killed)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	/* The pins go with the process. */
	settle_pins("after a process holding pins died");
	note("kill_pinned %s %ld+%d by %s: %s", tg->name, start, nr,
	     pinner_names[by], killed ? "killed" : "exited");
	return true;
}

static bool op_umount_busy(void)
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
static void bad_request(const char *what, unsigned long cmd, void *arg, int expect)
{
	int ret, err;

	/* Before and after, the pins held must be the model's. */
	settle_pins(what);
	ret = ioctl(gup_fd, cmd, arg);
	err = errno;

	note("bad_input %s: %s", what, ret ? strerror(err) : "ok");
	if (expect && (!ret || err != expect))
		check_failed("%s: %s, expected %s", what, ret ? strerror(err) : "success",
			     strerror(expect));
	if (!expect && ret)
		check_failed("%s: %s, expected success", what, strerror(err));
	settle_pins(what);
	check_pinned_pages(what);
}

static bool op_bad_input(void)
{
	/* Below mmap_min_addr: nothing is ever mapped there. */
	void *unmapped = (void *)PAGE;
	static void *prot_none, *read_only;
	struct target *tg = &targets[pick_target(false)];
	struct pin_longterm_test args = { .flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE };
	struct pin_longterm_test_sg sg = { 0 };
	uint64_t addr = 0;
	bool held = gup_pin.target >= 0;

	if (!prot_none) {
		prot_none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		/* Zeros: a valid request, in memory the ioctl cannot write. */
		read_only = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (prot_none == MAP_FAILED || read_only == MAP_FAILED)
			die("mmap");
	}
	switch (rnd_below(12)) {
	case 0:
		args.addr = (uintptr_t)tg->map + 1;
		args.size = PAGE;
		bad_request("pin at an unaligned address", PIN_LONGTERM_TEST_START, &args,
			    EINVAL);
		break;
	case 1:
		args.addr = (uintptr_t)tg->map;
		args.size = held ? PAGE : 0;
		bad_request(held ? "a second pin" : "pin of 0 bytes",
			    PIN_LONGTERM_TEST_START, &args, EINVAL);
		break;
	case 2:
		args.addr = (uintptr_t)tg->map;
		args.size = PAGE + 1;
		bad_request("pin of an unaligned size", PIN_LONGTERM_TEST_START, &args, EINVAL);
		break;
	case 3:
		if (held)
			return false;
		/* Read-only, so that xfs's refusal of writable pins cannot pass it. */
		args.flags = 0;
		args.addr = (uintptr_t)unmapped;
		args.size = PAGE;
		bad_request("pin of unmapped memory", PIN_LONGTERM_TEST_START, &args, EFAULT);
		break;
	case 4:
		if (held)
			return false;
		args.flags = 0;
		args.addr = (uintptr_t)prot_none;
		args.size = PAGE;
		bad_request("pin of PROT_NONE memory", PIN_LONGTERM_TEST_START, &args, EFAULT);
		break;
	case 5:
		if (held)
			return false;
		/* Past the end of the file: no page to pin. */
		args.flags = 0;
		args.addr = (uintptr_t)(tg->map + (tg->pages - 1) * WORDS);
		args.size = 2 * PAGE;
		if (tg->pages == max_pages)
			return false;
		bad_request("pin past the end of the file", PIN_LONGTERM_TEST_START, &args,
			    EFAULT);
		break;
	case 6:
		args.addr = (uintptr_t)tg->map;
		args.size = PAGE;
		args.flags = 0x80;
		bad_request("pin with unknown flags", PIN_LONGTERM_TEST_START, &args, EINVAL);
		break;
	case 7:
		if (held)
			return false;
		bad_request("device write without a pin", PIN_LONGTERM_TEST_WRITE, &addr,
			    EINVAL);
		bad_request("stop without a pin", PIN_LONGTERM_TEST_STOP, NULL, 0);
		bad_request("sg release without a pin", PIN_LONGTERM_TEST_STOP_SG, &sg, EINVAL);
		break;
	case 8:
		if (!held)
			return false;
		addr = (uintptr_t)unmapped;
		bad_request("read into unmapped memory", PIN_LONGTERM_TEST_READ, &addr, EFAULT);
		bad_request("device write from unmapped memory", PIN_LONGTERM_TEST_WRITE,
			    unmapped, gup_pin.writable ? EFAULT : EINVAL);
		break;
	case 9:
		if (!held)
			return false;
		sg.flags = 0x100;
		bad_request("sg release with unknown flags", PIN_LONGTERM_TEST_STOP_SG, &sg,
			    EINVAL);
		sg.flags = 0;
		sg.max_segment = PAGE + 512;
		bad_request("sg release with an unaligned segment", PIN_LONGTERM_TEST_STOP_SG,
			    &sg, EINVAL);
		bad_request("sg release from unmapped memory", PIN_LONGTERM_TEST_STOP_SG,
			    unmapped, EFAULT);
		/* The results cannot be copied back: the pins must stay. */
		bad_request("sg release into read-only memory", PIN_LONGTERM_TEST_STOP_SG,
			    read_only, EFAULT);
		break;
	case 10:
		if (!held || gup_pin.writable)
			return false;
		sg.flags = PIN_LONGTERM_TEST_SG_DIRTY;
		bad_request("dirtying release of a read-only pin", PIN_LONGTERM_TEST_STOP_SG,
			    &sg, EINVAL);
		bad_request("device write into a read-only pin", PIN_LONGTERM_TEST_WRITE,
			    &addr, EINVAL);
		break;
	case 11:
		args.addr = (uintptr_t)tg->map;
		args.size = 1ULL << 44;
		bad_request(held ? "a second, huge pin" : "pin of 16 TiB",
			    PIN_LONGTERM_TEST_START, &args, held ? EINVAL : ENOMEM);
		break;
	}
	return true;
}

static bool op_pinned_read(void)
{
	if (gup_pin.target < 0)
		return false;
	check_pinned_pages("pinned_read");
	return true;
}

static bool (*const op_fn[NR_OPS])(void) = {
	[OP_CPU_WRITE] = op_cpu_write, [OP_CPU_READ] = op_cpu_read, [OP_PIN] = op_pin,
	[OP_DEVICE_WRITE] = op_device_write, [OP_PINNED_READ] = op_pinned_read,
	[OP_UNPIN] = op_unpin, [OP_URING_REG] = op_uring_register,
	[OP_URING_READ] = op_uring_read, [OP_URING_UNREG] = op_uring_unregister,
	[OP_SYNC] = op_sync, [OP_DROP] = op_drop_caches,
	[OP_TRUNCATE] = op_truncate, [OP_EXTEND] = op_extend,
	[OP_PUNCH] = op_punch_hole, [OP_REMAP] = op_remap,
	[OP_FORK_WRITE] = op_fork_write, [OP_KILL_PINNED] = op_kill_pinned,
	[OP_UMOUNT] = op_umount_busy, [OP_BAD_INPUT] = op_bad_input,
	[OP_MR_REG] = op_mr_register, [OP_MR_WRITE] = op_mr_write,
	[OP_MR_READ] = op_mr_read, [OP_MR_DEREG] = op_mr_deregister,
};

static int current_op = -1;

static void crashed(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	printf("pin_stress: signal %d at address %p during %s\n", sig, si->si_addr,
	       current_op >= 0 ? op_names[current_op] : "the final checks");
	fflush(stdout);
	_exit(3);
}

static enum op pick_op(void)
{
	int total = 0, r;

	for (int i = 0; i < NR_OPS; i++)
		total += op_weight[i];
	r = rnd_below(total);
	for (int i = 0; i < NR_OPS; i++) {
		r -= op_weight[i];
		if (r < 0)
			return i;
	}
	return OP_CPU_WRITE;
}

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
static void start_hog(long mib)
{
	size_t len = mib << 20;
	char *mem;

	hog_pid = fork();
	if (hog_pid < 0)
		die("fork");
	if (hog_pid)
		return;
	/* Neither outlive the mix nor hold its output open. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
	dup2(open("/dev/null", O_WRONLY), STDOUT_FILENO);
	dup2(STDOUT_FILENO, STDERR_FILENO);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(1);
	for (uint64_t round = 1;; round++) {
		for (size_t off = 0; off < len; off += PAGE)
			mem[off] = round;
		sleep(1);
	}
}

static void finish(void)
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

int main(int argc, char **argv)
{
	double seconds = 30;
	uint64_t seed = time(NULL);
	struct timespec start, now;
	unsigned long ops = 0;
	long hog_mib = 0;
	const char *bdev_path = NULL;
	time_t last_report = 0;
	int opt;

	while ((opt = getopt(argc, argv, "t:s:p:m:r:b:Fv")) != -1) {
		switch (opt) {
		case 't':
			seconds = atof(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			max_pages = atol(optarg);
			break;
		case 'm':
			hog_mib = atol(optarg);
			break;
		case 'F':
			inject = true;
			fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
			if (fail_nth_fd < 0)
				die("/proc/thread-self/fail-nth");
			break;
		case 'r':
			rdma_device = optarg;
			break;
		case 'b':
			bdev_path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: pin_stress [-t SECONDS] [-s SEED] [-p PAGES] [-m MIB] [-r DEVICE] [-b BLOCKDEV] [-F] [-v] DIR...\n");
			return 2;
		}
	}
	if (optind >= argc || argc - optind + 2 > MAX_TARGETS || max_pages < 2) {
		fprintf(stderr, "pin_stress: give 1 to %d directories and at least 2 pages\n",
			MAX_TARGETS - 2);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (strlen(argv[i]) >= sizeof(targets[0].dir)) {
			fprintf(stderr, "pin_stress: %s: path too long\n", argv[i]);
			return 2;
		}
	}
	{
		struct sigaction sa = { .sa_sigaction = crashed, .sa_flags = SA_SIGINFO };

		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
	}
	printf("seed %" PRIu64 "\n", seed);
	fflush(stdout);
	rng_state = seed * 2654435761ULL + 1;
	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gup_fd < 0)
		die("/sys/kernel/debug/gup_test");
	all_pins[0] = &gup_pin;
	for (int k = 0; k < NR_RINGS; k++) {
		rings[k].pin.target = -1;
		all_pins[1 + k] = &rings[k].pin;
	}
	all_pins[1 + NR_RINGS] = &rdma.pin;
	/* Before the files exist, so that the hog holds none of them. */
	if (hog_mib)
		start_hog(hog_mib);
	write_source(argv[optind]);
	for (int i = optind; i < argc; i++) {
		write_control(argv[i], nr_targets);
		open_target(&targets[nr_targets], argv[i], nr_targets);
		nr_targets++;
	}
	if (bdev_path) {
		open_bdev_target(&targets[nr_targets], bdev_path, nr_targets);
		nr_targets++;
	}
	open_target(&targets[nr_targets++], NULL, 0);
	pins_base = pins_held();
	if (rdma_device) {
		if (rdma_open(&rdma))
			die("RDMA device %s", rdma_device);
		rdma_buffer_pins = MAX_PIN_PAGES;
	}

	clock_gettime(CLOCK_MONOTONIC, &start);
	now = start;
	do {
		if (now.tv_sec >= last_report + 10) {
			printf("%lds: %lu operations, %d failed checks\n",
			       (long)(now.tv_sec - start.tv_sec), ops, failures);
			fflush(stdout);
			last_report = now.tv_sec;
		}
		enum op op = pick_op();

		current_op = op;
		if (op_fn[op]()) {
			op_count[op]++;
			ops++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (failures < 10 &&
		 (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	current_op = -1;
	printf("operations %lu\n", ops);
	finish();
	return failures ? 1 : 0;
}
