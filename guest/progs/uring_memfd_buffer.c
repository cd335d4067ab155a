// SPDX-License-Identifier: GPL-2.0
// LDLIBS: -luring
/*
 * uring_memfd_buffer: io_uring reads disk blocks into a registered buffer
 * that is a MAP_SHARED mapping of a memfd whose pages were only read
 * before, then unregisters it, unmaps it and drops the caches: the memfd
 * must still hold what the disk wrote. Runs in the guest, as root.
 *
 *   uring_memfd_buffer [-w] DIR
 *     -w   write each page before registering instead of reading it
 *   DIR/uring-memfd-source (created) is the file the blocks are read from.
 *
 * A read fault maps a shmem page writable but clean; the pin, the disk's
 * DMA and io_uring's release (which does not dirty the pages) leave it
 * clean, and a clean shmem page is dropped, not swapped out, once nothing
 * maps or pins it. Prints "pages P lost L"; exit 0 if nothing was lost,
 * 1 if pages were lost, 2 on a setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib.h"

#define PAGES	64
#define PAGE	4096

int main(int argc, char **argv)
{
	bool write_first = argc > 2 && !strcmp(argv[1], "-w");
	const char *dir = argv[argc - 1];
	static char block[PAGE] __attribute__((aligned(PAGE)));
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char path[4096];
	struct iovec iov;
	int src, memfd, ret, lost = 0;
	volatile char *map;

	if (argc < 2 || argc > 3 || (argc == 3 && !write_first)) {
		fprintf(stderr, "usage: uring_memfd_buffer [-w] DIR\n");
		return 2;
	}
	/* The source: page i holds the byte i + 1 throughout. */
	snprintf(path, sizeof(path), "%s/uring-memfd-source", dir);
	src = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (src < 0)
		die(path);
	for (int i = 0; i < PAGES; i++) {
		memset(block, i + 1, PAGE);
		if (pwrite(src, block, PAGE, (off_t)i * PAGE) != PAGE)
			die("writing the source");
	}
	if (fsync(src))
		die("fsync");
	close(src);
	src = open(path, O_RDONLY | O_DIRECT);
	if (src < 0)
		die(path);

	memfd = memfd_create("uring_memfd_buffer", 0);
	if (memfd < 0 || ftruncate(memfd, PAGES * PAGE))
		die("memfd");
	map = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	for (int i = 0; i < PAGES; i++) {
		if (write_first)
			map[i * PAGE] = 0;
		else
			(void)map[i * PAGE];
	}

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		die_err(-ret, "io_uring_queue_init");
	iov.iov_base = (void *)map;
	iov.iov_len = PAGES * PAGE;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret)
		die_err(-ret, "io_uring_register_buffers");
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, src, (void *)map, PAGES * PAGE, 0, 0);
	ret = io_uring_submit_and_wait(&ring, 1);
	if (ret < 0)
		die_err(-ret, "io_uring_submit_and_wait");
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret)
		die_err(-ret, "io_uring_wait_cqe");
	if (cqe->res != PAGES * PAGE)
		die_err(cqe->res < 0 ? -cqe->res : EIO, "READ_FIXED");
	io_uring_cqe_seen(&ring, cqe);
	/* Unregistering drops the pins without dirtying the pages. */
	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	munmap((void *)map, PAGES * PAGE);

	ret = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (ret < 0 || write(ret, "3", 1) != 1)
		die("drop_caches");
	close(ret);
	for (int i = 0; i < PAGES; i++) {
		if (pread(memfd, block, PAGE, (off_t)i * PAGE) != PAGE)
			die("reading the memfd");
		for (int j = 0; j < PAGE; j++) {
			if (block[j] != (char)(i + 1)) {
				lost++;
				break;
			}
		}
	}
	printf("pages %d lost %d\n", PAGES, lost);
	return lost ? 1 : 0;
}
