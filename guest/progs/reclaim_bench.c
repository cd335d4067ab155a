// SPDX-License-Identifier: GPL-2.0
/*
 * reclaim_bench: what proactive memcg reclaim costs, and costs the pinner,
 * while part of the cgroup's memory is pinned long-term. Runs in the guest
 * as root (needs debugfs with CONFIG_GUP_TEST, cgroup v2 and active swap).
 *
 *   reclaim_bench anon|memfd PINNED_MIB ROUNDS
 *
 * In a cgroup of its own, it maps PINNED_MIB of memfd (MAP_SHARED) or of
 * private anonymous memory, writes every page and pins the range through
 * gup_test's PIN_LONGTERM_TEST_START (writable), next to 64 MiB of unpinned
 * anonymous memory that reclaim can actually free. Then, ROUNDS times, it
 * asks memory.reclaim for far more than the cgroup holds and measures:
 *
 *   pgscan, pgsteal    the cgroup's memory.stat deltas across the write
 *   reclaim_sys_ms     system CPU time of the write: memory.reclaim reclaims
 *                      in the context of the task that writes it
 *   reclaim_wall_ms    wall time of the write
 *   unmapped_pages     pages of the pinned range not present in
 *                      /proc/self/pagemap afterwards (reclaim tore down the
 *                      mapping of memory it could not free)
 *   refaults           faults taken reading every pinned page again
 *
 * Prints "metric<TAB>total over the rounds" lines on stdout, one per metric,
 * and one line per round on stderr for a person reading the log.
 * Exit status: 0 measured, 1 error (why on stderr), 4 skipped (kselftest's
 * code: no root, gup_test, cgroup v2 memory controller or swap).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "gup_test.h"

#define EXIT_SKIP		4
#define CGROUP_ROOT		"/sys/fs/cgroup"
#define GUP_TEST_FILE		"/sys/kernel/debug/gup_test"
#define UNPINNED_SIZE		(64UL << 20)
/*
 * memory.reclaim gives up with EAGAIN once it cannot find more to reclaim,
 * so asking for far more than the cgroup holds means "as much as you can".
 */
#define RECLAIM_REQUEST		"1G"
#define PM_PRESENT		(1ULL << 63)

struct round {
	long long pgscan, pgsteal;
	unsigned long unmapped_pages;
	long refaults;
	double reclaim_sys_ms, reclaim_wall_ms;
};

static long page_size;
static char cgroup_path[64];
static char orig_cgroup[PATH_MAX];
static bool cgroup_created;

static void __attribute__((noreturn, format(printf, 2, 3)))
quit(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "reclaim_bench: %s", status == EXIT_SKIP ? "skip: " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void usage(void)
{
	quit(EXIT_FAILURE, "usage: reclaim_bench anon|memfd PINNED_MIB ROUNDS");
}

/* 0 or -errno, so that callers can tell EAGAIN apart. */
static int write_file(const char *path, const char *text)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, text, strlen(text));
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret < 0 ? ret : 0;
}

/* The value of a "name value" line (memory.stat, /proc/meminfo); -1 if absent. */
static long long read_named_value(const char *path, const char *name)
{
	long long value, found = -1;
	char line[256], key[128];
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", key, &value) == 2 && !strcmp(key, name)) {
			found = value;
			break;
		}
	}
	fclose(f);
	return found;
}

static long long read_memcg_stat(const char *name)
{
	char path[sizeof(cgroup_path) + 32];
	long long value;

	snprintf(path, sizeof(path), "%s/memory.stat", cgroup_path);
	value = read_named_value(path, name);
	if (value < 0)
		quit(EXIT_FAILURE, "%s has no %s", path, name);
	return value;
}

static void leave_cgroup(void)
{
	char path[sizeof(orig_cgroup) + 32];
	char pid[32];

	if (!cgroup_created)
		return;
	snprintf(pid, sizeof(pid), "%d", getpid());
	/* A cgroup with a task in it cannot be removed: move back out first. */
	snprintf(path, sizeof(path), CGROUP_ROOT "%s/cgroup.procs", orig_cgroup);
	if (write_file(path, pid))
		write_file(CGROUP_ROOT "/cgroup.procs", pid);
	if (rmdir(cgroup_path))
		fprintf(stderr, "reclaim_bench: rmdir %s: %s\n", cgroup_path, strerror(errno));
	cgroup_created = false;
}

/* Our cgroup v2 path, from the "0::/path" line of /proc/self/cgroup. */
static void read_orig_cgroup(void)
{
	char line[sizeof(orig_cgroup)];
	FILE *f;

	orig_cgroup[0] = '\0';
	f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		/* The root is "/": "//cgroup.procs" below is harmless. */
		snprintf(orig_cgroup, sizeof(orig_cgroup), "%s", line + 3);
		break;
	}
	fclose(f);
}

/*
 * A cgroup of our own, joined before any measured memory is touched: a page
 * is charged to the cgroup of the task that faults it in, and memory.reclaim
 * reclaims only what is charged to the cgroup, so the rest of the guest is
 * left alone and the counters are ours.
 */
static void enter_own_cgroup(void)
{
	char path[sizeof(cgroup_path) + 32];
	char pid[32];
	struct statfs fs;
	int ret;

	if (statfs(CGROUP_ROOT, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		quit(EXIT_SKIP, "cgroup v2 is not mounted at " CGROUP_ROOT);
	ret = write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	if (ret)
		quit(EXIT_SKIP, "cannot enable the memory controller: %s", strerror(-ret));

	read_orig_cgroup();
	snprintf(cgroup_path, sizeof(cgroup_path), CGROUP_ROOT "/reclaim_bench.%d", getpid());
	if (mkdir(cgroup_path, 0755))
		quit(EXIT_SKIP, "mkdir %s: %s", cgroup_path, strerror(errno));
	cgroup_created = true;
	atexit(leave_cgroup);

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_path);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ret = write_file(path, pid);
	if (ret)
		quit(EXIT_SKIP, "cannot join %s: %s", cgroup_path, strerror(-ret));
}

/*
 * Without swap, reclaim does not scan anonymous memory or shmem at all: it
 * would never meet the pinned pages and the numbers would say nothing.
 * Room for the unpinned part, which is what reclaim can swap out.
 */
static void require_swap(void)
{
	long long free_kb = read_named_value("/proc/meminfo", "SwapFree:");

	if (free_kb <= 0)
		quit(EXIT_SKIP, "no swap active");
	if (free_kb < (long long)(2 * UNPINNED_SIZE / 1024))
		quit(EXIT_SKIP, "only %lld kB of swap free, need %lu kB", free_kb,
		     2 * UNPINNED_SIZE / 1024);
}

/* size bytes, written page by page, small folios only. */
static char *map_written(const char *kind, size_t size)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS, fd = -1;
	char *mem;

	if (!strcmp(kind, "memfd")) {
		fd = memfd_create("reclaim_bench", 0);
		if (fd < 0)
			quit(EXIT_FAILURE, "memfd_create: %s", strerror(errno));
		if (ftruncate(fd, size))
			quit(EXIT_FAILURE, "ftruncate: %s", strerror(errno));
		flags = MAP_SHARED;
	} else if (strcmp(kind, "anon")) {
		usage();
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (mem == MAP_FAILED)
		quit(EXIT_FAILURE, "mmap %s of %zu bytes: %s", kind, size, strerror(errno));
	if (fd >= 0)
		close(fd);
	/*
	 * A large folio that reclaim wants to split takes other paths, and the
	 * guest's THP setting would decide which: keep the pages 4k. Failure
	 * just means there is no THP to opt out of.
	 */
	madvise(mem, size, MADV_NOHUGEPAGE);
	/* Dirty every page, so that reclaim would have to write each one out. */
	memset(mem, 0x5a, size);
	return mem;
}

static int pin_longterm(char *mem, size_t size)
{
	struct pin_longterm_test args = {
		.addr = (uintptr_t)mem,
		.size = size,
		.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE,
	};
	int gup_fd;

	gup_fd = open(GUP_TEST_FILE, O_RDWR);
	if (gup_fd < 0)
		quit(EXIT_SKIP, "%s (CONFIG_GUP_TEST, debugfs?): %s", GUP_TEST_FILE, strerror(errno));
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args))
		quit(EXIT_FAILURE, "PIN_LONGTERM_TEST_START: %s", strerror(errno));
	return gup_fd;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static double tv_ms(const struct timeval *tv)
{
	return tv->tv_sec * 1e3 + tv->tv_usec / 1e3;
}

/* One write to memory.reclaim, with what it scanned, freed and cost. */
static void reclaim_once(struct round *r)
{
	char path[sizeof(cgroup_path) + 32];
	long long scan0, steal0;
	struct rusage ru0, ru1;
	struct timespec t0, t1;
	int ret;

	snprintf(path, sizeof(path), "%s/memory.reclaim", cgroup_path);
	scan0 = read_memcg_stat("pgscan");
	steal0 = read_memcg_stat("pgsteal");
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	ret = write_file(path, RECLAIM_REQUEST);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	/* EAGAIN only means there was less to reclaim than asked for. */
	if (ret && ret != -EAGAIN)
		quit(EXIT_FAILURE, "writing %s: %s", path, strerror(-ret));
	r->pgscan = read_memcg_stat("pgscan") - scan0;
	r->pgsteal = read_memcg_stat("pgsteal") - steal0;
	r->reclaim_sys_ms = tv_ms(&ru1.ru_stime) - tv_ms(&ru0.ru_stime);
	r->reclaim_wall_ms = ms_between(&t0, &t1);
}

/* Pages of [mem, mem + size) without a present PTE, from one pagemap read. */
static unsigned long count_unmapped(int pagemap_fd, const char *mem, size_t size, uint64_t *entries)
{
	unsigned long i, nr_pages = size / page_size, unmapped = 0;
	off_t offset = (uintptr_t)mem / page_size * sizeof(*entries);
	size_t len = nr_pages * sizeof(*entries);

	if (pread(pagemap_fd, entries, len, offset) != (ssize_t)len)
		quit(EXIT_FAILURE, "reading /proc/self/pagemap: %s", strerror(errno));
	for (i = 0; i < nr_pages; i++)
		if (!(entries[i] & PM_PRESENT))
			unmapped++;
	return unmapped;
}

/* Read one byte of every page; return the faults that took. */
static long touch_counting_faults(const char *mem, size_t size)
{
	struct rusage ru0, ru1;
	size_t off;
	char byte;

	getrusage(RUSAGE_SELF, &ru0);
	for (off = 0; off < size; off += page_size) {
		byte = mem[off];
		/* Make the compiler believe the value is used, so the read happens. */
		asm volatile("" : "+r" (byte));
	}
	getrusage(RUSAGE_SELF, &ru1);
	return (ru1.ru_minflt - ru0.ru_minflt) + (ru1.ru_majflt - ru0.ru_majflt);
}

static unsigned long parse_positive(const char *arg)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(arg, &end, 10);
	if (errno || *end || !value)
		usage();
	return value;
}

int main(int argc, char **argv)
{
	struct round total = { 0 }, r;
	unsigned long rounds, i;
	size_t pinned_size;
	char *pinned, *unpinned;
	uint64_t *entries;
	int gup_fd, pagemap_fd;

	if (argc != 4)
		usage();
	if (strcmp(argv[1], "anon") && strcmp(argv[1], "memfd"))
		usage();
	page_size = sysconf(_SC_PAGESIZE);
	pinned_size = parse_positive(argv[2]) << 20;
	rounds = parse_positive(argv[3]);

	if (geteuid())
		quit(EXIT_SKIP, "needs root");
	require_swap();
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0)
		quit(EXIT_FAILURE, "/proc/self/pagemap: %s", strerror(errno));
	entries = malloc(pinned_size / page_size * sizeof(*entries));
	if (!entries)
		quit(EXIT_FAILURE, "out of memory");

	enter_own_cgroup();
	pinned = map_written(argv[1], pinned_size);
	gup_fd = pin_longterm(pinned, pinned_size);
	unpinned = map_written("anon", UNPINNED_SIZE);

	for (i = 1; i <= rounds; i++) {
		reclaim_once(&r);
		r.unmapped_pages = count_unmapped(pagemap_fd, pinned, pinned_size, entries);
		r.refaults = touch_counting_faults(pinned, pinned_size);
		fprintf(stderr, "reclaim_bench: %s round %lu: pgscan %lld pgsteal %lld unmapped %lu "
			"refaults %ld sys %.1f ms wall %.1f ms\n", argv[1], i, r.pgscan, r.pgsteal,
			r.unmapped_pages, r.refaults, r.reclaim_sys_ms, r.reclaim_wall_ms);
		total.pgscan += r.pgscan;
		total.pgsteal += r.pgsteal;
		total.unmapped_pages += r.unmapped_pages;
		total.refaults += r.refaults;
		total.reclaim_sys_ms += r.reclaim_sys_ms;
		total.reclaim_wall_ms += r.reclaim_wall_ms;
	}

	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		quit(EXIT_FAILURE, "PIN_LONGTERM_TEST_STOP: %s", strerror(errno));
	close(gup_fd);
	munmap(unpinned, UNPINNED_SIZE);
	munmap(pinned, pinned_size);
	leave_cgroup();

	printf("pgscan\t%lld\n", total.pgscan);
	printf("pgsteal\t%lld\n", total.pgsteal);
	printf("unmapped_pages\t%lu\n", total.unmapped_pages);
	printf("refaults\t%ld\n", total.refaults);
	printf("reclaim_sys_ms\t%.3f\n", total.reclaim_sys_ms);
	printf("reclaim_wall_ms\t%.3f\n", total.reclaim_wall_ms);
	return 0;
}
