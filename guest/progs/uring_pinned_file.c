// SPDX-License-Identifier: GPL-2.0
// LDLIBS: -luring
/*
 * uring_pinned_file: io_uring reads real disk blocks into a registered
 * buffer that is a MAP_SHARED mapping of a file, then checks that the file
 * holds what the disk wrote into it. Runs in the guest.
 *
 *   uring_pinned_file [-n SLOTS] [-r ROUNDS] [-f EVERY] [-l LOOPS] DIR
 *
 * DIR/uring-source holds ROUNDS * SLOTS blocks of 4 KiB, each with its own
 * pattern. DIR/uring-buffer (SLOTS blocks) is mapped MAP_SHARED and
 * registered with io_uring_register_buffers(): a long-term writable pin,
 * refused by 6.12 for ext4. Round r reads source blocks r*SLOTS.. with
 * O_DIRECT READ_FIXED into the buffer's slots, so the disk controller writes
 * the pinned page cache of the buffer file, as an RDMA NIC or GPU would.
 *
 * Every EVERY rounds but the last, while the buffer stays registered, the
 * buffer file is fsync()ed and read back with O_DIRECT: it must hold that
 * round's blocks.
 * At the end the buffer is unregistered (io_uring drops its pins without
 * dirtying the pages), unmapped and closed; the file is reopened, fsync()ed,
 * the page cache dropped, and the file read back: it must hold the last
 * round's blocks. With -l, all of that (mapping, registration, rounds,
 * unregistration and check) LOOPS times over the same files: unpins that
 * race with whatever else runs.
 *
 * Prints "refused ERRNO" if registering fails, otherwise
 * "rounds R slots S synced_checks C lost_blocks L" where L counts blocks
 * whose on-disk content differed from what was read into them.
 * Exit: 0 nothing lost, 1 refused or blocks lost, 2 setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib.h"

#define BLOCK 4096

/* The pattern of source block nr: no two blocks alike, no block all zero. */
static void fill_block(uint64_t *words, uint64_t nr)
{
	for (size_t i = 0; i < BLOCK / sizeof(*words); i++)
		words[i] = (nr + 1) * 0x9e3779b97f4a7c15ULL ^ i;
}

static void write_source(const char *path, uint64_t blocks)
{
	uint64_t words[BLOCK / sizeof(uint64_t)];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path);
	for (uint64_t nr = 0; nr < blocks; nr++) {
		fill_block(words, nr);
		if (pwrite(fd, words, BLOCK, nr * BLOCK) != BLOCK)
			die("writing the source");
	}
	if (fsync(fd))
		die("fsync of the source");
	close(fd);
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0 || write(fd, "3", 1) != 1)
		die("/proc/sys/vm/drop_caches");
	close(fd);
}

/* Count the blocks of the buffer file on disk that do not hold round's data. */
static unsigned int check_on_disk(const char *path, unsigned int slots,
				  unsigned int round, void *scratch)
{
	uint64_t expect[BLOCK / sizeof(uint64_t)];
	unsigned int lost = 0;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0)
		die(path);
	for (unsigned int slot = 0; slot < slots; slot++) {
		if (pread(fd, scratch, BLOCK, (off_t)slot * BLOCK) != BLOCK)
			die("O_DIRECT read of the buffer file");
		fill_block(expect, (uint64_t)round * slots + slot);
		if (memcmp(scratch, expect, BLOCK))
			lost++;
	}
	close(fd);
	return lost;
}

/*
 * One pass: map the buffer file, register it, read ROUNDS rounds of source
 * blocks into it (fsync and check every EVERY rounds), unregister, and
 * check the file on disk. Returns the blocks lost; *checks counts checks.
 */
static unsigned int register_read_unregister(int src_fd, const char *buffer,
					     unsigned int slots, unsigned int rounds,
					     unsigned int every, void *scratch,
					     unsigned int *checks)
{
	unsigned int lost = 0;
	struct io_uring ring;
	struct iovec iov;
	int buf_fd, ret;
	char *buf;

	buf_fd = open(buffer, O_RDWR);
	if (buf_fd < 0)
		die(buffer);
	buf = mmap(NULL, (size_t)slots * BLOCK, PROT_READ | PROT_WRITE,
		   MAP_SHARED, buf_fd, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	/* Fault the pages in writable, as an application filling it would. */
	memset(buf, 0, (size_t)slots * BLOCK);

	ret = io_uring_queue_init(slots, &ring, 0);
	if (ret < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}
	iov.iov_base = buf;
	iov.iov_len = (size_t)slots * BLOCK;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret < 0) {
		printf("refused %s\n", strerrorname_np(-ret));
		exit(1);
	}

	for (unsigned int round = 0; round < rounds; round++) {
		struct io_uring_cqe *cqe;

		for (unsigned int slot = 0; slot < slots; slot++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			uint64_t nr = (uint64_t)round * slots + slot;

			io_uring_prep_read_fixed(sqe, src_fd, buf + (size_t)slot * BLOCK,
						 BLOCK, nr * BLOCK, 0);
		}
		ret = io_uring_submit_and_wait(&ring, slots);
		if (ret < 0) {
			errno = -ret;
			die("io_uring_submit_and_wait");
		}
		for (unsigned int done = 0; done < slots; done++) {
			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret < 0) {
				errno = -ret;
				die("io_uring_wait_cqe");
			}
			if (cqe->res != BLOCK) {
				errno = cqe->res < 0 ? -cqe->res : EIO;
				die("READ_FIXED");
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		/* A sync while pinned writes what the disk put there before it. */
		if ((round + 1) % every == 0 && round + 1 < rounds) {
			if (fsync(buf_fd))
				die("fsync while registered");
			lost += check_on_disk(buffer, slots, round, scratch);
			(*checks)++;
		}
	}

	/* Unregistering unpins without dirtying: the io_uring way. */
	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	munmap(buf, (size_t)slots * BLOCK);
	close(buf_fd);

	buf_fd = open(buffer, O_RDWR);
	if (buf_fd < 0 || fsync(buf_fd))
		die("fsync after unregistering");
	close(buf_fd);
	drop_caches();
	lost += check_on_disk(buffer, slots, rounds - 1, scratch);
	(*checks)++;
	return lost;
}

int main(int argc, char **argv)
{
	unsigned int slots = 32, rounds = 64, every = 8, loops = 1, checks = 0, lost = 0;
	char source[4096], buffer[4096];
	void *scratch;
	int opt, src_fd, buf_fd;

	while ((opt = getopt(argc, argv, "n:r:f:l:")) != -1) {
		switch (opt) {
		case 'n': slots = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'f': every = atoi(optarg); break;
		case 'l': loops = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || !slots || slots > 256 || !rounds || !every || !loops)
		goto usage;
	snprintf(source, sizeof(source), "%s/uring-source", argv[optind]);
	snprintf(buffer, sizeof(buffer), "%s/uring-buffer", argv[optind]);

	write_source(source, (uint64_t)rounds * slots);
	src_fd = open(source, O_RDONLY | O_DIRECT);
	buf_fd = open(buffer, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (src_fd < 0 || buf_fd < 0)
		die("opening the files");
	if (ftruncate(buf_fd, (off_t)slots * BLOCK))
		die("ftruncate");
	close(buf_fd);
	if (posix_memalign(&scratch, BLOCK, BLOCK))
		die("posix_memalign");

	for (unsigned int loop = 0; loop < loops; loop++)
		lost += register_read_unregister(src_fd, buffer, slots, rounds,
						 every, scratch, &checks);

	printf("loops %u rounds %u slots %u synced_checks %u lost_blocks %u\n",
	       loops, rounds, slots, checks, lost);
	return lost ? 1 : 0;

usage:
	fprintf(stderr, "usage: uring_pinned_file [-n SLOTS] [-r ROUNDS] [-f EVERY] [-l LOOPS] DIR\n");
	return 2;
}
