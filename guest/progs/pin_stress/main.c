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
 *
 * The parts: main.c (options, the mix, the hog), model.c (what each page
 * must hold), targets.c (the files, memfd and block device), file_ops.c,
 * gup.c, uring.c, rdma.c and kill.c (the operations, by who does them),
 * faults.c (fail-nth), finish.c (the final release and read-back),
 * common.c (reporting, random numbers, tags, /proc files).
 */

#include "pin_stress.h"

struct target targets[MAX_TARGETS];
int nr_targets;
long max_pages = 256;
struct pinned gup_pin = { .target = -1 };
struct ring rings[NR_RINGS];
int gup_fd, src_fd;
bool verbose, inject;
int failures;
pid_t hog_pid;

const char *const op_names[NR_OPS] = {
	"cpu_write", "cpu_read", "pin", "device_write", "pinned_read", "unpin",
	"uring_register", "uring_read", "uring_unregister", "sync",
	"drop_caches", "truncate", "extend", "punch_hole", "remap",
	"fork_write", "kill_pinned", "umount_busy", "bad_input", "mr_register",
	"mr_write", "mr_read", "mr_deregister",
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
unsigned long op_count[NR_OPS];
unsigned long faults_injected, refused_by_fault;
unsigned long device_pages_written, detached_device_writes;
unsigned long pages_dropped_by_invalidation;

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
