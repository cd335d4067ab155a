// SPDX-License-Identifier: GPL-2.0
/*
 * What releasing a large pinned registration costs, per 4k page.
 *
 *   release_bench mr contiguous|fragmented MIB ROUNDS DEVICE
 *	ibv_reg_mr() a writable RDMA memory region of MIB MiB of anonymous
 *	memory on DEVICE (rxe: ib_umem pins the pages and keeps them in a
 *	scatterlist), and time ibv_dereg_mr(), which unpins them from that
 *	scatterlist (ib_umem_release()). Runs on any kernel.
 *   release_bench sg contiguous|fragmented MIB ROUNDS
 *	pin through gup_test (PIN_LONGTERM_TEST_START) and release from an
 *	sg_table (PIN_LONGTERM_TEST_STOP_SG, dirtying as an RDMA release
 *	does), turn about with unpin_user_pages_sgt() and with the loop of
 *	one unpin_user_page_range_dirty_lock() per entry that drivers
 *	open-code. Needs a kernel with PIN_LONGTERM_TEST_STOP_SG.
 *
 * "contiguous" memory is THP-backed (MADV_HUGEPAGE), so the scatterlist
 * has an entry per physically contiguous run of 2 MiB or more;
 * "fragmented" memory is small pages faulted in from the last to the
 * first, so that neighbours in the range are not neighbours in memory and
 * each page gets an entry of its own.
 *
 * Prints "metric<TAB>value" lines: runs (physically contiguous runs in the
 * range, which is about the entries of the scatterlist), and the median
 * over ROUNDS (after one round to warm up) of dereg_ns_per_page, or of
 * sgt_ns_per_page and loop_ns_per_page. Exits 4 when this kernel or guest
 * cannot run the case, saying why on stderr.
 */
// LDLIBS: -libverbs
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#include "gup_test_series.h"

#define EXIT_CANNOT_RUN	4
#define HUGE_SIZE	(2UL << 20)
#define MAX_ROUNDS	64

static size_t pagesize;

static void die(const char *what)
{
	fprintf(stderr, "release_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void cannot_run(const char *why)
{
	fprintf(stderr, "release_bench: %s\n", why);
	exit(EXIT_CANNOT_RUN);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static char *alloc_memory(int contiguous, size_t size)
{
	char *map, *addr;
	size_t i;

	map = mmap(NULL, size + HUGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		die("mmap");
	addr = (char *)(((uintptr_t)map + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (madvise(addr, size, contiguous ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) &&
	    contiguous)
		cannot_run("no transparent huge pages (MADV_HUGEPAGE failed)");
	if (contiguous) {
		memset(addr, 1, size);
	} else {
		for (i = size; i > 0; i -= pagesize)
			addr[i - pagesize] = 1;
	}
	return addr;
}

/* Physically contiguous runs of pages in [addr, addr + size). */
static unsigned long count_runs(char *addr, size_t size)
{
	uint64_t prev = 0, entry;
	unsigned long runs = 0;
	size_t off;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		die("open /proc/self/pagemap");
	for (off = 0; off < size; off += pagesize) {
		if (pread(fd, &entry, sizeof(entry),
			  (uintptr_t)(addr + off) / pagesize * sizeof(entry)) != sizeof(entry))
			die("read /proc/self/pagemap");
		entry &= (1ULL << 55) - 1;	/* the PFN */
		if (!entry) {
			errno = EPERM;
			die("no PFN in /proc/self/pagemap (not root?)");
		}
		if (off == 0 || entry != prev + 1)
			runs++;
		prev = entry;
	}
	close(fd);
	return runs;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_per_page(uint64_t *ns, int rounds, size_t size)
{
	qsort(ns, rounds, sizeof(*ns), compare_u64);
	return (double)ns[rounds / 2] / (size / 4096);
}

static void bench_mr(char *addr, size_t size, int rounds, const char *name)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd;
	uint64_t ns[MAX_ROUNDS];
	int i, n;

	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	if (!ctx)
		cannot_run("no such RDMA device");
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd");

	for (i = -1; i < rounds; i++) {
		struct ibv_mr *mr;
		uint64_t start;

		mr = ibv_reg_mr(pd, addr, size, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_WRITE);
		if (!mr)
			die("ibv_reg_mr");
		start = now_ns();
		if (ibv_dereg_mr(mr))
			die("ibv_dereg_mr");
		if (i >= 0)
			ns[i] = now_ns() - start;
	}
	printf("dereg_ns_per_page\t%.2f\n", median_per_page(ns, rounds, size));

	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
}

#ifndef GUP_TEST_WITHOUT_STOP_SG
/* One pin and release of the range; returns the release's nanoseconds. */
static uint64_t pin_and_release(int gup_fd, char *addr, size_t size, __u32 flags)
{
	struct pin_longterm_test pin = {
		.addr = (uintptr_t)addr,
		.size = size,
		.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE,
	};
	struct pin_longterm_test_sg release = {
		.flags = PIN_LONGTERM_TEST_SG_DIRTY | flags,
	};

	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &pin))
		die("PIN_LONGTERM_TEST_START");
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP_SG, &release))
		die("PIN_LONGTERM_TEST_STOP_SG");
	return release.release_nsec;
}

static void bench_sg(char *addr, size_t size, int rounds)
{
	uint64_t sgt[MAX_ROUNDS], loop[MAX_ROUNDS];
	int i, gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);

	if (gup_fd < 0)
		cannot_run("no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST, debugfs)");
	for (i = -1; i < rounds; i++) {
		uint64_t a = pin_and_release(gup_fd, addr, size, 0);
		uint64_t b = pin_and_release(gup_fd, addr, size,
					     PIN_LONGTERM_TEST_SG_PER_ENTRY);

		if (i >= 0) {
			sgt[i] = a;
			loop[i] = b;
		}
	}
	printf("sgt_ns_per_page\t%.2f\n", median_per_page(sgt, rounds, size));
	printf("loop_ns_per_page\t%.2f\n", median_per_page(loop, rounds, size));
	close(gup_fd);
}
#else
static void bench_sg(char *addr, size_t size, int rounds)
{
	(void)addr;
	(void)size;
	(void)rounds;
	cannot_run("this kernel's gup_test has no PIN_LONGTERM_TEST_STOP_SG");
}
#endif

int main(int argc, char **argv)
{
	int contiguous, rounds;
	size_t size;
	char *addr;

	if (argc < 5 || (strcmp(argv[1], "mr") && strcmp(argv[1], "sg")) ||
	    (strcmp(argv[2], "contiguous") && strcmp(argv[2], "fragmented")) ||
	    (!strcmp(argv[1], "mr") && argc < 6)) {
		fprintf(stderr, "usage: release_bench mr|sg contiguous|fragmented MIB ROUNDS [DEVICE]\n");
		return 2;
	}
	pagesize = getpagesize();
	contiguous = !strcmp(argv[2], "contiguous");
	size = strtoul(argv[3], NULL, 0) << 20;
	rounds = atoi(argv[4]);
	if (!size || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "release_bench: MIB > 0, 1 <= ROUNDS <= %d\n", MAX_ROUNDS);
		return 2;
	}

	addr = alloc_memory(contiguous, size);
	printf("runs\t%lu\n", count_runs(addr, size));
	if (!strcmp(argv[1], "mr"))
		bench_mr(addr, size, rounds, argv[5]);
	else
		bench_sg(addr, size, rounds);
	return 0;
}
