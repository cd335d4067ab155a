// SPDX-License-Identifier: GPL-2.0
// LDLIBS: -luring -lpthread
/*
 * ublk_pins: a minimal ublk server (one queue, a RAM disk) that runs a
 * workload on its own device and counts the pins taken while ublk copies
 * request data between the block layer and the server's buffers
 * (ublk_copy_user_pages(): into the buffer for a WRITE, out of it for a
 * READ).
 *
 * The workload is buffered, so that the only pins are ublk's: 4 MiB are
 * written to /dev/ublkbN through the page cache and fsynced, the cache is
 * dropped, and the 4 MiB are read back through the page cache. Each
 * direction must pin at least one page per page of data, release every
 * pin, and the data read back must be what was written.
 *
 * With --no-gup, each direction must take no pin at all: kernels whose
 * ublk copies through the server's iterator (_copy_to_iter(), as 7.3
 * does) take no user pages, so there is nothing to pin.
 *
 *   ublk_pins [--no-gup]
 *
 * Exit status: 0 as expected, 1 the data or the pins were not as
 * expected, 2 setup failure, 4 no ublk in this kernel (skip).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/ublk_cmd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "foll_pins.h"
#include "lib.h"

#define QUEUE_DEPTH	8
#define IO_BUF_BYTES	(128 << 10)
#define DISK_BYTES	(8 << 20)
#define DATA_BYTES	(4 << 20)

static int ctrl_fd;
static struct io_uring ctrl_ring;
static struct ublksrv_ctrl_dev_info info;
static unsigned char *disk;
static atomic_int stopping;

/* A control command on /dev/ublk-control; they need 128-byte SQEs. */
static int ctrl_cmd(unsigned int op, struct ublksrv_ctrl_cmd *cmd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ctrl_ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		die("io_uring_get_sqe (control)");
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = ctrl_fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, cmd, sizeof(*cmd));
	if (io_uring_submit(&ctrl_ring) != 1)
		die("io_uring_submit (control)");
	if (io_uring_wait_cqe(&ctrl_ring, &cqe))
		die("io_uring_wait_cqe (control)");
	res = cqe->res;
	io_uring_cqe_seen(&ctrl_ring, cqe);
	return res;
}

static void queue_io_cmd(struct io_uring *ring, int fd, unsigned int op,
			 int tag, int result, void *buf)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct ublksrv_io_cmd *cmd;

	if (!sqe)
		die("io_uring_get_sqe (queue)");
	cmd = (void *)sqe->cmd;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	sqe->user_data = tag;
	cmd->q_id = 0;
	cmd->tag = tag;
	cmd->result = result;
	cmd->addr = (uintptr_t)buf;
}

/* Serve one request: the RAM disk's bytes to or from the tag's buffer. */
static int serve(const struct ublksrv_io_desc *iod, unsigned char *buf)
{
	size_t off = iod->start_sector << 9, len = (size_t)iod->nr_sectors << 9;

	if (off > DISK_BYTES || len > DISK_BYTES - off || len > IO_BUF_BYTES)
		return -EIO;
	switch (ublksrv_get_op(iod)) {
	case UBLK_IO_OP_READ:
		memcpy(buf, disk + off, len);
		return len;
	case UBLK_IO_OP_WRITE:
		memcpy(disk + off, buf, len);
		return len;
	case UBLK_IO_OP_FLUSH:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * The queue: it must fetch, serve and commit from one task, the one that
 * fetched first. It polls a flag with a timeout so that it can be told to
 * stop once the device is stopped.
 */
static void *queue_thread(void *arg)
{
	struct __kernel_timespec timeout = { .tv_nsec = 100 * 1000 * 1000 };
	unsigned char *bufs[QUEUE_DEPTH];
	const struct ublksrv_io_desc *descs;
	struct io_uring ring;
	char path[64];
	int fd;

	(void)arg;
	snprintf(path, sizeof(path), "/dev/ublkc%u", info.dev_id);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path);
	descs = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED | MAP_POPULATE,
		     fd, UBLKSRV_CMD_BUF_OFFSET);
	if (descs == MAP_FAILED)
		die("mmap io descriptors");
	if (io_uring_queue_init(2 * QUEUE_DEPTH, &ring, 0))
		die("io_uring_queue_init (queue)");
	for (int tag = 0; tag < QUEUE_DEPTH; tag++) {
		bufs[tag] = aligned_alloc(getpagesize(), IO_BUF_BYTES);
		if (!bufs[tag])
			die("aligned_alloc");
		queue_io_cmd(&ring, fd, UBLK_U_IO_FETCH_REQ, tag, 0, bufs[tag]);
	}
	if (io_uring_submit(&ring) != QUEUE_DEPTH)
		die("io_uring_submit (fetch)");

	while (!atomic_load(&stopping)) {
		struct io_uring_cqe *cqe;
		int tag, res;

		if (io_uring_wait_cqe_timeout(&ring, &cqe, &timeout))
			continue;
		tag = cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (res != UBLK_IO_RES_OK)
			continue; /* aborted: the device is going away */
		res = serve(&descs[tag], bufs[tag]);
		queue_io_cmd(&ring, fd, UBLK_U_IO_COMMIT_AND_FETCH_REQ, tag,
			     res, bufs[tag]);
		io_uring_submit(&ring);
	}
	io_uring_queue_exit(&ring);
	munmap((void *)descs, getpagesize());
	close(fd);
	return NULL;
}

static void fill(unsigned char *buf, size_t size)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char)(i * 13 + i / 4096);
}

/* The copy takes no user pages: set by --no-gup */
static bool expect_no_gup;

static int check_pins(const char *step, struct foll_pins before)
{
	struct foll_pins now = foll_pins_now();
	long acquired = now.acquired - before.acquired;
	long released = now.released - before.released;
	long pages = DATA_BYTES / getpagesize();

	printf("%s: pins acquired %ld, released %ld (%ld pages of data)\n",
	       step, acquired, released, pages);
	if (acquired != released) {
		printf("%s: %ld pins not released\n", step, acquired - released);
		return 1;
	}
	if (expect_no_gup) {
		if (acquired == 0)
			return 0;
		printf("%s: %ld pins taken by a copy that takes no user pages\n",
		       step, acquired);
		return 1;
	}
	if (acquired < pages) {
		printf("%s: %ld pages copied with only %ld pins taken\n", step,
		       pages, acquired);
		return 1;
	}
	return 0;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0 || write(fd, "3", 1) != 1)
		die("drop_caches");
	close(fd);
}

int main(int argc, char **argv)
{
	struct ublksrv_ctrl_cmd cmd = { 0 };
	struct ublk_params params = { 0 };
	unsigned char *data, *readback;
	int failures = 0, res, dev;
	struct foll_pins before;
	pthread_t queue;
	char path[64];

	if (argc == 2 && !strcmp(argv[1], "--no-gup")) {
		expect_no_gup = true;
	} else if (argc != 1) {
		fprintf(stderr, "usage: ublk_pins [--no-gup]\n");
		return 2;
	}

	ctrl_fd = open("/dev/ublk-control", O_RDWR);
	if (ctrl_fd < 0) {
		fprintf(stderr, "ublk_pins: /dev/ublk-control: %s\n", strerror(errno));
		return 4;
	}
	if (io_uring_queue_init(4, &ctrl_ring, IORING_SETUP_SQE128))
		die("io_uring_queue_init (control)");
	disk = calloc(1, DISK_BYTES);
	data = malloc(DATA_BYTES);
	readback = malloc(DATA_BYTES);
	if (!disk || !data || !readback)
		die("malloc");
	fill(data, DATA_BYTES);

	info.nr_hw_queues = 1;
	info.queue_depth = QUEUE_DEPTH;
	info.max_io_buf_bytes = IO_BUF_BYTES;
	info.dev_id = -1;
	cmd.dev_id = -1;
	cmd.queue_id = -1;
	cmd.addr = (uintptr_t)&info;
	cmd.len = sizeof(info);
	res = ctrl_cmd(UBLK_U_CMD_ADD_DEV, &cmd);
	if (res) {
		errno = -res;
		die("UBLK_CMD_ADD_DEV");
	}

	params.len = sizeof(params);
	params.types = UBLK_PARAM_TYPE_BASIC;
	params.basic.logical_bs_shift = 9;
	params.basic.physical_bs_shift = 12;
	params.basic.io_min_shift = 9;
	params.basic.io_opt_shift = 12;
	params.basic.max_sectors = IO_BUF_BYTES >> 9;
	params.basic.dev_sectors = DISK_BYTES >> 9;
	memset(&cmd, 0, sizeof(cmd));
	cmd.dev_id = info.dev_id;
	cmd.queue_id = -1;
	cmd.addr = (uintptr_t)&params;
	cmd.len = sizeof(params);
	res = ctrl_cmd(UBLK_U_CMD_SET_PARAMS, &cmd);
	if (res) {
		errno = -res;
		die("UBLK_CMD_SET_PARAMS");
	}

	if (pthread_create(&queue, NULL, queue_thread, NULL))
		die("pthread_create");
	/* START_DEV waits until the queue has fetched every tag. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.dev_id = info.dev_id;
	cmd.queue_id = -1;
	cmd.data[0] = getpid();
	res = ctrl_cmd(UBLK_U_CMD_START_DEV, &cmd);
	if (res) {
		errno = -res;
		die("UBLK_CMD_START_DEV");
	}

	snprintf(path, sizeof(path), "/dev/ublkb%u", info.dev_id);
	dev = open(path, O_RDWR);
	if (dev < 0)
		die(path);

	before = foll_pins_now();
	if (pwrite(dev, data, DATA_BYTES, 0) != DATA_BYTES || fsync(dev))
		die("write to the ublk device");
	failures += check_pins("buffered write and fsync (WRITE requests)", before);
	if (memcmp(disk, data, DATA_BYTES)) {
		printf("the server's disk does not hold what was written\n");
		failures++;
	}

	drop_caches();
	before = foll_pins_now();
	if (pread(dev, readback, DATA_BYTES, 0) != DATA_BYTES)
		die("read from the ublk device");
	failures += check_pins("buffered read after drop_caches (READ requests)", before);
	if (memcmp(readback, data, DATA_BYTES)) {
		printf("reading the device returned other data than was written\n");
		failures++;
	}
	close(dev);

	memset(&cmd, 0, sizeof(cmd));
	cmd.dev_id = info.dev_id;
	cmd.queue_id = -1;
	res = ctrl_cmd(UBLK_U_CMD_STOP_DEV, &cmd);
	if (res) {
		errno = -res;
		die("UBLK_CMD_STOP_DEV");
	}
	atomic_store(&stopping, 1);
	pthread_join(queue, NULL);
	res = ctrl_cmd(UBLK_U_CMD_DEL_DEV, &cmd);
	if (res) {
		errno = -res;
		die("UBLK_CMD_DEL_DEV");
	}
	printf("%d MiB written and read back through ublk device %u: %s\n",
	       DATA_BYTES >> 20, info.dev_id, failures ? "FAILED" : "data correct");
	return failures ? 1 : 0;
}
