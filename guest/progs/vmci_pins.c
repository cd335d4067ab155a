// SPDX-License-Identifier: GPL-2.0
/*
 * vmci_pins: drive the host personality of VMCI (/dev/vmci) the way a
 * VMware VMX process does, and count the pins it takes: a context, its
 * notify page (IOCTL_VMCI_SET_NOTIFY), and a queue pair whose pages come
 * from user memory (IOCTL_VMCI_QUEUEPAIR_ALLOC with a page store). Each
 * step prints the FOLL_PIN pins acquired and released (/proc/vmstat), and
 * the program fails unless each step took or released exactly the pages
 * it handed to the driver.
 *
 *   vmci_pins [file PATH]
 *     file PATH  back the pages with a MAP_SHARED mapping of PATH (created
 *                and sized as needed); anonymous memory without it
 *
 * Exit status: 0 as expected, 1 a step did not pin or release as
 * expected, 2 setup or driver failure, 4 no /dev/vmci (skip).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "foll_pins.h"
#include "lib.h"

/*
 * The VMCI host ioctls are not UAPI headers; these copy the layouts of
 * include/linux/vmw_vmci_defs.h, drivers/misc/vmw_vmci/vmci_host.c and
 * vmci_queue_pair.h.
 */
#define IOCTL_VMCI_INIT_CONTEXT		_IO(7, 0xa0)
#define IOCTL_VMCI_VERSION2		_IO(7, 0xa7)
#define IOCTL_VMCI_QUEUEPAIR_ALLOC	_IO(7, 0xa8)
#define IOCTL_VMCI_QUEUEPAIR_DETACH	_IO(7, 0xaa)
#define IOCTL_VMCI_SET_NOTIFY		_IO(7, 0xcb)
#define VMCI_VERSION_NOVMVM		(11 << 16)
#define VMCI_INVALID_ID			0xffffffffu
#define VMCI_SUCCESS			0

struct vmci_handle {
	uint32_t context;
	uint32_t resource;
};

struct vmci_init_blk {
	uint32_t cid;
	uint32_t flags;
};

struct vmci_set_notify_info {
	uint64_t notify_uva;
	int32_t result;
	uint32_t pad;
};

struct vmci_qp_alloc_info {
	struct vmci_handle handle;
	uint32_t peer;
	uint32_t flags;
	uint64_t produce_size;
	uint64_t consume_size;
	uint64_t ppn_va;
	uint64_t num_ppns;
	int32_t result;
	uint32_t version;
};

struct vmci_qp_dtch_info {
	struct vmci_handle handle;
	int32_t result;
	uint32_t pad;
};

static int failures;

/* Compare what a step pinned and unpinned with what it should have. */
static void expect(const char *step, struct foll_pins before, long acquired,
		   long released)
{
	struct foll_pins now = foll_pins_now();
	long got_acquired = now.acquired - before.acquired;
	long got_released = now.released - before.released;
	int ok = got_acquired == acquired && got_released == released;

	printf("%s: pins acquired %ld, released %ld (expected %ld, %ld)%s\n",
	       step, got_acquired, got_released, acquired, released,
	       ok ? "" : ": WRONG");
	if (!ok)
		failures++;
}

static char *map_pages(const char *path, size_t size)
{
	char *mem;
	int fd;

	if (!path) {
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		fd = open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0)
			die(path);
		if (ftruncate(fd, size))
			die("ftruncate");
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
	}
	if (mem == MAP_FAILED)
		die("mmap");
	/* The queue headers: zero, as a VMX initializes them. */
	memset(mem, 0, size);
	return mem;
}

int main(int argc, char **argv)
{
	/* One page of data and one header page per queue. */
	const size_t queue_pages = 2, page = getpagesize();
	struct vmci_qp_alloc_info alloc = { 0 };
	struct vmci_qp_dtch_info detach = { 0 };
	struct vmci_set_notify_info notify = { 0 };
	struct vmci_init_blk init = { 0 };
	const char *path = NULL;
	struct foll_pins before;
	int version, fd;
	char *mem;

	if (argc == 3 && !strcmp(argv[1], "file"))
		path = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: vmci_pins [file PATH]\n");
		return 2;
	}

	fd = open("/dev/vmci", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "vmci_pins: /dev/vmci: %s\n", strerror(errno));
		return 4;
	}
	mem = map_pages(path, (1 + 2 * queue_pages) * page);

	version = VMCI_VERSION_NOVMVM;
	if (ioctl(fd, IOCTL_VMCI_VERSION2, &version) < 0)
		die("IOCTL_VMCI_VERSION2");
	init.cid = 100;
	if (ioctl(fd, IOCTL_VMCI_INIT_CONTEXT, &init) < 0)
		die("IOCTL_VMCI_INIT_CONTEXT");

	/* The notify page: the first page of the mapping. */
	before = foll_pins_now();
	notify.notify_uva = (uintptr_t)mem;
	if (ioctl(fd, IOCTL_VMCI_SET_NOTIFY, &notify) < 0)
		die("IOCTL_VMCI_SET_NOTIFY");
	if (notify.result != VMCI_SUCCESS) {
		fprintf(stderr, "vmci_pins: SET_NOTIFY: VMCI error %d\n", notify.result);
		return 2;
	}
	expect("notify page set", before, 1, 0);

	/* A queue pair on the next four pages: the produce, then the consume queue. */
	before = foll_pins_now();
	alloc.handle.context = init.cid;
	alloc.handle.resource = 1000;
	alloc.peer = VMCI_INVALID_ID;
	alloc.produce_size = page;
	alloc.consume_size = page;
	alloc.ppn_va = (uintptr_t)(mem + page);
	alloc.num_ppns = 2 * queue_pages;
	if (ioctl(fd, IOCTL_VMCI_QUEUEPAIR_ALLOC, &alloc) < 0)
		die("IOCTL_VMCI_QUEUEPAIR_ALLOC");
	if (alloc.result < VMCI_SUCCESS) {
		fprintf(stderr, "vmci_pins: QUEUEPAIR_ALLOC: VMCI error %d\n", alloc.result);
		return 2;
	}
	expect("queue pair allocated", before, 2 * queue_pages, 0);

	before = foll_pins_now();
	detach.handle = alloc.handle;
	if (ioctl(fd, IOCTL_VMCI_QUEUEPAIR_DETACH, &detach) < 0)
		die("IOCTL_VMCI_QUEUEPAIR_DETACH");
	if (detach.result < VMCI_SUCCESS) {
		fprintf(stderr, "vmci_pins: QUEUEPAIR_DETACH: VMCI error %d\n", detach.result);
		return 2;
	}
	expect("queue pair detached", before, 0, 2 * queue_pages);

	/* Closing the device destroys the context, which drops the notify page. */
	before = foll_pins_now();
	close(fd);
	expect("context closed", before, 0, 1);

	return failures ? 1 : 0;
}
